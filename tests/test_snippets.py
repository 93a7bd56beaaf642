"""The snippets of README.md and docs/*.md run as they are written: every ```python block,
IPython lines included, typed into IPython in a copy of the project (tests/snippets.py),
and every command line of their ```bash blocks names flags its command has."""

import argparse
import json
import os
import runpy
import shlex
import shutil
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest
import snippets

import iam_ondb

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
PYTHON = ("python", "ipython")


def every_block(language):
    return [block for path in DOCS for block in snippets.blocks(path, path.relative_to(ROOT))
            if block.language in language]


def run_snippets(folder, blocks, **env):
    """Run blocks (snippets.Block) in folder, a copy of the project: their failures."""
    (folder / "blocks.json").write_text(json.dumps([{**vars(b), "path": str(b.path)}
                                                    for b in blocks]))
    env = {**os.environ, "MPLBACKEND": "Agg", **env}
    done = subprocess.run([sys.executable, str(Path(snippets.__file__)), "blocks.json",
                           "results.json"], cwd=folder, capture_output=True, text=True,
                          timeout=600, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads((folder / "results.json").read_text())
    return [f"{block.path}:{failed['line']}: {failed['code']}\n{failed['error']}"
            for block, failed in zip(blocks, results) if failed]


def test_the_runner_names_the_line_a_pasted_block_fails_on(tmp_path):
    # a %run line with a comment after it hands the comment to the script's arguments
    (tmp_path / "script.py").write_text(textwrap.dedent("""
        import argparse
        argparse.ArgumentParser().parse_args()
        answer = 42
    """))
    (tmp_path / "doc.md").write_text(textwrap.dedent("""\
        # A doc

        ```python
        %run -i script.py
        answer + 1
        ```

        ```python
        x = 1
        %run -i script.py   # defines answer
        answer + x
        ```

        <!-- needs nothing -->
        ```python
        def f(y):
            return y + answer   # still defined? no: every block starts afresh
        f(1)
        ```
    """))
    blocks = snippets.blocks(tmp_path / "doc.md", "doc.md")
    assert [(b.line, b.language, b.needs) for b in blocks] == [
        (4, "python", ()), (9, "python", ()), (16, "python", ("nothing",))]
    failed = run_snippets(tmp_path, blocks)
    assert len(failed) == 2
    assert failed[0].startswith("doc.md:10: %run -i script.py   # defines answer\n")
    assert "unrecognized arguments: # defines answer" in failed[0]
    assert failed[1].startswith("doc.md:18: f(1)\n") and "NameError" in failed[1]


def project_copy(folder):
    """The project's modules and shipped models in folder, and its data/ (a link), so
    that what the snippets write stays out of the checkout."""
    folder.mkdir()
    for source in [*ROOT.glob("*.py"), ROOT / "webapp", ROOT / "save"]:
        if source.is_dir():
            shutil.copytree(source, folder / source.name,
                            ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, folder / source.name)
    (folder / "data").symlink_to(ROOT / "data")
    return folder


def missing(need):
    """Why a block that needs `need` cannot run here, or None."""
    if need == snippets.DATA:
        where = os.environ.get("IAM_ONDB", str(ROOT / "data"))
        try:
            iam_ondb.resolve_source(where)
        except FileNotFoundError:
            return f"IAM-OnDB is not at {where} (set IAM_ONDB)"
        return None
    if not (ROOT / need).exists():
        return f"{need} does not exist"
    return None


@pytest.mark.slow
def test_the_python_snippets_of_the_docs_run_as_pasted(tmp_path):
    blocks, skipped = [], []
    for block in every_block(PYTHON):
        why = [missing(need) for need in block.needs if missing(need)]
        (skipped if why else blocks).append((block, why))
    assert len(blocks) >= 4
    folder = project_copy(tmp_path / "project")
    # the data's cache, where the loader puts it when the data's folder is read-only
    failed = run_snippets(folder, [b for b, _ in blocks], XDG_CACHE_HOME=str(tmp_path / "cache"))
    assert not failed, "\n\n".join(failed)
    for block, why in skipped:  # said, not hidden: the rest ran
        warnings.warn(f"{block.path}:{block.line} not run: {', '.join(why)}", stacklevel=1)


# ---------------------------------------------------------------- the command lines


class Parsed(Exception):
    """What parse_args raises here once a command's flags have parsed."""


def command_lines():
    """(where, argv) of every `python COMMAND.py ...` line of the docs' bash blocks."""
    found = []
    for block in every_block(("bash", "sh")):
        lines = block.code.replace("\\\n", " ").splitlines()
        for number, line in enumerate(lines, block.line):
            for part in line.split("&&"):
                words = shlex.split(part, comments=True)
                if len(words) > 1 and words[0] in ("python", "python3") and \
                        words[1].endswith(".py"):
                    found.append((f"{block.path}:{number}", words[1:]))
    return found


@pytest.mark.parametrize("where, argv", command_lines(), ids=[w for w, _ in command_lines()])
def test_every_command_line_of_the_docs_parses(where, argv, monkeypatch, capsys):
    real = argparse.ArgumentParser.parse_args

    def parse_args(self, args=None, namespace=None):
        real(self, args, namespace)
        raise Parsed

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", parse_args)
    monkeypatch.setattr(sys, "argv", [str(ROOT / argv[0]), *argv[1:]])
    with pytest.raises(Parsed):
        try:
            runpy.run_path(str(ROOT / argv[0]), run_name="__main__")
        except SystemExit:
            pytest.fail(f"{where}: {shlex.join(argv)}\n{capsys.readouterr().err}")
