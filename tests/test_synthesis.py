"""Synthesis end to end: a tiny model learns a synthetic font through train.py, then
writes strings it never saw, glyph by glyph, and stops by itself. This is the
window, the training and the stop rule working together."""

import numpy as np
import pytest
import xmlgen

import train
from model import load_model

UNSEEN = ["abcdef", "fedcba", "cafe", "bead", "dcfa", "ebadcf"]


def font_corpus(root, rng, forms=70, lines_per_form=6):
    """lineStrokes and ascii files of lines written in xmlgen.FONT."""
    strokes, texts = {}, {}
    letters = list(xmlgen.FONT)
    for f in range(forms):
        form = xmlgen.form_of(xmlgen.line_id(f * 6))
        texts[form] = []
        for n in range(1, lines_per_form + 1):
            text = "".join(rng.choice(letters, size=rng.integers(2, 8)))
            texts[form].append(text)
            strokes[f"{form}-{n:02d}"] = xmlgen.font_line(text, rng)
    xmlgen.write_data_folder(root, strokes)
    xmlgen.write_ascii_folder(root, texts)
    return texts


@pytest.fixture(scope="module")
def font_model(tmp_path_factory):
    root = tmp_path_factory.mktemp("font")
    texts = font_corpus(root / "data", np.random.default_rng(0))
    assert not set(UNSEEN) & {t for lines in texts.values() for t in lines}
    train.main(["--synthesis", "--data_dir", str(root / "data"), "--model_dir",
                str(root / "model"), "--rnn_size", "32", "--num_layers", "2",
                "--num_mixture", "3", "--window_mixtures", "3", "--batch_size", "16",
                "--keep_prob", "1.0", "--learning_rate", "0.01", "--max_steps", "1000",
                "--validate_every", "0", "--log_every", "100", "--seed", "0"])
    return load_model(root / "model"), root


@pytest.mark.parametrize("bias", [0.0, 2.0])
def test_a_font_learned_through_the_window_writes_unseen_strings(font_model, bias):
    model, _ = font_model
    assert model.alphabet == "abcdef"
    strokes, infos = model.write(UNSEEN, bias=bias, seed=1)
    read = [xmlgen.read_font(s) for s in strokes]
    assert sum(r == t for r, t in zip(read, UNSEEN)) >= len(UNSEEN) - 1, read
    assert [info["stop"] for info in infos] == ["end"] * len(UNSEEN), read
    for text, info in zip(UNSEEN, infos):
        phi = info["phi"]
        assert phi.shape[1] == len(text)
        # the window's peak walks through the text, from the first character to the last
        peaks = phi.argmax(axis=1)
        assert peaks[0] == 0 and peaks[-1] == len(text) - 1
        assert set(range(len(text))) <= set(peaks)
