"""writer.Writer.write: the stop rule on a model whose outputs are fixed, its input checks,
style priming, batches, and scoring a synthesis model against a line-by-line oracle."""

import numpy as np
import pytest
import reference
import tensorflow as tf
import tiny

from config import Config
from evaluate import overrun_lines, page_figures, score_lines, stop_figures
from lstm import char_positions, window_weights
from mixture import mixture_from_outputs
from model import HandwritingModel, MixtureNetwork, SynthesisModel
from text import encode_text
from utils import to_model_units
from writer import POINTS_PER_CHAR, Writer

ALPHABET = " .abcdefghijklmnopqrstuvwxyz"
PEN_UP_EVERY = 4  # the scripted writer lifts its pen on every 4th point


class ScriptedNetwork(SynthesisModel):
    """A synthesis model whose step is scripted: the window moves `pace` characters a
    step (all components together, width 1/sqrt(4)), and the pen lifts on every 4th
    point. Its state is the step count."""

    def __init__(self, pace, mixture=None):
        """mixture: the outputs (z_pi, mu1, mu2, z_sigma1, z_sigma2, z_rho), M of each,
        of every step; by default one component, steps of about one model unit."""
        mixture = np.zeros(6, np.float32) if mixture is None else mixture
        super().__init__(Config(synthesis=True, rnn_size=4, num_layers=1,
                                num_mixture=len(mixture) // 6, window_mixtures=2,
                                alphabet=ALPHABET))
        self.build()
        self.pace = pace
        self.mixture = tf.constant(mixture, tf.float32)

    def zero_state(self, batch_size):
        return (tf.zeros([batch_size]),)

    def step(self, x, chars, state):
        t = state[0]
        kappa = tf.repeat((self.pace * (t + 1))[:, None], 2, axis=1)
        alpha, beta = tf.ones_like(kappa), 4.0 * tf.ones_like(kappa)
        phi = window_weights(alpha, beta, kappa, char_positions(tf.shape(chars)[1]))
        pen_up = tf.math.floormod(t + 1, PEN_UP_EVERY) == 0
        z_e = tf.where(pen_up, -30.0, 30.0)  # e = sigmoid(-z_e): certain either way
        mixture = tf.tile(self.mixture[None], [tf.shape(t)[0], 1])
        z = tf.concat([z_e[:, None], mixture], axis=1)
        return z, (t + 1,), (phi, alpha, beta, kappa)


def scripted(pace, mixture=None):
    """A Writer of a ScriptedNetwork."""
    return Writer(ScriptedNetwork(pace, mixture))


@pytest.mark.parametrize("text", ["abc", "hello", "a b", "ab", "abcdef", "ab.", "a b c."])
def test_the_line_ends_at_the_first_pen_lift_after_the_window_passes_the_text(text):
    pace = 0.2
    strokes, info = scripted(pace).write(text, seed=0)
    # kappa_t = pace (t + 1), the window's peak on character round(kappa): phi(U + 1) >
    # phi(U) from kappa > U + 1/2 on
    past = next(t for t in range(1000) if pace * (t + 1) > len(text) + 0.5)
    # the line ends at the first pen lift from the step before the rule holds on (the
    # point that step drew is the input the rule looks at)
    lift = lambda t: next(s for s in range(t - 1, 1000) if (s + 1) % PEN_UP_EVERY == 0)  # noqa: E731
    # text.end_mark: a space after a last letter, on which the peak must rest a second step
    end = lift(past + 1) if text[-1].isalnum() else lift(past)
    if len(text) % PEN_UP_EVERY == 2 and text[-1].isalnum():  # here a stroke longer
        assert end > lift(past)
    assert info["stop"] == "end"
    assert len(strokes) == end + 1  # the stroke in hand is finished, nothing after it
    assert strokes[-1, 2] == 1
    assert info["phi"].shape == (end + 1, len(text))


def test_a_window_that_never_reaches_the_end_stops_at_the_budget():
    strokes, info = scripted(pace=0.01).write("abc", seed=0)
    # the budget counts the end mark a character (text.end_mark)
    assert info["stop"] == "budget" and len(strokes) == POINTS_PER_CHAR * 4


def test_rows_of_a_batch_stop_on_their_own():
    texts = ["ab", "abcdefg", "abcd"]
    strokes, infos = scripted(0.25).write(texts, seed=0)
    alone = [scripted(0.25).write(t, seed=0)[0] for t in texts]
    assert [len(s) for s in strokes] == [len(s) for s in alone]
    assert [i["stop"] for i in infos] == ["end"] * 3


class PageWriter:
    """write_page as page_figures calls it, with windows made to order: a line whose
    seed is in `lost` reaches its last character a fifth of the way in (final-character
    share 4/5 U, over 2 for U = 4), the others on their last step."""

    def __init__(self, lost):
        self.lost, self.calls = lost, []

    def write_page(self, lines, bias, seed, style, tries):
        self.calls.append((seed, style, tries))
        infos = []
        for i, text in enumerate(lines):
            steps, last = 100, len(text) - 1
            first = 20 if seed + i in self.lost else steps - 1
            peaks = np.minimum(np.arange(steps) * last // first, last)
            infos.append({"phi": np.eye(len(text))[peaks]})
        return [None] * len(lines), infos


def test_page_figures_count_the_lines_and_pages_that_lose_the_text():
    lines = ["abcd", "efgh", "ijkl"]
    # pages on seeds 10, 13, 16, 19: page 1 loses its line 2 (seed 15), page 3 two lines
    writer = PageWriter(lost={15, 19, 21})
    figures = page_figures(writer, lines, pages=4, bias=0.5, seed=10, style="hand-2", tries=3)
    assert writer.calls == [(10, "hand-2", 3), (13, "hand-2", 3), (16, "hand-2", 3),
                            (19, "hand-2", 3)]
    assert figures["page_lines"] == 12 and figures["pages"] == 4
    assert figures["page_lines_above_2"] == 3 and figures["pages_losing_a_line"] == 2
    # (T - t0) U / T with T = 100, t0 = 20, U = 4
    assert figures["page_share_max"] == pytest.approx(80 * 4 / 100)
    assert figures["page_shares"][0] == [pytest.approx(4 / 100)] * 3


def test_stop_figures_count_the_ends_and_measure_the_final_character():
    pace, texts = 0.25, ["abc", "hello", "a b", "abcdefg"]
    figures = stop_figures(scripted(pace), texts)
    shares = []
    for text in texts:
        u = len(text)
        # the window peaks on character u (of 1..u) once kappa is nearer u than u - 1
        first = next(t for t in range(1000) if pace * (t + 1) > u - 0.5)
        past = next(t for t in range(1000) if pace * (t + 1) > u + 0.5)
        end = next(t for t in range(past, 1000) if (t + 1) % PEN_UP_EVERY == 0)
        shares.append((end + 1 - first) / ((end + 1) / u))
    assert {k: figures[k] for k in ("stopped_by_rule", "hit_budget", "clean")} == {
        "stopped_by_rule": 4, "hit_budget": 0, "clean": 4}
    assert figures["final_character_share_median"] == pytest.approx(np.median(shares))
    assert figures["final_character_share_p90"] == pytest.approx(np.percentile(shares, 90))
    assert figures["final_character_share_above_2"] == sum(s > 2 for s in shares)
    # a window too slow for the budget: the last character never reached, no share
    slow = stop_figures(scripted(0.01), ["abc"])
    assert slow["hit_budget"] == 1 and slow["clean"] == 0
    assert "final_character_share_median" not in slow


def test_the_writer_never_draws_from_a_resting_pen():
    # two components: a pen at rest (mean 0, spread 0.05 tablet units) with pi 0.98,
    # and steps of (1, 0) model units (20 tablet units, data_scale 20)
    mixture = np.array([2.0, -2.0, 0.0, 1.0, 0.0, 0.0, -6.0, -3.0, -6.0, -3.0, 0.0, 0.0],
                       np.float32)
    for bias in (0.0, 2.0):
        strokes, info = scripted(0.25, mixture).write("abc", bias=bias, seed=3)
        assert np.allclose(info["params"]["pi"][:, 0], 0.0)
        # every step is the moving component's: 20 units, give or take its spread
        np.testing.assert_allclose(strokes[:, 0], 20.0, atol=20 * 4 * np.exp(-3.0))
        assert info["stop"] == "end"


# ---------------------------------------------------------------- a real (tiny) network


@pytest.fixture(scope="module")
def writer(tmp_path_factory):
    """A Writer of a tiny untrained synthesis model."""
    return Writer(tiny.save_tiny_model(tmp_path_factory.mktemp("writer"), synthesis=True,
                                       alphabet=ALPHABET, num_layers=2))


@pytest.mark.parametrize("text, style, match", [
    ("hello World", None, r"'W'"),
    ("", None, "non-empty"),
    ("   ", None, "non-empty"),
    ("a" * 101, None, "at most 100"),
    ("hello", (np.zeros((5, 3)), ""), "text its strokes write"),
    ("hello", (np.zeros((5, 3)), "Caps"), r"'C'"),
    ("hello", (np.zeros((1, 3)), "a"), "at least two points"),
])
def test_bad_input_is_a_clear_value_error(writer, text, style, match):
    with pytest.raises(ValueError, match=match):
        writer.write(text, style=style)


def test_a_seed_reproduces_a_line_and_batch_rows_equal_single_writes(writer):
    texts = ["abc", "hello there", "z"]
    strokes, infos = writer.write(texts, bias=0.5, seed=[4, 5, 6])
    for text, seed, got, info in zip(texts, [4, 5, 6], strokes, infos):
        alone, alone_info = writer.write(text, bias=0.5, seed=seed)
        assert len(alone) == len(got) and info["stop"] == alone_info["stop"]
        np.testing.assert_allclose(got, alone, rtol=1e-4, atol=1e-3)
        np.testing.assert_allclose(info["phi"], alone_info["phi"], rtol=1e-4, atol=1e-5)
    again, _ = writer.write("abc", bias=0.5, seed=4)
    np.testing.assert_array_equal(again, writer.write("abc", bias=0.5, seed=4)[0])


def test_a_bias_a_line_writes_each_line_as_alone_at_its_bias(writer):
    texts, biases = ["abc", "hello there", "z"], [0.0, 2.0, 0.5]
    strokes, infos = writer.write(texts, bias=biases, seed=[4, 5, 6], tries=2)
    for text, bias, seed, got, info in zip(texts, biases, [4, 5, 6], strokes, infos):
        alone, alone_info = writer.write(text, bias=bias, seed=seed, tries=2)
        assert len(alone) == len(got)
        np.testing.assert_allclose(got, alone, rtol=1e-4, atol=1e-3)
        np.testing.assert_allclose(info["params"]["sigma1"], alone_info["params"]["sigma1"],
                                   rtol=1e-4)
    # the bias reaches the mixture: sigma shrinks by e^-bias (eq. 62)
    sharp, _ = writer.write(texts, bias=biases, seed=[4, 5, 6])
    assert not np.allclose(sharp[0][:5], writer.write("abc", bias=1.0, seed=4)[0][:5])
    with pytest.raises(ValueError, match="2 biases for 3 texts"):
        writer.write(texts, bias=[0.0, 1.0])
    with pytest.raises(ValueError, match="0 or more"):
        writer.write(texts, bias=[0.0, -1.0, 1.0])


def test_a_style_primes_the_writing(writer):
    style_strokes, _ = writer.write("some words", bias=1.0, seed=11)
    plain, _ = writer.write("abc", seed=3)
    styled, info = writer.write("abc", seed=3, style=(style_strokes, "some words"))
    same_style, _ = writer.write("abc", seed=3, style=(style_strokes, "some words"))
    other, _ = writer.write("abc", seed=3, style=(style_strokes[::-1].copy(), "some words"))
    n = min(len(plain), len(styled), len(other))
    # the same noise, another state to start from: another line
    assert not np.allclose(plain[:n], styled[:n], atol=1e-2)
    assert not np.allclose(other[:n], styled[:n], atol=1e-2)
    np.testing.assert_array_equal(styled, same_style)
    assert info["phi"].shape[1] == 3  # the window over the new text only


def noise_lines(rng, lengths):
    """Lines of random steps (tablet units, a pen lift about every 10th point) in model
    units, one of each length."""
    lines = []
    for n in lengths:
        raw = np.rint(rng.normal(0, 15, (n, 3))).astype(np.float32)
        raw[:, 2] = rng.random(n) < 0.1
        raw[0] = 0
        lines.append(to_model_units(raw, 500, 20))
    return lines


def share_alone(network, line, text):
    """The oracle of the final character's share: the line run alone through the
    network, where its window first peaks on the last character, over the steps the line
    is scored on; None if it never does."""
    x = np.concatenate([[[0, 0, 1]], line[1:-1]]).astype(np.float32)[None]
    chars = np.array([[ALPHABET.find(c) + 1 for c in text]], np.int32)
    peaks = np.argmax(network.run(x, chars)[2][0].numpy(), axis=1)
    on_last = np.flatnonzero(peaks == len(text) - 1)
    return (len(peaks) - on_last[0]) * len(text) / len(peaks) if len(on_last) else None


def test_score_lines_of_a_synthesis_model_equals_a_line_by_line_oracle(writer):
    """evaluate.score_lines batches, pads and buckets lines; the oracle runs every
    line alone through the network and takes eq. 26 from tests/reference.py."""
    texts = ["abc", "hello world", "z", "queue"]
    lines = noise_lines(np.random.default_rng(0), (40, 130, 70, 300))
    got = score_lines(writer.network, lines, texts)
    nll, points = reference.line_by_line_nll(writer.network, lines, texts)
    assert got["points"] == points
    assert got["nll_per_point_model"] == pytest.approx(nll.sum() / points, rel=1e-4)
    # the final character's share, each line alone
    shares = [share for line, text in zip(lines, texts)
              if (share := share_alone(writer.network, line, text)) is not None]
    assert shares  # an untrained window drifts onto the last character of some line
    assert got["final_character_share_median"] == pytest.approx(np.median(shares))
    assert got["final_character_share_p90"] == pytest.approx(np.percentile(shares, 90))
    with pytest.raises(ValueError, match="texts"):
        score_lines(writer.network, lines)


def test_overrun_lines_are_those_whose_window_ends_late_or_never_line_by_line(writer):
    """The oracle runs every line alone and finds where its window first peaks on the
    last character: a line overruns if that leaves more than 2 characters' worth of
    steps, or never happens."""
    texts = ["ab", "hello world", "abcdef", "queue", "a", "zzzzzzzzzzzzzzzz", "xyz", "ab c"]
    lines = noise_lines(np.random.default_rng(1), (300, 40, 200, 120, 60, 90, 250, 30))
    shares = [share_alone(writer.network, line, text) for line, text in zip(lines, texts)]
    want = [k for k, share in enumerate(shares) if share is None or share > 2]
    assert 0 < len(want) < len(lines)  # both kinds among these lines
    assert overrun_lines(writer.network, lines, texts) == want


def test_the_network_reads_the_text_and_the_networks_share_only_what_they_share(writer):
    network = writer.network
    x = np.zeros((1, 5, 3), np.float32)
    chars = encode_text("abc", ALPHABET)[None]
    params = mixture_from_outputs(network.outputs_for(x, chars))
    z, _ = network(tf.constant(x), tf.constant(chars))
    want = reference.mixture(z.numpy())
    for k in ("e", "pi", "rho"):
        np.testing.assert_allclose(params[k], want[k], rtol=1e-4, atol=1e-6)
    with pytest.raises(ValueError, match="texts"):
        network.outputs_for(x)
    # the two networks share their mixture head; writing with them is the writer's
    assert not hasattr(network, "sample") and not hasattr(network, "write")
    assert isinstance(network, MixtureNetwork) and not isinstance(network, HandwritingModel)


# ---------------------------------------------------------------- the best of several tries


class RecordingReader:
    """A stand-in recogniser that reads every line as `readings` say, by its place in
    the call, and keeps the lines it was given."""

    def __init__(self, readings):
        self.readings, self.lines = readings, []

    def read(self, lines):
        self.lines = list(lines)
        return [self.readings(i) for i in range(len(lines))]


@pytest.fixture(scope="module")
def tiny_writer(tmp_path_factory):
    return Writer(tiny.save_tiny_model(tmp_path_factory.mktemp("writer"), synthesis=True,
                                       alphabet=tiny.ALPHABET, num_layers=2))


def test_tries_keep_the_candidate_the_reader_reads_best(tiny_writer):
    texts = ["ab", "cab ba"]
    # try 2 of line 0 and try 1 of line 1 (rows 4 and 3 of the call) read right
    right = {4: "ab", 3: "cabba"}
    reader = RecordingReader(lambda row: right.get(row, "zz"))
    tiny_writer.reader = reader
    try:
        strokes, infos = tiny_writer.write(texts, seed=[3, 4], tries=3)
    finally:
        tiny_writer.reader = None
    np.testing.assert_array_equal(strokes[0], reader.lines[4])
    np.testing.assert_array_equal(strokes[1], reader.lines[3])
    assert [i["reading"] for i in infos] == ["ab", "cabba"]
    assert [i["tries"] for i in infos] == [3, 3] and [i["seed"] for i in infos] == [3, 4]
    # the first try of each line is the line tries=1 writes
    alone, alone_infos = tiny_writer.write(texts, seed=[3, 4])
    for row in range(2):
        np.testing.assert_array_equal(reader.lines[row], alone[row])
    assert alone_infos[0]["tries"] == 1 and alone_infos[0]["reading"] is None


def test_styled_tries_prime_each_line_once_and_begin_with_the_one_try_line(tiny_writer,
                                                                            monkeypatch):
    style = (tiny_writer.write("ba", seed=1)[0], "ba")
    texts, primed_rows = ["ab", "cab"], []
    prime_state = tiny_writer.prime_state

    def spy(strokes, chars):
        primed_rows.append(len(chars))
        return prime_state(strokes, chars)

    monkeypatch.setattr(tiny_writer, "prime_state", spy)
    tiny_writer.reader = reader = RecordingReader(lambda row: "")
    try:
        tiny_writer.write(texts, seed=[3, 4], style=style, tries=3)
    finally:
        tiny_writer.reader = None
    assert primed_rows == [2]  # the six rows' state comes from two primed lines
    alone, _ = tiny_writer.write(texts, seed=[3, 4], style=style)
    for row in range(2):  # primed in a batch of another size: the same up to rounding
        np.testing.assert_allclose(reader.lines[row], alone[row], atol=1e-3)


class CallsReader:
    """A stand-in recogniser that reads nothing and keeps the lines of every call."""

    def __init__(self):
        self.calls = []

    def read(self, lines):
        self.calls.append(list(lines))
        return ["" for _ in lines]


def test_a_line_whose_every_try_loses_the_text_is_written_again_with_new_tries(
        tiny_writer, monkeypatch):
    import writer as writer_module

    monkeypatch.setattr(writer_module, "lost_the_text", lambda info: info["text"] == "cab")
    tiny_writer.reader = reader = CallsReader()
    try:
        strokes, infos = tiny_writer.write(["ab", "cab"], seed=[3, 4], tries=2)
        alone, alone_info = tiny_writer.write("cab", seed=4, tries=2)
    finally:
        tiny_writer.reader = None
    assert [i["tries"] for i in infos] == [2, 4] and alone_info["tries"] == 4
    first, again, alone_first, alone_again = reader.calls
    assert [len(c) for c in reader.calls] == [4, 2, 2, 2]  # only "cab" is written again
    assert not {line.tobytes() for line in again} & {line.tobytes() for line in first}
    # what a line gets does not depend on what is written beside it
    for mine, theirs in zip(again + [first[1], first[3]], alone_again + alone_first):
        np.testing.assert_array_equal(mine, theirs)
    np.testing.assert_array_equal(strokes[1], alone)
    # one try is the model's own line: never written again
    tiny_writer.reader = reader = CallsReader()
    try:
        _, info = tiny_writer.write("cab", seed=4)
    finally:
        tiny_writer.reader = None
    assert info["tries"] == 1 and [len(c) for c in reader.calls] == [1]


def test_tries_are_deterministic_and_a_line_does_not_depend_on_its_neighbours(tiny_writer):
    class ByLength:  # reads a line by its length alone: a preference of its content
        def read(self, lines):
            return ["ab"[: len(line) % 3] for line in lines]

    tiny_writer.reader = ByLength()
    try:
        one, info = tiny_writer.write("ab", seed=9, tries=4)
        again, _ = tiny_writer.write("ab", seed=9, tries=4)
        beside, _ = tiny_writer.write(["ca b", "ab"], seed=[5, 9], tries=4)
    finally:
        tiny_writer.reader = None
    np.testing.assert_array_equal(one, again)
    np.testing.assert_array_equal(one, beside[1])
    assert info["reading"] == "ab"[: len(one) % 3]
    # the tries differ from each other: four lines, not one four times
    tiny_writer.reader = RecordingReader(lambda row: "")
    try:
        tiny_writer.write("ab", seed=9, tries=4)
    finally:
        lines, tiny_writer.reader = tiny_writer.reader.lines, None
    assert len({line.tobytes() for line in lines}) == 4


@pytest.mark.parametrize("tries", [0, -1, 1.5, 17, "2"])
def test_a_bad_number_of_tries_is_refused(tiny_writer, tries):
    with pytest.raises(ValueError, match="tries must be a whole number from 1 to 16"):
        tiny_writer.write("ab", tries=tries)


def candidate(stop="end", peaks=(0, 1, 2), text="abc"):
    phi = np.eye(len(text))[list(peaks)]
    return {"text": text, "stop": stop, "phi": phi}


def test_best_try_prefers_what_reads_right_and_never_a_lost_line():
    from measures import best_try

    # by reading: fewest edits over characters, spaces ignored; ties to the earlier
    assert best_try([("abd", candidate()), ("abc", candidate()), ("a bc", candidate())]) == 1
    # a line that ran out of budget, or wrote on long after its text, loses to a worse
    # reading that ended cleanly: share (T - t0) U / T = (9 - 1) 3 / 9 > 2
    lost = candidate(peaks=(0, 2, 2, 2, 2, 2, 2, 2, 2))
    assert best_try([("abc", lost), ("xyz", candidate())]) == 1
    assert best_try([("abc", candidate(stop="budget")), ("xyz", candidate())]) == 1
    # without a reader: the first that ends cleanly
    assert best_try([(None, lost), (None, candidate(stop="budget")), (None, candidate())]) == 2
    assert best_try([(None, lost), (None, lost)]) == 0


def test_with_max_tries_a_misread_line_is_written_again_until_a_try_reads_right(tiny_writer):
    class RightOnCall:  # misreads every line until its `right`-th call, then reads right
        def __init__(self, right):
            self.right, self.calls = right, []

        def read(self, lines):
            self.calls.append(len(lines))
            good = len(self.calls) >= self.right
            return ["ab" if good else "zz" for _ in lines]

    for max_tries, right, calls, tries_drawn, read_right in [
            (None, 9, [2], 2, False),  # without max_tries: two tries, and it says so
            (6, 2, [2, 2], 4, True),  # the second round reads right: it stops there
            (6, 9, [2, 2, 2], 6, False),  # never read right: max_tries, and no more
            (5, 9, [2, 2], 4, False)]:  # a round never goes past max_tries
        tiny_writer.reader = reader = RightOnCall(right)
        try:
            _, info = tiny_writer.write("ab", seed=2, tries=2, max_tries=max_tries)
        finally:
            tiny_writer.reader = None
        assert reader.calls == calls and info["tries"] == tries_drawn
        assert info["read_right"] is read_right
        assert info["reading"] == ("ab" if read_right else "zz")
    assert tiny_writer.write("ab", seed=2)[1]["read_right"] is None  # no reader
    with pytest.raises(ValueError, match="max_tries must be a whole number from tries"):
        tiny_writer.write("ab", tries=3, max_tries=2)


def test_an_accented_letter_is_written_as_its_letter_with_the_mark_added(tiny_writer):
    plain, plain_info = tiny_writer.write("cab ba", seed=6)
    accented, info = tiny_writer.write("cáb bä", seed=6)
    assert info["text"] == "cáb bä" and info["marks"] == [(1, "acute"), (5, "diaeresis")]
    # the network wrote the same letters; the marks are three strokes more
    assert accented[:, 2].sum() == plain[:, 2].sum() + 3
    assert len(info["phi"]) == len(info["params"]["e"]) == len(accented)
    # and every point of the plain line is where it was
    a, p = np.cumsum(accented[:, :2], 0), np.cumsum(plain[:, :2], 0)
    assert np.abs(a[None] - p[:, None]).sum(-1).min(1).max() < 1e-2
    with pytest.raises(ValueError, match="'ж'"):
        tiny_writer.write("cáb ж")
