"""Named hands: a synthesis model's own lines, picked by the recogniser, that ship in its
folder (styles.json) and are written with by name from Python, sample.py and the API."""

import json
import shutil

import numpy as np
import pytest
import tiny
from fastapi.testclient import TestClient

import sample
import ship
from config import DEFAULT_TRIES, PAGE_BIAS, STYLES_NAME, load_styles, save_styles
from model import load_model
from webapp.service import create_app


@pytest.fixture(scope="module")
def styled(tiny_models, tmp_path_factory):
    """A copy of the tiny synthesis model with two named hands of its own writing."""
    folder = tmp_path_factory.mktemp("styled") / "synthesis"
    shutil.copytree(tiny_models[1], folder)
    writer = load_model(folder)
    lines, _ = writer.write(["ab ca", "cab"], seed=[1, 2])
    save_styles(folder, {"hand-1": (lines[0], "ab ca"), "hand-2": (lines[1], "cab")})
    return folder


def test_named_hands_round_trip_and_write_as_their_strokes_do(styled, tiny_models):
    writer = load_model(styled)
    assert sorted(writer.styles) == ["hand-1", "hand-2"]
    assert writer.first_hand == "hand-1" and load_model(tiny_models[1]).first_hand is None
    strokes, text = writer.styles["hand-2"]
    assert text == "cab" and strokes.dtype == np.float32 and strokes.shape[1] == 3
    by_name, _ = writer.write("ba", seed=5, style="hand-2")
    by_strokes, _ = writer.write("ba", seed=5, style=(strokes, text))
    np.testing.assert_array_equal(by_name, by_strokes)
    page, _ = writer.write_page(["ab", "ba"], seed=5, style="hand-1")
    assert len(page) == 2


def test_an_unknown_hand_is_refused_with_the_names(styled, tiny_models, tmp_path, capsys):
    with pytest.raises(ValueError, match=r"unknown style 'hand-9'.*hand-1, hand-2"):
        load_model(styled).write("ab", style="hand-9")
    with pytest.raises(ValueError, match=r"named hands are none"):
        load_model(tiny_models[1]).write("ab", style="hand-1")
    with pytest.raises(SystemExit):
        sample.main(["--model_dir", str(styled), "--text", "ab", "--style", "hand-9",
                     "--filename", str(tmp_path / "x")])
    err = capsys.readouterr().err
    assert "nor a named hand" in err and "hand-1, hand-2" in err
    client = TestClient(create_app(tiny_models[0], styled, tiny_models[2]))
    answer = client.post("/api/write", json={"text": "ab", "hand": "hand-9"})
    assert answer.status_code == 422 and "hand-1, hand-2" in answer.json()["detail"]
    assert client.get("/api/health").json()["styles"] == ["hand-1", "hand-2"]


def test_sample_py_and_the_api_write_in_a_named_hand(styled, tiny_models, tmp_path):
    written = sample.main(["--model_dir", str(styled), "--text", "ba", "--style", "hand-1",
                           "--seed", "4", "--tries", "1", "--filename", str(tmp_path / "x")])
    writer = load_model(styled)
    lines, _ = writer.write_page(["ba"], seed=4, style="hand-1", bias=PAGE_BIAS)
    from drawing import page_as_drawn

    np.testing.assert_allclose(written.strokes, page_as_drawn(lines), atol=1e-4)
    client = TestClient(create_app(tiny_models[0], styled, tiny_models[2]))
    answer = client.post("/api/write", json={"text": "ba", "hand": "hand-1", "seed": 4,
                                             "tries": 1, "bias": PAGE_BIAS}).json()
    np.testing.assert_allclose(np.array(answer["lines"][0]["strokes"]), lines[0], atol=0.06)


@pytest.mark.parametrize("flags, hand, bias, tries", [
    ([], "hand-1", PAGE_BIAS, DEFAULT_TRIES),  # the page's settings
    (["--style", "own", "--bias", "0", "--tries", "1"], None, 0.0, 1),  # the raw model
    (["--style", "hand-2", "--bias", "1.5"], "hand-2", 1.5, DEFAULT_TRIES),
])
def test_sample_py_writes_a_text_as_the_page_does_unless_told_otherwise(
        styled, tiny_models, tmp_path, capsys, flags, hand, bias, tries):
    from drawing import page_as_drawn

    written = sample.main(["--model_dir", str(styled), "--text", "ab c", "--seed", "7",
                           "--recognizer_dir", str(tiny_models[2]), *flags,
                           "--filename", str(tmp_path / "x")])
    writer = load_model(styled)
    writer.reader = load_model(tiny_models[2])
    lines, _ = writer.write_page(["ab c"], bias=bias, seed=7, style=hand, tries=tries)
    np.testing.assert_allclose(written.strokes, page_as_drawn(lines), atol=1e-4)
    said = capsys.readouterr().out
    assert f"in {hand or 'its own hand'}, --bias {bias:g}" in said
    assert f"best of {tries}" in said
    # free writing keeps the original's default: bias 0
    free = sample.main(["--model_dir", str(tiny_models[0]), "--seed", "7",
                        "--sample_length", "30", "--filename", str(tmp_path / "f")])
    strokes, _ = load_model(tiny_models[0]).sample(30, seed=7, bias=0.0)
    np.testing.assert_allclose(free.strokes, strokes, atol=1e-5)


def test_a_broken_styles_file_says_what_is_wrong(tmp_path):
    (tmp_path / STYLES_NAME).write_text('{"hand-1": {"strokes": [[0, 0, 0]]}}')
    with pytest.raises(ValueError, match="styles.json: not a file of named hands"):
        load_styles(tmp_path)
    assert load_styles(tmp_path / "none") == {}


class LengthReader:
    """Reads a line as right as it is short: a recogniser with a known preference."""

    def read(self, lines):
        return ["" if len(line) > 60 else ship.STYLE_TEXT for line in lines]


@pytest.fixture
def tiny_texts(monkeypatch):
    """What the candidate hands write, in the tiny models' alphabet (tiny.ALPHABET)."""
    assert set("abc ba" + "ab" + "ca b") <= set(tiny.ALPHABET)
    monkeypatch.setattr(ship, "STYLE_TEXT", "abc ba")
    monkeypatch.setattr(ship, "STYLE_TESTS", ("ab", "ca b"))


def test_pick_styles_keeps_the_hands_the_reader_reads_best(tiny_models, tiny_texts):
    writer = load_model(tiny_models[1])
    styles, scores = ship.pick_styles(writer, LengthReader(), 2, candidates_per_style=3)
    assert list(styles) == ["hand-1", "hand-2"] and scores == sorted(scores)
    lines, _ = writer.write(["abc ba"] * 6, bias=0.5, seed=list(range(6)))
    kept = [next(i for i, line in enumerate(lines) if np.array_equal(line, strokes))
            for strokes, _ in styles.values()]
    assert len(set(kept)) == 2 and all(text == "abc ba" for _, text in styles.values())
    # the short lines (read right) first: every longer candidate scores worse
    longest_kept = max(len(strokes) for strokes, _ in styles.values())
    assert sum(len(line) <= 60 for line in lines) < 2 or longest_kept <= 60


class ScriptedHands:
    """write as pick_styles calls it, with known outcomes: candidate k (seed k) is a
    line of k + 2 points; the test lines written in candidate 1's hand lose the text
    (their window reaches the last character a fifth of the way in), those in candidate
    2's are stopped by the point budget, the others end well. A line's first row holds
    the index of its text, which PerfectReader reads."""

    def __init__(self):
        self.texts = [ship.STYLE_TEXT, *ship.STYLE_TESTS]

    def line(self, text, points):
        strokes = np.zeros((points, 3), np.float32)
        strokes[0, 0] = self.texts.index(text)
        return strokes

    def write(self, texts, bias, seed, style=None):
        if style is None:
            return [self.line(t, s + 2) for t, s in zip(texts, seed)], [{}] * len(texts)
        lost, stop = len(style[0]) == 3, "budget" if len(style[0]) == 4 else "end"
        infos = []
        for t in texts:
            first = 20 if lost else 99
            peaks = np.minimum(np.arange(100) * (len(t) - 1) // first, len(t) - 1)
            infos.append({"phi": np.eye(len(t))[peaks], "stop": stop})
        return [self.line(t, 5) for t in texts], infos


class PerfectReader:
    def __init__(self, texts):
        self.texts = texts

    def read(self, lines):
        return [self.texts[int(line[0, 0])] for line in lines]


def test_a_hand_whose_test_lines_lose_the_text_is_picked_last():
    writer = ScriptedHands()
    styles, scores = ship.pick_styles(writer, PerfectReader(writer.texts), 4,
                                      candidates_per_style=1)
    # every line reads right, but candidate 1's test lines lose the text and candidate
    # 2's are cut off by the point budget: read as nothing, both
    assert scores[:2] == [0, 0] and scores[2:] == [pytest.approx(1.0)] * 2
    assert [len(strokes) for strokes, _ in styles.values()] == [2, 5, 3, 4]


def test_ship_writes_named_hands_beside_the_weights(tiny_models, tiny_texts, tmp_path, capsys):
    dest = tmp_path / "shipped"
    ship.main([str(tiny_models[1]), str(dest), "--styles", "2", "--recognizer_dir",
               str(tiny_models[2])])
    named = json.loads((dest / STYLES_NAME).read_text())
    assert sorted(named) == ["hand-1", "hand-2"]
    assert "named hands: hand-1" in capsys.readouterr().out
    assert sorted(load_model(dest).styles) == ["hand-1", "hand-2"]


def test_a_hand_file_is_a_style_for_model_write_and_sample_py(styled, tmp_path, capsys):
    from drawing import page_as_drawn
    from iam_ondb import read_hand_file

    writer = load_model(styled)
    strokes, text = writer.styles["hand-2"]
    path = tmp_path / "mine.json"
    path.write_text(json.dumps({"text": text, "strokes": strokes.tolist()}))
    by_file, _ = writer.write("ab", seed=5, style=str(path))
    by_strokes, _ = writer.write("ab", seed=5, style=(strokes, text))
    np.testing.assert_array_equal(by_file, by_strokes)
    written = sample.main(["--model_dir", str(styled), "--text", "ab", "--style", str(path),
                           "--seed", "5", "--tries", "1", "--filename", str(tmp_path / "x")])
    lines, _ = writer.write_page(["ab"], bias=PAGE_BIAS, seed=5, style=(strokes, text))
    np.testing.assert_allclose(written.strokes, page_as_drawn(lines), atol=1e-4)
    for bad, message in [('{"strokes": [[0, 0, 1]]}', "not a hand file"),
                         ('{"text": " ", "strokes": [[0, 0, 1], [1, 1, 1]]}', "is empty"),
                         ("[1, 2]", "not a hand file")]:
        path.write_text(bad)
        with pytest.raises(ValueError, match=message):
            read_hand_file(path)
        with pytest.raises(SystemExit):
            sample.main(["--model_dir", str(styled), "--text", "ab", "--style", str(path),
                         "--filename", str(tmp_path / "y")])
        assert f"--style {path}: " in capsys.readouterr().err
