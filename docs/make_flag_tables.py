"""Write the flag tables of the docs from the flags themselves (flags.flag_table), so that
a table says what the command does: its defaults and help texts as the code has them.

    python docs/make_flag_tables.py

Each table stands between the comment `<!-- the flags of COMMAND ... -->` and
`<!-- end of the flags -->` in the file TABLES names; tests/test_docs.py fails when one
differs from what this would write.
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flags import flag_table  # noqa: E402

TABLES = {"train.py": "docs/training.md", "sample.py": "docs/sampling.md",
          "app.py": "docs/web-api.md"}
BLOCK = re.compile(r"(<!-- the flags of (\S+) [^\n]*-->\n)(.*?)(<!-- end of the flags -->)", re.S)


def table_of(command):
    """The flag table of a command (train.py, ...): its build_parser's flags."""
    module = __import__(Path(command).stem)
    return flag_table(module.build_parser())


def with_tables(text):
    """text with every flag table block filled in from the flags."""
    return BLOCK.sub(lambda m: m[1] + table_of(m[2]) + "\n" + m[4], text)


def main():
    for command, doc in TABLES.items():
        path = ROOT / doc
        text = path.read_text()
        new = with_tables(text)
        if new != text:
            path.write_text(new)
            print(f"wrote the flags of {command} in {doc}")


if __name__ == "__main__":
    main()
