"""The docs' snippets as they are written, and a runner that types them into IPython.

`blocks(path)` reads the fenced blocks of a markdown file with their first line and what
they need: an HTML comment on the line before the fence, `<!-- needs IAM-OnDB -->` or
`<!-- needs save/recognizer -->` (a path of the project), names what a block cannot run
without. `python snippets.py BLOCKS.json RESULTS.json`, in a copy of the project, runs
every ```python block of BLOCKS.json in one IPython shell (IPython.core.interactiveshell),
its namespace emptied between blocks, one top-level statement at a time as a reader
pasting it would (IPython lines, `%run ...` and `!...`, included, verbatim), and writes
for each block the first statement that failed: one that raised, or one after which
IPython showed a traceback (%run shows a script's exit with an error rather than raising).
"""

import ast
import contextlib
import dataclasses
import io
import json
import re
import sys
import traceback
from pathlib import Path

FENCE = re.compile(r"^```(\w*)[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)
NEEDS = re.compile(r"<!--\s*needs\s+(.*?)\s*-->")
DATA = "IAM-OnDB"  # what `<!-- needs IAM-OnDB -->` names: the data set, where IAM_ONDB points


@dataclasses.dataclass
class Block:
    path: str  # the markdown file, as given
    line: int  # the line of the file the block's first line of code is on, from 1
    language: str
    code: str
    needs: tuple = ()


def blocks(path, name=None):
    """The fenced blocks of a markdown file, in order; name: how to call the file."""
    text = Path(path).read_text()
    found = []
    for match in FENCE.finditer(text):
        before = text[:match.start()].splitlines()
        needs = NEEDS.search(before[-1]) if before else None
        found.append(Block(name or str(path), len(before) + 2, match.group(1), match.group(2),
                           tuple(re.split(r"\s*,\s*", needs.group(1))) if needs else ()))
    return found


def statements(code):
    """The top-level statements of a block as (first line, last line), from 1: the
    Python IPython makes of it (a magic becomes a call on its own line) parsed."""
    from IPython.core.inputtransformer2 import TransformerManager

    tree = ast.parse(TransformerManager().transform_cell(code))
    spans = []
    for node in tree.body:
        first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
        spans.append((first, node.end_lineno))
    return spans


def run_block(shell, block, shown):
    """Run one block in shell, statement by statement; None, or the first failure as
    {"line": line of the file, "code": the statement, "error": what was shown}."""
    shell.reset(new_session=False)
    lines = block["code"].splitlines()
    try:
        spans = statements(block["code"])
    except SyntaxError as err:
        return {"line": block["line"] + (err.lineno or 1) - 1, "code": err.text or "",
                "error": f"SyntaxError: {err.msg}"}
    for first, last in spans:
        source = "\n".join(lines[first - 1:last])
        shown.clear()
        stderr = io.StringIO()
        with contextlib.redirect_stderr(stderr):
            result = shell.run_cell(source, store_history=True)
        error = result.error_before_exec or result.error_in_exec
        if error is not None or shown:
            said = "".join(shown) or "".join(traceback.format_exception_only(error))
            return {"line": block["line"] + first - 1, "code": source,
                    "error": (stderr.getvalue()[-1500:] + said).strip()}
    return None


def main(blocks_json, results_json):
    from IPython.core.interactiveshell import InteractiveShell

    sys.path[0] = ""  # the folder it runs in, not this file's, as `ipython` started there
    shell = InteractiveShell.instance()
    shown = []

    def noting(show):
        def showing(*args, **kwargs):
            shown.append("".join(traceback.format_exception(*sys.exc_info()))[-1500:])
            return show(*args, **kwargs)
        return showing

    shell.showtraceback = noting(shell.showtraceback)
    shell.showsyntaxerror = noting(shell.showsyntaxerror)
    results = [run_block(shell, block, shown)
               for block in json.loads(Path(blocks_json).read_text())]
    Path(results_json).write_text(json.dumps(results))


if __name__ == "__main__":
    main(*sys.argv[1:])
