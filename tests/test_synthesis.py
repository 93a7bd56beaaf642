"""Synthesis end to end: a tiny model learns a synthetic font through train.py, then
writes strings it never saw, glyph by glyph, and stops by itself. This is the
window, the training and the stop rule working together."""

import pytest
import xmlgen

import train
from model import load_model

UNSEEN = ["abcdef", "fedcba", "cafe", "bead", "dcfa", "ebadcf"]


@pytest.fixture(scope="module")
def font_model(font_data, tmp_path_factory):
    data_dir, texts = font_data
    assert not set(UNSEEN) & {t for lines in texts.values() for t in lines}
    model_dir = tmp_path_factory.mktemp("font_model")
    train.main(["--synthesis", "--data_dir", str(data_dir), "--model_dir",
                str(model_dir), "--rnn_size", "32", "--num_layers", "2",
                "--num_mixture", "3", "--window_mixtures", "3", "--batch_size", "16",
                "--keep_prob", "1.0", "--learning_rate", "0.01", "--max_steps", "1000",
                "--validate_every", "0", "--log_every", "100", "--seed", "0"])
    return load_model(model_dir)


@pytest.mark.slow
@pytest.mark.timeout(600)  # its fixture trains 1,000 steps: 15 s here, minutes on a busy machine
@pytest.mark.parametrize("bias", [0.0, 2.0])
def test_a_font_learned_through_the_window_writes_unseen_strings(font_model, bias):
    assert font_model.alphabet == "abcdef"
    strokes, infos = font_model.write(UNSEEN, bias=bias, seed=1)
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
