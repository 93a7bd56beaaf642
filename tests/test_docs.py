"""The docs say what the code does: the flag tables are the flags' own defaults and help
texts, the README stays short and its links lead somewhere, and the layout table names
every module there is."""

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs"))

import make_flag_tables  # noqa: E402

README = ROOT / "README.md"


@pytest.mark.parametrize("command", list(make_flag_tables.TABLES))
def test_a_flag_table_is_what_the_flags_say(command):
    doc = ROOT / make_flag_tables.TABLES[command]
    text = doc.read_text()
    blocks = [m for m in make_flag_tables.BLOCK.finditer(text) if m[2] == command]
    assert len(blocks) == 1, f"{doc.name} has no table of the flags of {command}"
    assert blocks[0][3].strip() == make_flag_tables.table_of(command), (
        f"the flags of {command} in {doc.name} differ from the code's: run "
        f"python docs/make_flag_tables.py")


def test_a_table_that_drifts_from_the_flags_is_found(monkeypatch):
    import train

    text = make_flag_tables.with_tables((ROOT / "docs" / "training.md").read_text())
    build = train.build_parser

    def drifted():
        parser = build()
        action = next(a for a in parser._actions if a.dest == "rnn_size")
        action.field_default = 512
        return parser

    monkeypatch.setattr(train, "build_parser", drifted)
    assert make_flag_tables.with_tables(text) != text
    assert "| `--rnn_size` | `512` |" in make_flag_tables.table_of("train.py")


def test_the_readme_is_short_and_its_links_lead_somewhere():
    text = README.read_text()
    assert len(text.splitlines()) <= 210
    docs = [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]
    for doc in docs:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", doc.read_text()):
            if target.startswith(("http://", "https://")):
                continue
            assert (doc.parent / target).exists(), f"{doc.name} links to {target}"


def test_the_layout_table_names_every_module():
    text = README.read_text()
    layout = text[text.index("## Layout"):]
    modules = [p.name for p in ROOT.glob("*.py")] + ["webapp/"]
    missing = [m for m in modules if f"`{m}" not in layout]
    assert not missing, f"the README's layout table does not name {missing}"


@pytest.mark.parametrize("name", ["sentences.txt", "page.txt", "characters.txt"])
def test_the_measuring_texts_are_writable_lines(name):
    from config import Config
    from text import check_line, unwritable

    alphabet = Config.load(ROOT / "save" / "synthesis").alphabet
    lines = (ROOT / "docs" / name).read_text().splitlines()
    assert lines and all(check_line(line) == line for line in lines)
    assert not [line for line in lines if unwritable(line, alphabet)]


def test_the_rare_characters_text_writes_each_rare_one_often():
    text = (ROOT / "docs" / "characters.txt").read_text()
    # the capitals and digits fewest of IAM-OnDB's lines hold (docs/recognizer.md), each
    # often enough that one seed's figure for it rests on more than a handful of cases
    few = {c: text.count(c) for c in "QXZ3456789" if text.count(c) < 8}
    assert not few, f"docs/characters.txt holds these rare characters too seldom: {few}"
