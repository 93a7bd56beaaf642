"""Training lines holding UNIPEN's characters (composing.py), the loader's batches that carry
them, and a trained model's alphabet grown to read or write them (model.grow_alphabet)."""

import numpy as np
import pytest
import xmlgen
from test_texts import load, make_corpus, write_both
from unipengen import O_STROKE, X_STROKES, label_file, pen_file, write_release

import composing
import unipen
from composing import POINTS_PER_CHARACTER, Composer, held_out_lines
from config import Config, FieldError

EIGHT = np.array([(50 + 30 * np.sin(2 * a), 100 + 100 * np.cos(a))
                  for a in np.linspace(0, 2 * np.pi, 30)]).round()


def release(root, writers=6):
    """A release of `writers` writers, each writing X, O and 8 (y up, 200 units high)."""
    files = {}
    for w in range(writers):
        shift = np.array([0, 0]) + w  # no two writers' samples the same
        blocks = [(True, s + shift) for s in X_STROKES] + [(True, O_STROKE + shift),
                                                           (True, EIGHT + shift)]
        files[f"include/s/w{w}.dat"] = pen_file(blocks)
        files[f"data/1b/s/w{w}.dat"] = label_file([f"s/w{w}.dat"],
                                                  [("0-1", "X"), ("2", "O"), ("3", "8")])
    return unipen.Characters(write_release(root, files), cache_dir=root / "cache")


@pytest.fixture(scope="module")
def characters(tmp_path_factory):
    return release(tmp_path_factory.mktemp("unipen"))


def absolute(line):
    return np.cumsum(line[:, :2], 0)


def character_boxes(line, text):
    """(left, right, bottom) of each character of a composed line, an X two strokes."""
    ends = np.flatnonzero(line[:, 2])
    pieces = np.split(absolute(line), ends[:-1] + 1)
    boxes, k = [], 0
    for c in text.replace(" ", ""):
        ink = np.concatenate(pieces[k:k + (2 if c == "X" else 1)])
        k += 2 if c == "X" else 1
        boxes.append((ink[:, 0].min(), ink[:, 0].max(), ink[:, 1].max()))
    return boxes


def test_a_composed_line_writes_its_text_left_to_right_on_one_baseline(characters,
                                                                        monkeypatch):
    monkeypatch.setattr(composing, "TILT", (0.0, 0.0))  # level: boxes compare along x
    composer = Composer(characters, "XO8 ")
    for seed in range(5):
        line, text = composer.compose(np.random.default_rng(seed))
        assert set(text) <= set("XO8 ") and 2 <= len(text) <= 30
        assert line[0, :2].tolist() == [0, 0] and line[-1, 2] == 1
        # one piece of ink per character: each sample's strokes end lifted
        ends = np.flatnonzero(line[:, 2])
        assert len(ends) == sum({"X": 2, "O": 1, "8": 1}[c] for c in text if c != " ")
        starts = character_boxes(line, text)
        for (_, right, _), (left, _, _) in zip(starts, starts[1:]):
            assert left > right - 1e-3
        # capitals and digits stand on one baseline, within the jitter (y down)
        bottoms = np.array([b for _, _, b in starts])
        assert np.ptp(bottoms) < 0.5 * unipen.XHEIGHT


def test_a_composed_baseline_tilts_as_drawn(characters, monkeypatch):
    monkeypatch.setattr(composing, "TILT", (3.0, 3.0))  # falling to the right
    line, text = Composer(characters, "XO8").compose(np.random.default_rng(0), points=600)
    boxes = character_boxes(line, text)
    middles = np.array([(a + b) / 2 for a, b, _ in boxes])
    slope = np.polyfit(middles, [b for _, _, b in boxes], 1)[0]
    assert np.degrees(np.arctan(slope)) == pytest.approx(3.0, abs=1.0)


def test_a_composed_line_is_about_as_long_as_asked(characters):
    composer = Composer(characters, "XO8 ")
    rng = np.random.default_rng(0)
    for points in (100, 400):
        _, text = composer.compose(rng, points=points)
        assert len(text) == pytest.approx(points / POINTS_PER_CHARACTER, abs=3)


def test_a_run_beside_a_line_keeps_the_line_and_names_the_run(characters):
    composer = Composer(characters, "XO8 ")
    line = xmlgen.steps_of(xmlgen.random_line(np.random.default_rng(0), 80)).astype(np.float32)
    for after in (False, True):
        out, text = composer.beside(line, "own", np.random.default_rng(1), after=after)
        run = text.split(" ")[0 if not after else 1]
        assert (text == f"{run} own") if not after else (text == f"own {run}")
        assert 1 <= len(run) <= 3 and set(run) <= set("XO8")
        xy, own = absolute(out), absolute(line)
        n = len(line)
        mine = xy[-n:] if not after else xy[:n]
        # the line's own steps as they were, moved as a whole
        np.testing.assert_allclose(np.diff(mine, axis=0), np.diff(own, axis=0), atol=1e-3)
        np.testing.assert_array_equal((out[-n:] if not after else out[:n - 1])[:, 2],
                                      line[:, 2] if not after else line[:n - 1, 2])
        run_ink = xy[:-n] if not after else xy[n:]
        if after:
            assert run_ink[:, 0].min() > mine[:, 0].max()
        else:
            assert run_ink[:, 0].max() < mine[:, 0].min()


def test_held_out_writers_compose_apart(characters):
    held = np.array([w in ("s/w0.dat", "s/w1.dat") for w in characters.writers])
    train, valid = Composer(characters, "XO8", ~held), Composer(characters, "XO8", held)
    assert set(valid.writers) == {"s/w0.dat", "s/w1.dat"}
    assert not set(train.writers) & set(valid.writers)
    with pytest.raises(ValueError, match="no UNIPEN character"):
        Composer(characters, "abc")


def test_batches_hold_composed_lines_and_runs_beside_and_the_alphabet_grows(characters,
                                                                             tmp_path):
    root = write_both(tmp_path, *make_corpus(np.random.default_rng(0)))
    plain = load(root, batch_size=8)
    assert "X" not in plain.alphabet
    composed = load(root, batch_size=8, unipen=characters, unipen_lines=1.0)
    assert set("XO8") <= set(composed.alphabet)
    assert "100% of the training lines composed of UNIPEN's characters" in composed.summary()
    code = {c: i + 1 for i, c in enumerate(composed.alphabet)}
    for _ in range(3):
        lines, texts = composed.batch_lines(composed.next_lines())
        assert all(set(t) <= set("XO8 ") for t in texts)
    x, y, mask, chars = composed.next_batch()
    assert chars.shape[1] == composed.text_width and (chars.max() <= len(composed.alphabet))
    written = [row[row >= 0] for row in chars]
    assert all(set(w) <= {code["X"], code["O"], code["8"], code[" "]} for w in written)
    beside = load(root, batch_size=8, unipen=characters, unipen_beside=1.0)
    rows = beside.next_lines()
    _, texts = beside.batch_lines(rows)
    for row, text in zip(rows, texts):
        own = beside.train_texts[row]
        assert text.startswith(own + " ") or text.endswith(" " + own)
    # the held-out writers compose no training line: the loader knows which they are
    assert composed.unipen_held_out.tolist() == characters.held_out().tolist()


def test_favoured_characters_are_drawn_as_often_as_their_weight_says(characters):
    rng = np.random.default_rng(0)
    drawn = {}
    for favour in (None, {"X": 8.0}):
        composer = Composer(characters, "XO8", favour=favour)
        texts = "".join(composer.compose(rng, points=40 * POINTS_PER_CHARACTER)[1]
                        for _ in range(150)).replace(" ", "")
        drawn[bool(favour)] = texts.count("X") / len(texts), len(texts)
    # X, O and 8 alike: a third each; X favoured 8 to 1: 8 / 10 (binomial, 5 sigma)
    for favoured, want in ((False, 1 / 3), (True, 8 / 10)):
        share, n = drawn[favoured]
        assert abs(share - want) < 5 * np.sqrt(want * (1 - want) / n), (favoured, share)


def test_the_loader_favours_the_characters_fewer_than_oversample_lines_hold(characters,
                                                                           tmp_path):
    root = write_both(tmp_path, *make_corpus(np.random.default_rng(0)))
    plain = load(root, batch_size=8)
    holding = {c: sum(c in t for t in plain.train_texts) for c in "abcdef"}
    target = sorted(holding.values())[3]  # three of a..f rarer than this
    loader = load(root, batch_size=8, unipen=characters, unipen_lines=1.0, oversample=target,
                  unipen_rare=5.0)
    # a line-count n < target: ceil(target / n) times as often, at most 5; none held: 5
    want = {c: min(5, -(-target // n)) for c, n in holding.items() if n < target}
    assert loader.favour == {**want, "X": 5, "O": 5, "8": 5}
    assert f"UNIPEN's {''.join(loader.favour)} (fewer than {target} lines hold each) drawn " \
           f"up to 5 times as often" in loader.summary()
    assert loader.composer.label_p is not None
    alike = load(root, batch_size=8, unipen=characters, unipen_lines=1.0, oversample=target)
    assert alike.composer.label_p is None and "drawn" not in alike.summary()


def test_held_out_lines_are_the_held_out_writers_and_the_same_for_a_seed(characters,
                                                                          monkeypatch):
    two = np.array([w in ("s/w0.dat", "s/w1.dat") for w in characters.writers])
    monkeypatch.setattr(characters, "held_out", lambda: two)
    lines, texts = held_out_lines(characters, "XO8 ", 20, seed=3)
    again = held_out_lines(characters, "XO8 ", 20, seed=3)
    assert texts == again[1] and len(lines) == 20 and all(set(t) <= set("XO8 ") for t in texts)
    assert all(np.array_equal(a, b) for a, b in zip(lines, again[0]))
    # made of the held-out writers alone: with none held out, there is nothing to compose
    monkeypatch.setattr(characters, "held_out", lambda: np.zeros(len(characters), bool))
    with pytest.raises(ValueError, match="no UNIPEN character"):
        held_out_lines(characters, "XO8 ", 20)


def test_unipen_shares_are_for_models_with_texts_and_add_up_to_one_at_most():
    with pytest.raises(FieldError, match="unipen"):
        Config(unipen_lines=0.2)  # the unconditional model's windows have no texts
    with pytest.raises(FieldError, match="at most 1 together"):
        Config(recognizer=True, unipen_lines=0.6, unipen_beside=0.6)
    with pytest.raises(FieldError, match="unipen_beside"):
        Config(recognizer=True, unipen_beside=1.5)
    with pytest.raises(FieldError, match="unipen_rare: at least 1"):
        Config(synthesis=True, unipen_lines=0.1, unipen_rare=0.5, oversample=400)
    with pytest.raises(FieldError, match="unipen_rare: .*--oversample"):
        Config(synthesis=True, unipen_lines=0.1, unipen_rare=10)
    assert Config(synthesis=True, unipen_lines=0.1, unipen_rare=10, oversample=400).unipen_rare


@pytest.mark.parametrize("kind", ["recognizer", "synthesis"])
def test_a_grown_alphabet_keeps_what_the_network_did_with_the_old_characters(kind):
    import tensorflow as tf

    from model import build_model, grow_alphabet

    fields = {"rnn_size": 8, "num_layers": 2, "num_mixture": 2, kind: True}
    old = build_model(Config(alphabet="ab ", **fields))
    grown = build_model(Config(alphabet=" Xab~", **fields))
    grow_alphabet(old, grown)
    rng = np.random.default_rng(0)
    if kind == "recognizer":
        x = tf.constant(rng.normal(size=(2, 24, 5)), tf.float32)
        lengths = tf.constant([24, 17])
        before, _ = old(x, lengths)
        after, _ = grown(x, lengths)
        # blank, then a, b, space: at their new places, the same logits
        np.testing.assert_allclose(tf.gather(after, [0, 3, 4, 1], axis=-1), before, atol=1e-5)
        # a new character starts below every old one but the blank
        bias = grown.head.bias.numpy()
        assert bias[2] == bias[5] == old.head.bias.numpy()[1:].min()
    else:
        x = tf.constant(rng.normal(size=(2, 12, 3)), tf.float32)
        old_codes = np.array([[1, 2, 3, 1], [2, 2, 1, -1]])  # "ab a", "bba"
        new_of = {1: 3, 2: 4, 3: 1, -1: -1}  # a, b, space in " Xab~"
        new_codes = np.vectorize(new_of.get)(old_codes)
        before = old(x, tf.constant(old_codes))[0]
        after = grown(x, tf.constant(new_codes))[0]
        np.testing.assert_allclose(after, before, atol=1e-5)


@pytest.mark.slow
def test_a_reader_grown_to_unipen_characters_logs_how_it_reads_held_out_writers(
        font_data, tmp_path):
    from conftest import FONT_FLAGS

    import evaluate
    import measures
    import train
    from model import load_model

    data_dir, _ = font_data
    many = release(tmp_path / "unipen", writers=40)
    assert many.held_out().any()
    model_dir = tmp_path / "reader"
    common = [*FONT_FLAGS, "--data_dir", str(data_dir), "--model_dir", str(model_dir),
              "--validate_every", "10", "--cache_dir", str(tmp_path / "cache")]
    train.main([*common, "--max_steps", "10"])
    assert "X" not in Config.load(model_dir).alphabet
    train.main([*common, "--max_steps", "20", "--unipen", str(tmp_path / "unipen"),
                "--unipen_lines", "0.5", "--grow_alphabet"])
    assert set("XO8") <= set(Config.load(model_dir).alphabet)
    rows = train.read_log(model_dir / "log.csv")
    logged = {int(r["step"]): r["valid_unipen_cer"] for r in rows if r["valid_cer"]}
    assert logged[10] == "" and 0 <= float(logged[20])
    got = evaluate.main(["--model_dir", str(model_dir), "--unipen", str(tmp_path / "unipen"),
                         "--cache_dir", str(tmp_path / "cache"), "--lines", "30", "--json"])
    lines, texts = held_out_lines(many, Config.load(model_dir).alphabet, 30)
    read = load_model(model_dir).read(lines)
    assert got["cer"] == measures.character_error_rate(texts, read, spaces=False)


def test_a_writer_is_scored_on_held_out_writers_lines_as_on_iam_ondbs(tmp_path, capsys):
    import reference
    import tiny
    from test_evaluate import in_model_units

    import evaluate
    from model import load_network

    many = release(tmp_path / "unipen", writers=40)
    tiny.save_tiny_model(tmp_path / "writer", synthesis=True, alphabet=" OX", num_layers=1)
    tiny.save_tiny_model(tmp_path / "free")
    network = load_network(tmp_path / "writer")

    def scored(*flags):
        return evaluate.main(["--model_dir", str(tmp_path / "writer"), "--unipen",
                              str(tmp_path / "unipen"), "--cache_dir", str(tmp_path / "cache"),
                              "--lines", "4", "--json", *flags])

    def oracle(alphabet):
        """nats per point of the held-out lines of alphabet: each line alone, clamped and
        scaled, eq. 26 in numpy."""
        lines, texts = held_out_lines(many, alphabet, 4)
        nll, points = reference.line_by_line_nll(network, map(in_model_units, lines), texts)
        return "".join(texts), points, nll.sum() / points

    texts, points, nats = oracle(" OX")
    assert set(texts) == set(" OX")  # never the 8 the writer does not know
    got = scored()
    assert got["lines"] == 4 and got["points"] == points
    assert got["nll_per_point_model"] == pytest.approx(nats, rel=1e-5)
    # --chars: lines of those characters only, so that two alphabets score the same lines
    texts, points, nats = oracle("O")
    assert set(texts) <= set(" O")
    only = scored("--chars", "O")
    assert only["points"] == points and only["nll_per_point_model"] == pytest.approx(nats, 1e-5)
    for folder, flags, said in (("writer", ["--chars", "O8"], "does not know '8'"),
                                ("free", [], "neither reads nor writes text")):
        with pytest.raises(SystemExit):
            evaluate.main(["--model_dir", str(tmp_path / folder), "--unipen",
                           str(tmp_path / "unipen"), *flags])
        assert said in capsys.readouterr().err
