"""What writing is, apart from the networks that hold the weights (model.py): the
compiled loops that draw points from the mixture and feed them back, priming with a
hand (Graves section 5.5), the stop rule at the end of a text, tries of a line and the
reader that picks the best, named hands, and pages.

    from model import load_model
    free = load_model("save")                  # a FreeWriter: free.sample(800)
    writer = load_model("save/synthesis")      # a Writer: writer.write("a text")

A network gives one step (network.step) or one pass over a line (network(x)); a writer
runs it. Paper layout, accents and the browser's export plug in here.
"""

import os
from pathlib import Path

import numpy as np
import tensorflow as tf

from accents import add_marks
from config import MAX_TRIES
from iam_ondb import checked_line, read_hand_file
from lstm import char_positions, window_weights
from measures import best_try, lost_the_text, reads_as
from mixture import (
    NOISE_KEYS,
    PARAM_KEYS,
    batch_noise,
    draw_point,
    mixture_from_outputs,
    without_resting_pen,
)
from paper import Paper, shape_of, write_document
from text import (
    FINAL_MARKS,
    check_line,
    check_seed,
    check_seeds,
    encode_text,
    end_mark,
    fresh_seed,
    hand_of,
    letters_of,
    pad_texts,
    page_plan,
    split_marks,
    try_seeds,
)
from utils import (
    START,
    inputs_and_targets,
    mixture_to_tablet_units,
    to_model_units,
    to_tablet_units,
)

POINTS_PER_CHAR = 60  # write()'s budget, the stop rule's guard: IAM-OnDB writes ~22


def check_tries(tries, max_tries):
    """A ValueError unless tries (1 to MAX_TRIES) and max_tries (None, or tries to
    MAX_TRIES) are whole numbers in range."""
    if not (isinstance(tries, (int, np.integer)) and 1 <= tries <= MAX_TRIES):
        raise ValueError(f"tries must be a whole number from 1 to {MAX_TRIES}, not {tries}")
    if max_tries is not None and not (isinstance(max_tries, (int, np.integer))
                                      and tries <= max_tries <= MAX_TRIES):
        raise ValueError(f"max_tries must be a whole number from tries ({tries}) to "
                         f"{MAX_TRIES}, not {max_tries}")


def check_biases(bias, rows):
    """A bias for write: one number >= 0 for every text, or a list of one a text ->
    [rows] float32, or a ValueError."""
    out = np.broadcast_to(np.asarray(bias, np.float32), [rows]) if np.ndim(bias) == 0 or \
        len(bias) == rows else None
    if out is None:
        raise ValueError(f"{len(bias)} biases for {rows} texts: give one bias, or one a text")
    if not np.isfinite(out).all() or (out < 0).any():
        raise ValueError(f"a bias is a number of 0 or more, not {bias}")
    return out


def draw_from(params, noise_t, t):
    """draw_point for step t, with that step's noise from noise_t (TensorArrays)."""
    return draw_point(params, *(noise_t[k].read(t) for k in NOISE_KEYS))


def priming_line(strokes, config):
    """A line to prime a network with (Graves section 5.5), [T, 3] in tablet units
    -> (its inputs [T - 1, 3] in model units, the input that follows them)."""
    strokes = checked_line(strokes, "the priming line")
    x, y = inputs_and_targets(to_model_units(strokes, config.limit, config.data_scale))
    return x, y[-1]


def in_tablet_units(points, mixtures, num_points, data_scale):
    """A loop's output (points [capacity, B, 3] and the mixture of every step, model
    units, time first) -> its first num_points steps, batch first, in tablet units:
    (strokes [B, num_points, 3], mixtures {e, pi, ...} [B, num_points, ...])."""
    batch_first = lambda v: tf.experimental.numpy.swapaxes(v[:num_points], 0, 1)  # noqa: E731
    return (to_tablet_units(batch_first(points), data_scale),
            mixture_to_tablet_units({k: batch_first(v) for k, v in mixtures.items()},
                                    data_scale))


def sample_loop(network, num_points, bias, first, state, noise):
    """The sampler in TensorFlow ops: num_points steps of network (a
    model.HandwritingModel) from the input first [B, 3] and state, each point drawn
    (with the noise of sampling_noise) from the mixture the network gives and fed back
    in. Returns (points [capacity, B, 3], the mixture of every step, {e, pi, mu1, ...}
    [capacity, B, ...]) in model units, time first; rows from num_points on are zeros.
    FreeWriter.sample runs it compiled by XLA; export.py traces it into a SavedModel
    as it is."""
    # static under XLA (fixed-size buffers), dynamic in an exported graph
    capacity = tf.shape(noise["uniform"])[0]
    new = lambda: tf.TensorArray(tf.float32, size=capacity)  # noqa: E731
    noise_t = {k: new().unstack(v) for k, v in noise.items()}

    def step(t, x, state, points, history):
        z, state = network.step(x, state)
        params = mixture_from_outputs(z, bias)
        x = draw_from(params, noise_t, t)
        history = {k: history[k].write(t, params[k]) for k in PARAM_KEYS}
        return t + 1, x, state, points.write(t, x), history

    history = {k: new() for k in PARAM_KEYS}
    _, _, _, points, history = tf.while_loop(
        lambda t, *_: t < num_points, step, (0, first, state, new(), history))
    return points.stack(), {k: v.stack() for k, v in history.items()}


def write_loop(network, budget, bias, first, state, chars, text_lengths, noise):
    """The writer in TensorFlow ops: from input first [B, 3] and state, points are
    drawn from network (a model.SynthesisModel) and fed back until each row stops (the
    window past its text_lengths[b] characters and the pen lifted) or reaches
    budget[b] points. chars: int [B, U]; bias: a scalar, or [B, 1] a row. A text that
    ends in a space (text.end_mark, after a last letter) ends once the window has rested
    on that space, rather than once it has left the letter before it.
    Returns (points [capacity, B, 3] in model units, the mixture of every step
    {e, pi, mu1, ...} [capacity, B, ...], phi [capacity, B, U], the length of each
    row, its stop: 1 by the rule, 2 by the budget)."""
    capacity = tf.shape(noise["uniform"])[0]
    space = network.alphabet.find(" ") + 1  # its code; 0 (never a text's) without one
    marked = tf.gather(chars, text_lengths - 1, axis=1, batch_dims=1) == space
    chars = network.one_hot(chars)
    positions = char_positions(tf.shape(chars)[1])
    in_text = positions[None] <= tf.cast(text_lengths, tf.float32)[:, None]
    after_text = tf.cast(text_lengths + 1, tf.float32)[:, None]
    new = lambda: tf.TensorArray(tf.float32, size=capacity)  # noqa: E731
    noise_t = {k: new().unstack(v) for k, v in noise.items()}

    def step(t, x, state, done, run, peak, reached, lengths, stops, points, history, phis):
        z, state, (phi, alpha, beta, kappa) = network.step(x, chars, state)
        phi_text = tf.where(in_text, phi, -1.0)
        phi_last = tf.gather(phi, text_lengths - 1, axis=1, batch_dims=1)
        # the window's peak has stayed on the last character (peak > 0), two steps
        # at least, so that a component running ahead of the others for a moment
        # cannot end the line early ...
        at = tf.argmax(phi_text, axis=-1, output_type=tf.int32)
        run = tf.where(at == text_lengths - 1, run + 1, 0)
        peak = tf.where(run >= 2, tf.maximum(peak, phi_last), peak)
        reached = reached | (at >= text_lengths - 2)
        # ... and has moved past it: Graves' rule, phi(t, U + 1) > phi(t, u) for every
        # u <= U, or gone from it altogether (a window can jump past U + 1, where
        # phi stays small). With an end mark, resting on it is enough: the window
        # comes to it once the last letter is finished (or jumps past it from there)
        graves = (window_weights(alpha, beta, kappa, after_text)[:, 0]
                  > tf.reduce_max(phi_text, axis=-1))
        past_end = tf.where(marked, (run >= 2) | (reached & graves),
                            (peak > 0) & (graves | (phi_last < 0.5 * peak)))
        # the window has read the last stroke and the pen is up: nothing more to draw
        ended = ~done & past_end & (x[:, 2] > 0.5) & (t > 0)
        done = done | ended
        params = mixture_from_outputs(without_resting_pen(z, network.config.data_scale), bias)
        x = draw_from(params, noise_t, t)
        history = {k: history[k].write(t, params[k]) for k in PARAM_KEYS}
        # ... or it finishes the stroke it is in
        ended_now = ~done & past_end & (x[:, 2] > 0.5)
        out_of_budget = ~done & ~ended_now & (t + 1 >= budget)
        lengths = tf.where(done, lengths, t + 1)
        stops = tf.where(ended | ended_now, 1, tf.where(out_of_budget, 2, stops))
        return (t + 1, x, state, done | ended_now | out_of_budget, run, peak, reached,
                lengths, stops, points.write(t, x), history, phis.write(t, phi))

    batch = tf.shape(first)[0]
    zeros, no = tf.zeros([batch], tf.int32), tf.zeros([batch], tf.bool)
    *_, lengths, stops, points, history, phis = tf.while_loop(
        lambda t, x, state, done, *_: (t < capacity) & ~tf.reduce_all(done), step,
        (0, first, state, no, zeros, tf.zeros([batch]), no, zeros, zeros, new(),
         {k: new() for k in PARAM_KEYS}, new()))
    return (points.stack(), {k: v.stack() for k, v in history.items()}, phis.stack(),
            lengths, stops)



class FreeWriter:
    """Writes freely (section 4) with a network that reads no text
    (model.HandwritingModel): sample."""

    def __init__(self, network):
        self.network = network
        self._sample_loop = tf.function(
            lambda *args: sample_loop(network, *args), jit_compile=True)

    @property
    def config(self):
        return self.network.config

    def prime_state(self, strokes):
        """Run a line through the network (Graves, section 5.5). strokes: [T, 3] in
        tablet units, as raw_data. Returns (state, the next input) to sample from."""
        x, following = priming_line(strokes, self.config)
        _, state = self.network(tf.constant(x[None]))
        return state, following

    def sample(self, num_points=800, num_samples=1, seed=None, bias=0.0, prime=None):
        """Draw handwriting: num_points steps fed back into the network, state carried.

        Returns (strokes, params): strokes [num_points, 3] of (dx, dy, eos) in tablet
        units (a leading num_samples axis when num_samples > 1), and the mixture each
        point was drawn from (dict of e, pi, mu1, mu2, sigma1, sigma2, rho per step,
        mu and sigma in tablet units too). bias >= 0 sharpens (eq. 61-62); prime is a
        line ([T, 3] tablet-unit strokes) to continue, in its writer's style. seed: one
        of text.SEED_RANGE, or a list of num_samples of them, one per sample
        (batch_noise); none: a fresh one.
        """
        if num_points < 1 or num_samples < 1:
            raise ValueError("num_points and num_samples must be positive")
        seed = check_seeds(seed, num_samples)
        if prime is None:
            state, first = self.network.zero_state(num_samples), np.array(START, np.float32)
        else:
            state, first = self.prime_state(prime)
            state = tf.nest.map_structure(lambda s: tf.repeat(s, num_samples, axis=0), state)
        noise = batch_noise(seed, num_points, num_samples, self.config.num_mixture)
        first = tf.tile(tf.constant(first, tf.float32)[None], [num_samples, 1])
        points, mixtures = self._sample_loop(
            tf.constant(num_points), tf.constant(bias, tf.float32), first, state, noise)
        strokes, params = in_tablet_units(points, mixtures, num_points, self.config.data_scale)
        strokes, params = strokes.numpy(), {k: v.numpy() for k, v in params.items()}
        if num_samples == 1:
            return strokes[0], {k: v[0] for k, v in params.items()}
        return strokes, params


class Writer:
    """Writes a text (section 5) with a network that reads one through a soft window
    (model.SynthesisModel): write and write_page, in the model's own hand or a named
    one (styles), the best of several tries as reader (a Recognizer, if set) reads them.
    """

    def __init__(self, network, reader=None, styles=None):
        self.network = network
        self.reader = reader  # picks the best of write's tries, and says what it reads
        self.styles = dict(styles or {})  # named hands: {name: (strokes, text)}
        self._write_loop = tf.function(
            lambda *args: write_loop(network, *args), jit_compile=True)

    @property
    def config(self):
        return self.network.config

    @property
    def alphabet(self):
        return self.network.alphabet

    def prime_state(self, strokes, chars):
        """Run a line of writing and its text through the network (Graves section 5.5).
        strokes: [T, 3] in tablet units; chars: int [B, U], its text first, padded.
        Returns (state, the next input [B, 3]) to write on from."""
        x, following = priming_line(strokes, self.config)
        batch = len(chars)
        _, state = self.network(tf.tile(tf.constant(x[None]), [batch, 1, 1]), tf.constant(chars))
        return state, np.tile(following[None], [batch, 1])

    def write(self, text, bias=0.0, seed=None, style=None, tries=1, max_tries=None):
        """Write text in handwriting (Graves section 5.3).

        text: a string, or a list of strings written in one batched, compiled call; each is
        written as text.check_line cleans it (white space runs as one space) and must hold
        only characters of the alphabet. bias >= 0 sharpens the writing (eq. 61-62; for a
        list, one bias for all or one a text); seed makes it reproducible (for a list, one
        seed per text may be given, as batch_noise takes it); style = (strokes [T, 3] in
        tablet units, the text they write) primes the network so that the new text comes out
        in that hand (section 5.5). tries > 1 writes that many candidates of every line in
        the same batched call (the first is the line tries=1 writes) and keeps, per line,
        the one best_try prefers: the one self.reader (a Recognizer, if one is set) reads
        closest to its text, else one that ends by the stop rule without losing the text. A
        line whose every try loses the text (measures.lost_the_text) is written once more
        with as many new tries, and the best of all is kept. max_tries (tries to MAX_TRIES):
        a line whose every try the reader misreads is written again, tries more at a time,
        until a try reads as its text or max_tries were drawn.

        Returns (strokes, info): strokes [T, 3] of (dx, dy, eos) in tablet units, and
        info = {"text": the line written (an accented letter is written as its base
        letter, the mark added as a pen adds it: accents.add_marks; "marks" lists them),
        "phi": [T, len(text)] the window over it at
        every step, "params": the mixture each point was drawn from (as model.sample
        gives it), "stop": "end" when the stop rule ended the line, "budget" when the
        point budget (POINTS_PER_CHAR a character) did, "seed", "tries" (how many
        candidates were drawn), and
        "reading": what self.reader reads of the line, None without a reader, and
        "read_right": whether that reading is the text, spaces aside (None without a
        reader): False says that no try read right}. For a list, lists.

        The stop rule (write_loop): the window has reached the last character and
        moved past it (Graves: phi(t, U + 1) > phi(t, u) for every u <= U), and the
        pen is up: the last stroke is finished and nothing is drawn after the text.
        Points are drawn from the mixture without the components of a resting pen
        (mixture.without_resting_pen), which would otherwise hold the pen still at bias.
        """
        texts = [text] if isinstance(text, str) else list(text)
        if not texts:
            raise ValueError("nothing to write: give a text or a list of texts")
        style = self.hand(style)
        typed = [check_line(t) for t in texts]
        split = [split_marks(t) for t in typed]  # the letters the network writes
        texts = [letters for letters, _ in split]
        seed = check_seeds(seed, len(texts))
        bias = check_biases(bias, len(texts))
        check_tries(tries, max_tries)
        seeds = [seed] * len(texts) if np.ndim(seed) == 0 else seed
        candidates = self._candidates(texts, [seed, *try_seeds(seed, len(texts), tries)],
                                      seeds, bias, style)
        self._write_again(candidates, texts, seed, seeds, bias, style, tries, max_tries)
        kept = [tried[best_try([(reading, info) for _, info, reading in tried])]
                for tried in candidates]
        strokes, infos = [], []
        for (line, info, reading), tried, as_typed, (letters, marks) in zip(
                kept, candidates, typed, split):
            phi, params = info["phi"], info["params"]
            if marks:  # the window and the mixture follow the points the marks moved
                line, source = add_marks(line, phi, marks, letters)
                phi, params = phi[source], {k: v[source] for k, v in params.items()}
            strokes.append(line)
            infos.append({**info, "text": as_typed, "marks": marks, "phi": phi, "params": params,
                          "reading": reading, "tries": len(tried),
                          "read_right": None if reading is None else reads_as(reading, letters)})
        return (strokes[0], infos[0]) if isinstance(text, str) else (strokes, infos)

    def _write_again(self, candidates, texts, seed, seeds, bias, style, tries, max_tries):
        """Add to candidates (a list of tries a line) the lines written again: a line whose
        every try lost the text is written once more, with as many new tries (try k for
        k = tries ... 2 tries - 1): rare, so the usual cost stays; with max_tries, so is a
        line whose every try the reader misreads, tries more at a time, until one reads
        right or max_tries were drawn."""
        drawn, lines = tries, len(texts)
        while True:
            again = [i for i in range(lines)
                     if self._try_again(candidates[i], tries, drawn, max_tries)]
            if not again:
                return
            later = try_seeds(seed, lines, drawn + tries)[drawn - 1:]
            more = [[row[i] for i in again] for row in later]
            for i, extra in zip(again, self._candidates([texts[i] for i in again], more,
                                                        [seeds[i] for i in again], bias[again],
                                                        style)):
                candidates[i] += extra
            drawn += tries

    def _try_again(self, tried, tries, drawn, max_tries):
        """Whether a line's tries so far ([(strokes, info, reading)], drawn of them) call
        for tries more: every one lost the text (once), or, up to max_tries, every one
        the reader read was misread."""
        if tries == 1 or len(tried) < drawn:  # one try is the model's own line
            return False
        if all(lost_the_text(info) for _, info, _ in tried):
            return drawn == tries or (max_tries is not None and drawn + tries <= max_tries)
        misread = all(reading is not None and not reads_as(reading, info["text"])
                      for _, info, reading in tried)
        return misread and max_tries is not None and drawn + tries <= max_tries

    def _candidates(self, texts, try_noise_seeds, seeds, bias, style):
        """Every text written once for each entry of try_noise_seeds (the noise seeds of
        one try of every line, as batch_noise takes them), in one batched call: for each
        text, its tries [(strokes, info, what self.reader reads of it or None)], in order.
        seeds: the seed each text's info reports; bias: [lines], one a text."""
        tries, lines = len(try_noise_seeds), len(texts)
        rows = lines * tries  # try k of line i is row k * lines + i
        indices = [encode_text(t + end_mark(t, self.alphabet), self.alphabet)
                   for t in texts] * tries
        prefix = self._style_prefix(style)
        chars = pad_texts([np.concatenate([prefix, i]) for i in indices])
        if style is None:
            state = self.network.zero_state(rows)
            first = np.tile(np.array([START], np.float32), [rows, 1])
        else:
            # the tries of a line read the same text, so they start from the same primed
            # state: prime each line once and copy it, rather than prime every row
            state, first = self.prime_state(style[0], chars[:lines])
            state = tf.nest.map_structure(
                lambda s: tf.tile(s, [tries] + [1] * (s.shape.rank - 1)), state)
            first = np.tile(first, [tries, 1])
        budget = np.array([POINTS_PER_CHAR * len(i) for i in indices], np.int32)
        # noise (and so the loop's capacity) for the padded width, not the longest text:
        # one compiled loop per width, and a row's draws do not depend on the capacity
        capacity = POINTS_PER_CHAR * chars.shape[1]
        noise = [batch_noise(s, capacity, lines, self.config.num_mixture)
                 for s in try_noise_seeds]
        noise = {k: tf.concat([n[k] for n in noise], axis=1) for k in noise[0]}
        out = self._write_loop(
            tf.constant(budget), tf.constant(np.tile(bias, tries)[:, None]), tf.constant(first),
            state, tf.constant(chars), tf.constant([len(prefix) + len(i) for i in indices]),
            noise)
        strokes, infos = self._lines_written(out, texts * tries, list(seeds) * tries, len(prefix))
        readings = self.reader.read(strokes) if self.reader is not None else [None] * rows
        return [[(strokes[r], infos[r], readings[r]) for r in range(i, rows, lines)]
                for i in range(lines)]

    @property
    def first_hand(self):
        """The name of the model's first named hand ("hand-1"), the one a page is written
        in unless told otherwise, or None when it has none."""
        return min(self.styles) if self.styles else None

    def hand(self, style):
        """A style as write takes it: None, (strokes, text), a hand file (.json, as the web
        page downloads one: iam_ondb.read_hand_file), or the name of one of the model's
        named hands (self.styles, "hand-1", ...), looked up."""
        if isinstance(style, (str, os.PathLike)) and Path(style).suffix.lower() == ".json":
            return read_hand_file(style)
        if not isinstance(style, str):
            return style
        if style not in self.styles:
            names = ", ".join(sorted(self.styles)) or "none (its folder has no styles.json)"
            raise ValueError(f"unknown style {style!r}: this model's named hands are {names}")
        return self.styles[style]

    def _style_prefix(self, style):
        """The codes a style's text puts before every text: its text and a space, from
        which the window reads on; none without a style."""
        if style is None:
            return np.zeros(0, np.int32)
        if not isinstance(style[1], str) or not style[1].strip():
            raise ValueError("a style needs the text its strokes write")
        return encode_text(letters_of(style[1]) + " ", self.alphabet)

    def _lines_written(self, out, texts, seeds, prefix):
        """write_loop's output -> (strokes, infos), a line each, as write returns them."""
        points, mixtures, phis, lengths, stops = out
        points, mixtures = in_tablet_units(points, mixtures, points.shape[0],
                                           self.config.data_scale)
        points, phis = points.numpy(), phis.numpy()
        mixtures = {k: v.numpy() for k, v in mixtures.items()}
        strokes, infos = [], []
        for row, (n, stop) in enumerate(zip(lengths.numpy(), stops.numpy())):
            strokes.append(points[row, :n])
            infos.append({"text": texts[row],
                          "phi": phis[:n, row, prefix:prefix + len(texts[row])],
                          "params": {k: v[row, :n] for k, v in mixtures.items()},
                          "stop": "end" if stop == 1 else "budget", "seed": seeds[row]})
        return strokes, infos

    def write_page(self, lines, bias=0.0, seed=None, style=None, tries=1, max_tries=None,
                   write_rows=None):
        """Several lines in one hand, as text.page_plan plans a page: with a style, all
        of them in one batch primed with it; without, the first line, then the others
        primed with it. Line i has seed + i. Returns write's (strokes, infos) lists.
        write_rows(texts, seeds, biases, hand) -> (strokes, infos) runs each model call
        (a server's batcher: webapp.service), write's by default."""
        seed = fresh_seed() if seed is None else check_seed(seed)
        style = self.hand(style)
        write_rows = write_rows or self.rows_writer(tries, max_tries)
        lines = list(lines)
        strokes, infos = [None] * len(lines), [None] * len(lines)
        for call in page_plan(len(lines), seed, style is not None):
            written, written_infos = write_rows([lines[i] for i in call.rows], list(call.seeds),
                                                [bias] * len(call.rows),
                                                hand_of(call, style, lines, strokes))
            for i, line, info in zip(call.rows, written, written_infos):
                strokes[i], infos[i] = line, info
        return strokes, infos

    def rows_writer(self, tries=1, max_tries=None):
        """write_rows(texts, seeds, biases, hand) -> write's (strokes, infos), with these
        tries: what write_page and on_paper run each model call with."""
        return lambda texts, seeds, biases, hand: self.write(texts, biases, seeds, hand, tries,
                                                             max_tries)

    def on_paper(self, text, paper=None, bias=0.0, seed=None, style=None, tries=1,
                 max_tries=None, chunk=None, progress=None, write_rows=None):
        """text on pages of paper (a paper.Paper; A4 unless given), every line filled to
        its measured width (paper.write_document): a paper.Document, in mm. A text's
        blank line is a blank line on the page. In one hand: style, or without one the
        model's own, its first line written first and every other primed with it (as
        write_page). Line seeds come from seed and where each line starts in its
        paragraph, so the same seed gives the same document; a lifelike paper loosens
        the hand down the text (paper.bias_share). chunk, progress: as
        paper.fill_lines takes them; write_rows: as write_page takes it."""
        paper = paper or Paper.of("a4")
        write_rows = write_rows or self.rows_writer(tries, max_tries)
        seed = fresh_seed() if seed is None else check_seed(seed)
        hand = self.hand(style)
        char_width = 1.6  # x-heights a character, IAM-OnDB's; a hand's own when known

        def write(texts, seeds, shares):
            nonlocal hand
            done, biases = [], [bias * share for share in shares]
            if hand is None:  # the model's own hand: the first line sets it
                done = write_rows(texts[:1], seeds[:1], biases[:1], None)[0]
                hand = done[0], texts[0].rstrip(FINAL_MARKS) or texts[0]
                texts, seeds, biases = texts[1:], seeds[1:], biases[1:]
            return done + (write_rows(texts, seeds, biases, hand)[0] if texts else [])

        if hand is not None:
            shape = shape_of(hand[0])
            char_width = shape.width / shape.x_height / max(len(letters_of(hand[1])), 1)
        return write_document(text, paper, write, seed, char_width, chunk, progress)
