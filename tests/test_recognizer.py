"""The recogniser: its loss and decoding against numpy, its features, reading in
batches, bad input, and a tiny reader that learns the tests' synthetic font."""

import functools
import itertools
import os
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
import xmlgen

import measures
import recognizer
import train
from config import Config
from model import load_model

# ---------------------------------------------------------------- numpy references


def numpy_ctc_nll(logits, labels, blank=0):
    """-ln p(labels | logits [T, C]) by the CTC forward recursion (Graves et al. 2006,
    eq. 5-8) over the labels with blanks between and around them, in log space."""
    logp = logits - np.logaddexp.reduce(logits, axis=1, keepdims=True)
    ext = [blank]
    for label in labels:
        ext += [label, blank]
    S, T = len(ext), len(logp)
    alpha = np.full(S, -np.inf)
    alpha[0] = logp[0, ext[0]]
    if S > 1:
        alpha[1] = logp[0, ext[1]]
    for t in range(1, T):
        new = np.full(S, -np.inf)
        for s in range(S):
            terms = [alpha[s]]
            if s >= 1:
                terms.append(alpha[s - 1])
            if s >= 2 and ext[s] != blank and ext[s] != ext[s - 2]:
                terms.append(alpha[s - 2])
            new[s] = np.logaddexp.reduce(terms) + logp[t, ext[s]]
        alpha = new
    return -np.logaddexp(alpha[-1], alpha[-2] if S > 1 else -np.inf)


def brute_force_ctc_nll(logits, labels, blank=0):
    """The same by summing over every path of T frames that collapses to labels."""
    logp = logits - np.logaddexp.reduce(logits, axis=1, keepdims=True)
    total = []
    for path in itertools.product(range(logits.shape[1]), repeat=len(logits)):
        collapsed = [c for c, _ in itertools.groupby(path) if c != blank]
        if collapsed == list(labels):
            total.append(sum(logp[t, c] for t, c in enumerate(path)))
    return -np.logaddexp.reduce(total)


def reference_edit_distance(a, b):
    @functools.cache
    def d(i, j):
        if i == 0 or j == 0:
            return i + j
        return min(d(i - 1, j) + 1, d(i, j - 1) + 1, d(i - 1, j - 1) + (a[i - 1] != b[j - 1]))
    return d(len(a), len(b))


# ---------------------------------------------------------------- loss and decoding


def test_ctc_loss_matches_the_forward_recursion_and_brute_force():
    rng = np.random.default_rng(0)
    # repeated labels need a blank between them: the hardest case of the recursion
    cases = [(5, [1, 2]), (6, [2, 2]), (4, [3]), (7, [1, 2, 1]), (5, [1, 1, 2])]
    logits = rng.normal(0, 2, (len(cases), 7, 4)).astype(np.float32)
    frames = np.array([t for t, _ in cases], np.int32)
    labels = np.zeros((len(cases), 3), np.int32)
    for i, (_, lab) in enumerate(cases):
        labels[i, :len(lab)] = lab
    lengths = np.array([len(lab) for _, lab in cases], np.int32)
    got = recognizer.ctc_loss(tf.constant(logits), tf.constant(frames), tf.constant(labels),
                              tf.constant(lengths)).numpy()
    for i, (t, lab) in enumerate(cases):
        want = numpy_ctc_nll(logits[i, :t].astype(np.float64), lab)
        assert got[i] == pytest.approx(want, rel=1e-4)
        if t <= 6:
            assert want == pytest.approx(brute_force_ctc_nll(logits[i, :t], lab), rel=1e-6)


def test_greedy_decoding_merges_repeats_then_drops_blanks():
    alphabet = "abc"
    rng = np.random.default_rng(1)
    for _ in range(200):
        path = rng.integers(0, 4, rng.integers(0, 12))
        want = "".join(alphabet[c - 1] for c, _ in itertools.groupby(path.tolist()) if c)
        assert recognizer.greedy_decode(path, alphabet) == want
    assert recognizer.greedy_decode([1, 1, 0, 1, 2, 2, 0, 0, 3], alphabet) == "aabc"


def test_the_reader_decodes_the_best_path_of_its_logits():
    config = Config(recognizer=True, rnn_size=8, num_layers=1, alphabet="abc")
    model = recognizer.build_recognizer(config)
    rng = np.random.default_rng(2)
    strokes = rng.normal(0, 20, (40, 3))
    strokes[:, 2] = rng.random(40) < 0.2
    x, lengths = recognizer.pad_features([recognizer.line_features(strokes)])
    logits, frames = model(tf.constant(x), tf.constant(lengths))
    best = np.argmax(logits.numpy()[0, :int(frames[0])], -1)
    assert int(frames[0]) == 20  # half the points' rate
    assert model.read(strokes) == recognizer.greedy_decode(best, "abc")


def test_edit_distance_and_alignment_agree_with_a_recursive_reference():
    rng = np.random.default_rng(3)
    for _ in range(100):
        a = "".join(rng.choice(list("abc "), rng.integers(0, 8)))
        b = "".join(rng.choice(list("abc "), rng.integers(0, 8)))
        want = reference_edit_distance(a, b)
        assert measures.edit_distance(a, b) == want
        distance, pairs = measures.edit_alignment(a, b)
        assert distance == want
        # the alignment spells both strings, and its mismatches are its cost
        assert "".join(r for r, _ in pairs if r is not None) == a
        assert "".join(h for _, h in pairs if h is not None) == b
        assert sum(r != h for r, h in pairs) == want


def test_character_error_rate_with_and_without_spaces():
    refs, hyps = ["the cat", "a dog"], ["the cut", "adog"]
    # with spaces: 1 substitution + 1 deletion over 12 characters
    assert measures.character_error_rate(refs, hyps) == pytest.approx(2 / 12)
    # without: "thecat"/"thecut", "adog"/"adog": 1 over 10
    assert measures.character_error_rate(refs, hyps, spaces=False) == pytest.approx(1 / 10)
    with pytest.raises(ValueError, match="no reference"):
        measures.character_error_rate([""], ["x"])


def test_character_table_counts_each_written_character_read_back_as_itself():
    table = measures.character_table(["abca", "b"], ["abxa", ""])
    assert table == {"a": (2, 2), "b": (1, 2), "c": (0, 1)}


# ---------------------------------------------------------------- features


def line_of(rng, n=120):
    strokes = np.zeros((n, 3))
    strokes[1:, 0] = rng.normal(8, 5, n - 1)
    strokes[1:, 1] = rng.normal(0, 15, n - 1)
    strokes[rng.choice(n - 1, min(8, n - 1), replace=False), 2] = 1
    strokes[-1, 2] = 1
    return strokes


def test_features_do_not_depend_on_size_or_on_the_tilt_of_the_line():
    rng = np.random.default_rng(4)
    strokes = line_of(rng)
    features = recognizer.line_features(strokes)
    bigger = strokes * [3, 3, 1]
    np.testing.assert_allclose(recognizer.line_features(bigger), features, atol=1e-5)
    tilted = strokes.copy()
    tilted[:, 1] += 0.2 * tilted[:, 0]  # the same line, climbing to the right
    np.testing.assert_allclose(recognizer.line_features(tilted), features, atol=1e-4)
    assert features.shape == (len(strokes), recognizer.FEATURES)
    # pen lifted before a point: after each stroke end, and at the start
    np.testing.assert_array_equal(features[1:, 2], strokes[:-1, 2])
    assert features[0, 2] == 1


def test_distortion_shears_and_widens_x_only():
    rng = np.random.default_rng(5)
    strokes = line_of(rng)
    out = recognizer.distort(strokes, np.random.default_rng(0))
    np.testing.assert_array_equal(out[:, 1:], strokes[:, 1:])
    # x' = width * (x + shear * y): two unknowns, recovered exactly from two rows
    a = np.stack([strokes[1:, 0], strokes[1:, 1]], 1)
    coef = np.linalg.lstsq(a, out[1:, 0], rcond=None)[0]
    np.testing.assert_allclose(a @ coef, out[1:, 0], atol=1e-6)
    width, shear = coef[0], coef[1] / coef[0]
    assert 0.85 <= width <= 1.15 and abs(shear) <= 0.3


# ---------------------------------------------------------------- reading


@pytest.fixture(scope="module")
def untrained_reader():
    import keras

    keras.utils.set_random_seed(0)
    return recognizer.build_recognizer(
        Config(recognizer=True, rnn_size=8, num_layers=2, alphabet="abcdef "))


def test_a_line_reads_the_same_alone_as_in_a_batch_and_every_time(untrained_reader):
    rng = np.random.default_rng(6)
    lines = [line_of(rng, n) for n in (37, 130, 64, 200, 5)]
    together = untrained_reader.read(lines)
    assert untrained_reader.read(lines) == together
    alone = [untrained_reader.read(line) for line in lines]
    assert alone == together
    # the per-frame logits too, not only the argmax
    x1, l1 = recognizer.pad_features([recognizer.line_features(lines[0])])
    xb, lb = recognizer.pad_features([recognizer.line_features(line) for line in lines])
    one, _ = untrained_reader(tf.constant(x1), tf.constant(l1))
    batch, _ = untrained_reader(tf.constant(xb), tf.constant(lb))
    frames = (len(lines[0]) + 1) // 2
    np.testing.assert_allclose(batch[0, :frames], one[0, :frames], atol=1e-5)


@pytest.mark.parametrize("strokes, message", [
    (np.zeros((0, 3)), "at least two points"),
    (np.zeros((1, 3)), "at least two points"),
    (np.array([[0, 0, 0], [np.nan, 1, 1]]), "NaN or infinite"),
    (np.zeros((recognizer.MAX_POINTS + 1, 3)), "at most 6,000 are taken"),
    (np.array([[0, 0, 0], [1, 1, 0.5]]), "eos"),
    (np.zeros((10, 2)), r"shape \[T, 3\]"),
    ([["a", "b", "c"], [1, 2, 3]], r"\[dx, dy, eos\]"),
])
def test_bad_lines_get_a_clear_error(untrained_reader, strokes, message):
    with pytest.raises(ValueError, match=message):
        untrained_reader.read(strokes if isinstance(strokes, list) else [strokes])


# ---------------------------------------------------------------- learning the font

@pytest.mark.slow
def test_a_tiny_reader_learns_the_font_and_reads_unseen_strings(font_reader):
    model = load_model(font_reader)
    assert isinstance(model, recognizer.Recognizer)
    rng = np.random.default_rng(123)
    texts = ["".join(rng.choice(list(xmlgen.FONT), rng.integers(2, 8))) for _ in range(40)]
    lines = [xmlgen.steps_of(xmlgen.font_line(t, rng)) for t in texts]
    read = model.read(lines)
    cer = measures.character_error_rate(texts, read)
    assert cer < 0.05, list(zip(texts, read))
    # the log holds the validation CER along the run, falling
    rows = train.read_log(Path(font_reader) / "log.csv")
    cers = [float(r["valid_cer"]) for r in rows if r["valid_cer"]]
    assert len(cers) == 4 and cers[-1] < cers[0]


# ---------------------------------------------------------------- the real data

IAM_ONDB = os.environ.get("IAM_ONDB")
SHIPPED = Path(__file__).resolve().parent.parent / "save" / "recognizer"


@pytest.mark.slow
@pytest.mark.skipif(not IAM_ONDB, reason="IAM_ONDB is not set: no real data to read")
@pytest.mark.skipif(not (SHIPPED / "config.json").exists(), reason="no save/recognizer")
def test_the_shipped_reader_reads_validation_lines(tmp_path_factory):
    from utils import DataLoader

    model = load_model(SHIPPED)
    loader = DataLoader(IAM_ONDB, texts=True, progress=False,
                        cache_dir=tmp_path_factory.mktemp("cache"), alphabet=model.alphabet)
    lines = [loader.in_tablet_units(line) for line in loader.valid_data[:20]]
    import evaluate

    figures = evaluate.legibility_figures(model, lines, loader.valid_texts[:20], prefix="")
    assert figures["cer"] < 0.12, figures


# ---------------------------------------------------------------- recognize.py


@pytest.mark.slow
def test_recognize_reads_xml_and_npy_files_one_text_a_line(font_reader, tmp_path, capsys):
    import recognize

    rng = np.random.default_rng(9)
    xmlgen.write_line_strokes(tmp_path / "one.xml", xmlgen.font_line("abcd", rng))
    np.save(tmp_path / "two.npy", xmlgen.steps_of(xmlgen.font_line("fedcba", rng)))
    recognize.main([str(tmp_path / "one.xml"), str(tmp_path / "two.npy"),
                    "--model_dir", str(font_reader)])
    assert capsys.readouterr().out.splitlines() == ["abcd", "fedcba"]


@pytest.mark.parametrize("content, message", [
    (b"", "empty"), (b"<xml", "two.xml"), (None, "No such file")])
def test_recognize_names_a_file_it_cannot_read(tmp_path, tiny_model_dir, capsys, content,
                                               message):
    import recognize

    path = tmp_path / "two.xml"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(SystemExit):
        recognize.main([str(path), "--model_dir", str(tiny_model_dir)])
    err = capsys.readouterr().err
    assert "two.xml" in err and message in err


def test_recognize_says_how_to_get_a_recogniser(tmp_path, capsys):
    import recognize

    with pytest.raises(SystemExit):
        recognize.main(["x.npy", "--model_dir", str(tmp_path / "none")])
    assert "train.py --recognizer" in capsys.readouterr().err


# ---------------------------------------------------------------- evaluate.py


class ScriptedReader:
    """Reads back what it is told to: a stand-in recogniser."""

    def __init__(self, readings):
        self.readings = readings

    def read(self, lines):
        assert len(lines) == len(self.readings)
        return list(self.readings)


def test_legibility_figures_count_errors_and_characters():
    import evaluate

    texts, readings = ["ab c", "Qd"], ["ab e", "Od"]
    got = evaluate.legibility_figures(ScriptedReader(readings), [None, None], texts)
    assert got["legibility_cer"] == pytest.approx(2 / 5)  # "abc"->"abe", "Qd"->"Od"
    assert got["legibility_cer_spaces"] == pytest.approx(2 / 6)
    assert got["legibility_characters"] == {" ": [1, 1], "Q": [0, 1], "a": [1, 1], "b": [1, 1],
                                            "c": [0, 1], "d": [1, 1]}
    assert got["legibility_readings"] == readings


@pytest.mark.slow
def test_evaluate_scores_a_recogniser_on_the_validation_lines(font_reader, font_data, capsys):
    import evaluate
    from utils import DataLoader

    data_dir, _ = font_data
    got = evaluate.main(["--model_dir", str(font_reader), "--data_dir", str(data_dir),
                         "--split", "valid", "--json"])
    loader = DataLoader(data_dir, seq_length=20, texts=True, progress=False)
    model = load_model(font_reader)
    read = model.read([loader.in_tablet_units(line) for line in loader.valid_data])
    assert got["lines"] == len(loader.valid_texts) == 10
    assert got["cer"] == measures.character_error_rate(loader.valid_texts, read, spaces=False)
    assert got["readings"] == read
