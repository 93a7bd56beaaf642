"""The recogniser: a line of pen strokes in, its text out.

A small online handwriting reader in the line of Graves et al. (2009, PAMI:
bidirectional LSTM and CTC on IAM-OnDB) and of the small 1-D convolution +
BiLSTM readers that followed it. It reads the same [T, 3] (dx, dy, eos) rows in
tablet units that IAM-OnDB holds and model.write returns, and serves three jobs:
a legibility meter for the writer (evaluate.py), picking the best of several
written lines (model.write(..., tries=N)), and transcribing what a user draws on
the web page.

    from model import load_model
    reader = load_model("save/recognizer")
    reader.read(strokes)               # -> "the text"
    reader.read([strokes, strokes2])   # -> ["...", "..."], one batched call

Pipeline: line_features (its own normalisation: levelled, scaled by the line's
height, so that it reads people's lines and the writer's alike), two 1-D
convolutions (the second halves the frame rate), num_layers bidirectional LSTMs of
rnn_size units each way, and a softmax over the alphabet plus the CTC blank
(index 0). Trained with the CTC loss (Graves et al. 2006); read by greedy
(best-path) decoding. The reverse direction of each LSTM reads each line reversed
within its own length (tf.reverse_sequence), so a line reads the same alone as in
a padded batch without masks.
"""

from typing import NamedTuple

import keras
import numpy as np
import tensorflow as tf

from cleaning import level_and_scale
from composing import held_out_lines
from iam_ondb import checked_line
from lstm import LSTM
from utils import power_of_two_rows

FEATURES = 5  # dx, dy, pen lifted before this point, stroke ends here, height above the line
CONV_CHANNELS = (64, 128)
CONV_WIDTH = 5
STRIDE = 2  # frames per point of the second convolution: CTC needs >= 1 frame a character
MAX_POINTS = 6000  # a line to read; IAM-OnDB's longest has 1,940
STEP_LIMIT = 500  # tablet units: a longer step is a jump to a stray stroke, clamped
FEATURE_LIMIT = 4.0  # line heights: how far one step may reach in the features
UNIPEN_VALID_LINES = 200  # composed of held-out UNIPEN writers' characters, read at validation
PAD_MULTIPLE = 64  # points: batches are padded to a multiple, so XLA sees few shapes


# ---------------------------------------------------------------- features


def line_features(strokes):
    """The recogniser's input for one line [T, 3] of tablet-unit rows: float32
    [T, FEATURES] rows of (dx, dy) in line heights with the baseline levelled,
    whether the pen was lifted to reach the point, whether its stroke ends there,
    and the point's height above the line's middle. Independent of where the line
    sits and of its size, so that the writer's lines and people's read alike."""
    strokes = np.asarray(strokes, np.float64)
    steps = np.clip(strokes[:, :2], -STEP_LIMIT, STEP_LIMIT)
    eos = (strokes[:, 2] > 0.5).astype(np.float64)
    xy = np.cumsum(steps, 0)
    slope, height = level_and_scale(xy)
    level = xy[:, 1] - slope * xy[:, 0]
    dx = steps[:, 0] / height
    dy = (steps[:, 1] - slope * steps[:, 0]) / height
    lifted = np.concatenate([[1.0], eos[:-1]])
    above = (level - np.median(level)) / height
    out = np.stack([dx, dy, lifted, eos, above], 1)
    out[:, [0, 1, 4]] = np.clip(out[:, [0, 1, 4]], -FEATURE_LIMIT, FEATURE_LIMIT)
    return out.astype(np.float32)


def distort(strokes, rng):
    """A training copy of a line in another hand: slant changed (a shear of up to
    0.3) and letters made wider or narrower (up to 15%), so that the reader does not
    learn one slant or width per word."""
    shear = rng.uniform(-0.3, 0.3)
    width = rng.uniform(0.85, 1.15)
    out = np.array(strokes, np.float64)
    out[:, 0] = width * (out[:, 0] + shear * out[:, 1])
    return out


def pad_features(features, rows=None, multiple=PAD_MULTIPLE):
    """Lines' features -> (x [rows, steps, FEATURES] zero-padded to a multiple of
    `multiple` steps, lengths [rows]; padding rows have length 1)."""
    rows = rows or len(features)
    steps = -(-max(len(f) for f in features) // multiple) * multiple
    x = np.zeros((rows, steps, FEATURES), np.float32)
    lengths = np.ones(rows, np.int32)
    for row, f in enumerate(features):
        x[row, :len(f)] = f
        lengths[row] = len(f)
    return x, lengths


def encode_labels(texts, alphabet):
    """Texts -> (labels int32 [B, U] of 1 + the position in alphabet, 0-padded, and
    lengths [B]). Characters outside the alphabet are left out."""
    index = {c: i + 1 for i, c in enumerate(alphabet)}
    coded = [[index[c] for c in text if c in index] for text in texts]
    labels = np.zeros((len(coded), max(1, max(map(len, coded)))), np.int32)
    for row, c in enumerate(coded):
        labels[row, :len(c)] = c
    return labels, np.array([len(c) for c in coded], np.int32)


# ---------------------------------------------------------------- decoding and scoring


def greedy_decode(best, alphabet):
    """Best-path CTC decoding: the most likely class of every frame, best [T] (0 the
    blank), with repeats merged and blanks dropped, as text."""
    best = np.asarray(best)
    if len(best) == 0:
        return ""
    keep = np.concatenate([[True], best[1:] != best[:-1]]) & (best > 0)
    return "".join(alphabet[i - 1] for i in best[keep])


# ---------------------------------------------------------------- the network


def ctc_loss(logits, frame_lengths, labels, label_lengths):
    """The CTC loss of each line [B] (Graves et al. 2006, eq. 14: -ln p(labels | x),
    summed over every alignment of the labels, blank 0) for logits [B, T, C]."""
    labels = tf.sparse.from_dense(labels)  # real labels are >= 1: the 0 padding drops out
    return tf.nn.ctc_loss(labels, logits, label_length=None, logit_length=frame_lengths,
                          logits_time_major=False, blank_index=0)


class Recognizer(keras.Model):
    """Features [B, T, FEATURES] and lengths [B] in; per-frame logits over the blank
    and the alphabet out, at half the points' rate."""

    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        self.config = config
        self.alphabet = config.alphabet
        self.convs = [keras.layers.Conv1D(c, CONV_WIDTH, strides=s, activation="relu")
                      for c, s in zip(CONV_CHANNELS, (1, STRIDE))]
        self.forward_layers = [LSTM(config.rnn_size) for _ in range(config.num_layers)]
        self.backward_layers = [LSTM(config.rnn_size) for _ in range(config.num_layers)]
        self.dropouts = [keras.layers.Dropout(1.0 - config.keep_prob)
                         for _ in range(config.num_layers)]
        self.head = keras.layers.Dense(len(config.alphabet) + 1)
        self._read = tf.function(self._best_path, reduce_retracing=True)

    def build(self, input_shape=(None, None, FEATURES)):
        width = input_shape[-1]
        for conv, channels in zip(self.convs, CONV_CHANNELS):
            conv.build((None, None, width))
            width = channels
        for forward, backward in zip(self.forward_layers, self.backward_layers):
            forward.build((None, None, width))
            backward.build((None, None, width))
            width = 2 * self.config.rnn_size
        self.head.build((None, None, width))
        self.built = True

    def named_layers(self):
        """(name, layer) for every layer with variables: the checkpoint's names."""
        return ([(f"conv{i}", c) for i, c in enumerate(self.convs)]
                + [(f"forward{i}", f) for i, f in enumerate(self.forward_layers)]
                + [(f"backward{i}", b) for i, b in enumerate(self.backward_layers)]
                + [("head", self.head)])

    def alphabet_axes(self):
        """{variable: (axis, offset, fill)} of the weights whose axis holds the blank and
        then the alphabet (model.grow_alphabet): the output layer's, a new character's
        kernel zero and its bias the rarest old character's (unlikely until trained)."""
        return {"head.kernel": (1, 0, "zero"), "head.bias": (0, 0, "rarest")}

    def call(self, x, lengths, training=False):
        """x [B, T, FEATURES], lengths [B] -> (logits [B, T', C], frame lengths [B]),
        T' = ceil(T / STRIDE). Every frame sees only its line's own points."""
        lengths = tf.cast(lengths, tf.int32)
        half = CONV_WIDTH // 2
        for conv, stride in zip(self.convs, (1, STRIDE)):
            # zero padding of our own, and a mask after, so that a frame near a line's
            # end sees zeros beyond it whatever else is in the batch
            x = conv(tf.pad(x, [[0, 0], [half, half], [0, 0]]))
            lengths = (lengths + stride - 1) // stride
            x *= tf.sequence_mask(lengths, tf.shape(x)[1], x.dtype)[..., None]
        x = tf.transpose(x, [1, 0, 2])  # time-major, as lstm.LSTM reads
        flip = lambda v: tf.reverse_sequence(v, lengths, seq_axis=0, batch_axis=1)  # noqa: E731
        for forward, backward, dropout in zip(self.forward_layers, self.backward_layers,
                                              self.dropouts):
            ahead, _ = forward(x, training=training)
            behind, _ = backward(flip(x), training=training)
            x = dropout(tf.concat([ahead, flip(behind)], -1), training=training)
        return tf.transpose(self.head(x), [1, 0, 2]), lengths

    def batch_loss(self, batch, training=False):
        """The training loss of a ReadingBatch: the mean CTC loss per line, in nats."""
        logits, frames = self(batch.features, batch.lengths, training=training)
        labels = batch.labels
        label_lengths = tf.reduce_sum(tf.cast(labels > 0, tf.int32), -1)
        return tf.reduce_mean(ctc_loss(logits, frames, labels, label_lengths))

    def _best_path(self, x, lengths):
        logits, frames = self(x, lengths)
        return tf.argmax(logits, -1, output_type=tf.int32), frames

    def read(self, strokes, batch_size=64):
        """The text of a line of strokes ([T, 3] (dx, dy, eos) in tablet units), or
        the texts of a list of lines (read batch_size lines to a compiled call)."""
        single = isinstance(strokes, np.ndarray) and strokes.ndim == 2
        lines = [strokes] if single else list(strokes)
        features = [line_features(checked_line(line, f"line {i}", MAX_POINTS))
                    for i, line in enumerate(lines)]
        texts = []
        for start in range(0, len(features), batch_size):
            chunk = features[start:start + batch_size]
            # rows padded to a power of two: few compiled shapes
            x, lengths = pad_features(chunk, power_of_two_rows(len(chunk)))
            best, frames = self._read(tf.constant(x), tf.constant(lengths))
            best, frames = best.numpy(), frames.numpy()
            texts += [greedy_decode(best[i, :frames[i]], self.alphabet)
                      for i in range(len(chunk))]
        return texts[0] if single else texts


def build_recognizer(config):
    model = Recognizer(config)
    model.build()
    return model


# ---------------------------------------------------------------- training data


class ReadingBatch(NamedTuple):
    """A batch of ReadingBatches: the lines' features [B, T, F], their lengths [B] and
    their texts' labels [B, U] (0 pads)."""

    features: np.ndarray
    lengths: np.ndarray
    labels: np.ndarray


class ReadingBatches:
    """Training batches for the recogniser from a DataLoader(texts=True): its
    length-sorted whole lines, back in tablet units (a share of them of UNIPEN's
    characters, as the loader's batch_lines makes them), each distorted afresh, as
    (features [B, T, FEATURES], lengths [B], labels [B, U]); the loader's random
    generator picks them (and is what a checkpoint keeps)."""

    def __init__(self, loader, alphabet):
        self.loader, self.alphabet = loader, alphabet
        self.num_batches = loader.num_batches
        self.valid_texts = loader.valid_texts
        self.valid_lines = loader.valid_in_tablet_units()
        # lines of the held-out UNIPEN writers' characters, when it trains on UNIPEN's
        self.unipen_valid = (held_out_lines(loader.unipen, alphabet, UNIPEN_VALID_LINES)
                             if loader.unipen else None)

    def next_batch(self):
        lines, texts = self.loader.batch_lines(self.loader.next_lines())
        lines = [distort(line, self.loader.rng) for line in lines]
        x, lengths = pad_features([line_features(line) for line in lines])
        labels, _ = encode_labels(texts, self.alphabet)
        return ReadingBatch(x, lengths, labels)

    @staticmethod
    def points_in(batch):
        return int(batch.lengths.sum())

    def get_state(self):
        return self.loader.get_state()

    def set_state(self, state):
        self.loader.set_state(state)
