"""The trained models the repository ships: what they are, that they load as the README
says, and that the synthesis model writes a text and ends the line itself."""

from pathlib import Path

import numpy as np
import pytest

import sample
from config import Config
from model import load_model

ROOT = Path(__file__).resolve().parents[1]
SAVE, SYNTHESIS = ROOT / "save", ROOT / "save" / "synthesis"
MAX_FILE_MB = 20  # every committed file stays under this


def files_in(folder):
    return [p for p in folder.iterdir() if p.is_file()]


@pytest.mark.parametrize("folder", [SAVE, SYNTHESIS], ids=["save", "synthesis"])
def test_a_shipped_model_is_one_small_checkpoint_with_its_config_and_log(folder):
    import tensorflow as tf

    names = {p.name for p in files_in(folder)}
    assert {"config.json", "checkpoint", "log.csv"} <= names
    assert len([n for n in names if n.endswith(".index")]) == 1  # one checkpoint
    assert max(p.stat().st_size for p in files_in(folder)) < MAX_FILE_MB * 1e6
    variables = [n for n, _ in tf.train.list_variables(tf.train.latest_checkpoint(str(folder)))]
    assert any(n.startswith("model/") for n in variables)


def test_the_synthesis_model_is_graves_network_with_the_alphabet_it_was_trained_on():
    config = Config.load(SYNTHESIS)
    assert config.synthesis and (config.num_layers, config.rnn_size) == (3, 400)
    assert len(config.alphabet) == 79
    assert set("QXZ0123456789#") <= set(config.alphabet)  # what peers leave out
    assert not set("&*") & set(config.alphabet)  # held once each in the training texts


@pytest.mark.parametrize("bias", [1.0, 2.0])  # 2: the sharpest bias the README measures
def test_the_synthesis_model_writes_every_character_and_stops_by_the_rule(bias):
    model = load_model(SYNTHESIS)
    texts = ["Quiz: 42 boxes of jam.", "Xylophones, zebras!"]
    strokes, infos = model.write(texts, bias=bias, seed=[1, 2])
    for text, line, info in zip(texts, strokes, infos, strict=True):
        assert info["stop"] == "end"
        assert len(set(info["phi"].argmax(axis=1))) == len(text)  # the window read each one
        assert len(line) > 8 * len(text)  # written, not skipped over (the data: 22 a character)
        assert np.isfinite(line).all()


def test_sample_py_writes_a_text_with_no_other_flag(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)  # the default folders are the README's, from the project
    sample.main(["--text", "Hello", "--filename", str(tmp_path / "hello")])
    svg = (tmp_path / "hello.normal.svg").read_text()
    assert "<path" in svg
    # the page's settings: the first named hand, its bias, its tries
    assert "with save/synthesis in hand-1, --bias 0.75," in capsys.readouterr().out


def test_the_shipped_models_write_and_read_as_their_recorded_digests():
    # recorded by tests/digests.py when the models were shipped: a change to the code
    # around the networks must not change what they write or read for the same seed
    import json

    import digests

    recorded = json.loads(digests.DIGESTS.read_text())
    now = digests.shipped_digests()
    for key in recorded:
        assert digests.matches(recorded[key], now[key]), (key, recorded[key], now[key])


def test_digests_tell_a_changed_line_from_the_same():
    import digests

    line = np.random.default_rng(0).normal(size=(50, 3))
    line[:, 2] = line[:, 2] > 1
    old = digests.fingerprint(line)
    assert digests.matches(old, digests.fingerprint(line * (1 + 1e-6)))
    moved = line.copy()
    moved[10, 0] += 5.0
    assert not digests.matches(old, digests.fingerprint(moved))
    assert not digests.matches(old, digests.fingerprint(line[:-1]))


@pytest.mark.parametrize("seed", [0, 2, 4])
def test_the_shipped_writer_adds_an_accent_over_its_letter(seed):
    # the same seed writes the same letters with and without the accent; the acute sits
    # over the é (here the line's last stroke), above its top
    writer = load_model(SYNTHESIS)
    plain, _ = writer.write("un cafe", bias=0.75, seed=seed, style="hand-1")
    accented, info = writer.write("un café", bias=0.75, seed=seed, style="hand-1")
    assert info["text"] == "un café" and info["marks"] == [(6, "acute")]
    old, new = np.cumsum(plain[:, :2], 0), np.cumsum(accented[:, :2], 0)
    kept = np.abs(new[:, None] - old[None]).sum(-1).min(1) < 1e-2
    assert kept.sum() == len(old)  # every point of the plain line, where it was
    mark = new[~kept]
    ends = np.flatnonzero(plain[:, 2] > 0.5)
    e = old[ends[-2] + 1:ends[-1] + 1]
    assert e[:, 0].min() <= mark[:, 0].mean() <= e[:, 0].max()
    assert (-mark[:, 1]).min() > (-e[:, 1]).max()


def test_the_shipped_reader_reads_an_x_written_plainly():
    # a textbook X (two crossing strokes, drawn by program) before lines the writer wrote:
    # the reader trained with UNIPEN's characters reads it as an X
    from glyphs import with_glyph

    writer, reader = load_model(SYNTHESIS), load_model(ROOT / "save" / "recognizer")
    texts = ["marks the spot where the treasure lies.", "and Y marks the spot."]
    lines, _ = writer.write(texts * 2, bias=0.75, seed=[0, 0, 1, 1], style="hand-1")
    readings = reader.read([with_glyph("X", line, size=1.1) for line in lines])
    assert sum(r.replace(" ", "").startswith("X") for r in readings) >= 3, readings


def test_the_shipped_writer_fills_a_small_page_inside_its_margins():
    from paper import Paper

    writer = load_model(SYNTHESIS)
    paper = Paper.of("a6", margins="10")
    doc = writer.on_paper("Dear Sam,\n\nSee you on Monday at 10, by the old quay, with the "
                          "map and the boots.\n\nAnne", paper, bias=0.75, seed=3,
                          style="hand-1")
    lines = [line for page in doc.pages for line in page]
    assert [line.text for line in lines][0] == "Dear Sam," and lines[-1].text == "Anne"
    assert doc.stats["shrunk"] == 0
    for line in lines:
        xy = np.concatenate(line.strokes)
        assert xy[:, 0].min() >= 10 - 0.5 and xy[:, 0].max() <= 95 + 0.5
        assert xy[:, 1].min() >= 10 - 0.5 and xy[:, 1].max() <= 138 + 0.5
        # written at the size asked: the small letters' body about 2.5 mm
        body = np.percentile(xy[:, 1], 75) - np.percentile(xy[:, 1], 25)
        assert 0.5 * paper.size < body < 2.5 * paper.size
