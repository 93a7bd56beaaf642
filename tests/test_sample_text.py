"""sample.py --text: a page of text from a synthesis model, its files and its errors;
the page's wrapping and joining."""

import subprocess
from pathlib import Path

import numpy as np
import pytest
import tiny
import xmlgen

from drawing import get_bounds, join_lines
from sample import main
from text import wrap_text

ALPHABET = " .,'abcdefghijklmnopqrstuvwxyz"


@pytest.fixture(scope="module")
def synthesis_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("synthesis")
    tiny.save_tiny_model(path, synthesis=True, alphabet=ALPHABET, num_layers=2)
    return path


def test_text_writes_a_page_with_the_pictures_asked_for(synthesis_dir, tmp_path, capsys):
    text = "a first line of words, then some more words to wrap"
    result = main(["--model_dir", str(synthesis_dir), "--text", text, "--line_length", "20",
                   "--filename", str(tmp_path / "page"), "--seed", "2", "--png"])
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["page.attention.png", "page.normal.svg", "page.png"]
    assert "wrote 3 line(s)" in capsys.readouterr().out
    # three lines, one under another: the page is taller than it is for one line
    one = main(["--model_dir", str(synthesis_dir), "--text", "a first line of",
                "--filename", str(tmp_path / "one" / "p"), "--seed", "2"])
    _, _, top, bottom = get_bounds(result.strokes, 1)
    _, _, top1, bottom1 = get_bounds(one.strokes, 1)
    assert bottom - top > 1.5 * (bottom1 - top1)
    assert len(result.params["e"]) == len(result.strokes)


@pytest.mark.parametrize("flags, kinds, more", [
    ([], ["normal"], []),  # the page, and nothing nobody asked for
    (["--all_figures"], ["normal", "color", "multi_color", "eos_pdf", "pdf"], []),
    (["--animate"], ["normal", "animated"], []),
    (["--num_samples", "2"], ["normal"], ["-0", "-1"]),
])
def test_text_writes_the_page_and_the_other_drawings_only_on_request(flags, kinds, more,
                                                                     synthesis_dir, tmp_path):
    result = main(["--model_dir", str(synthesis_dir), "--text", "a few words", "--seed", "3",
                   "--filename", str(tmp_path / "t")] + flags)
    expected = {f"t{n}.{kind}.svg" for n in more or [""] for kind in kinds}
    assert {p.name for p in tmp_path.iterdir()} == expected
    assert sorted(result.files) == sorted(str(tmp_path / name) for name in expected)


def test_text_file_gives_one_line_per_line(synthesis_dir, tmp_path):
    (tmp_path / "t.txt").write_text("one\n\nthree words here\n")
    result = main(["--model_dir", str(synthesis_dir), "--text_file", str(tmp_path / "t.txt"),
                   "--filename", str(tmp_path / "o" / "p"), "--seed", "1"])
    assert result.strokes[:, 2].sum() >= 2  # at least a stroke a line


def test_a_style_file_and_its_text_prime_the_page(synthesis_dir, tmp_path):
    rng = np.random.default_rng(0)
    xml = xmlgen.write_line_strokes(tmp_path / "style.xml", xmlgen.random_line(rng, 60))
    args = ["--model_dir", str(synthesis_dir), "--text", "same words", "--seed", "4"]
    plain = main(args + ["--filename", str(tmp_path / "a" / "p")])
    styled = main(args + ["--filename", str(tmp_path / "b" / "p"), "--style", str(xml),
                          "--style_text", "a style"])
    n = min(len(plain.strokes), len(styled.strokes))
    assert not np.allclose(plain.strokes[:n], styled.strokes[:n], atol=1e-2)


def test_on_unknown_drop_leaves_the_characters_out(synthesis_dir, tmp_path, capsys):
    main(["--model_dir", str(synthesis_dir), "--text", "Hello World!", "--on_unknown", "drop",
          "--filename", str(tmp_path / "p"), "--seed", "1"])
    err = capsys.readouterr().err
    assert "leaving out '!' 'H' 'W'" in err


BAD = {
    "unknown characters": (["--text", "Hello"], "cannot write: 'H'"),
    "both texts": (["--text", "a", "--text_file", "x"], "not both"),
    "style without text": (["--style", "s.npy"], "--style goes with --text"),
    "prime with text": (["--text", "a", "--prime", "p.npy"], "use --style"),
    "line length": (["--text", "a", "--line_length", "0"], "--line_length must be"),
    "empty text": (["--text", "  "], "--text is empty"),
    "style text unknown": (["--text", "a", "--style", "STYLE", "--style_text", "Q"],
                           "--style_text: characters the model cannot write: 'Q'"),
    "style without its text": (["--text", "a", "--style", "STYLE"], "--style_text"),
    "max tries below tries": (["--text", "a", "--tries", "3", "--max_tries", "2"],
                              "--max_tries must be between --tries (3) and 16"),
    "style text without style": (["--text", "a", "--style_text", "ab"], "give --style too"),
    "own hand with a text": (["--text", "a", "--style", "own", "--style_text", "ab"],
                             "leave out --style_text"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_text_input_is_a_usage_error_and_writes_nothing(case, synthesis_dir, tmp_path,
                                                            capsys):
    flags, reason = BAD[case]
    style = tmp_path / "style.npy"
    np.save(style, np.array([[0, 0, 0], [3, 1, 0], [2, 2, 1]], np.float32))
    flags = [str(style) if f == "STYLE" else f for f in flags]
    before = set(tmp_path.rglob("*"))
    with pytest.raises(SystemExit) as exit_info:
        main(["--model_dir", str(synthesis_dir), "--filename", str(tmp_path / "o" / "p")]
             + flags)
    assert exit_info.value.code == 2
    assert reason in capsys.readouterr().err
    assert set(tmp_path.rglob("*")) == before


def test_an_unconditional_model_cannot_write_text(tmp_path, capsys):
    tiny.save_tiny_model(tmp_path / "free")
    with pytest.raises(SystemExit):
        main(["--model_dir", str(tmp_path / "free"), "--text", "abc",
              "--filename", str(tmp_path / "p")])
    assert "reads no text" in capsys.readouterr().err


def test_wrap_text_keeps_line_breaks_and_wraps_at_spaces():
    text = "short\n\nthe quick brown fox jumps over the lazy dog\n"
    assert wrap_text(text, 15) == ["short", "the quick brown", "fox jumps over", "the lazy dog"]
    assert all(len(line) <= 4 for line in wrap_text("abcdefghij", 4))


def test_join_lines_starts_each_line_below_the_last_at_the_left():
    line = np.array([[5, 2, 0], [10, 0, 0], [0, 5, 1]], np.float32)  # ends at (15, 7)
    page = join_lines([line, line, line], line_height=100)
    positions = np.cumsum(page[:, :2], axis=0)
    starts = positions[[0, 3, 6]]
    np.testing.assert_allclose(starts, [[5, 2], [5, 102], [5, 202]])
    assert page[[2, 5, 8], 2].tolist() == [1, 1, 1]


def test_a_missing_synthesis_model_says_how_to_train_one(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["--model_dir", str(tmp_path / "none"), "--text", "abc",
              "--filename", str(tmp_path / "p")])
    assert "train.py --synthesis" in capsys.readouterr().err


def test_the_files_the_readme_s_snippets_write_are_ignored_by_git():
    root = Path(__file__).resolve().parent.parent
    if not (root / ".git").exists():
        pytest.skip("not a git checkout")
    names = ["x.svg", "sample.normal.svg", "sample.pdf.svg", "sample.png",
             "sample.attention.png", "sample.animated.svg"]
    out = subprocess.run(["git", "check-ignore", "--no-index", *names], cwd=root,
                         capture_output=True, text=True)
    assert sorted(out.stdout.split()) == sorted(names), out.stderr
