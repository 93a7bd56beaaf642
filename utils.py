"""The data as the networks see it: the parsed-data cache of IAM-OnDB (iam_ondb.py
reads it), tablet units and model units, the DataLoader and its two batch strategies.

A line of handwriting is an array of rows (dx, dy, eos): the pen's step from the
previous point in tablet units, and eos = 1 on the last point of each stroke.
"""

import hashlib
import os
import pickle
import stat
import sys
import warnings
from collections import Counter
from pathlib import Path
from typing import NamedTuple

import numpy as np

from cleaning import clean_lines, describe, parse_steps
from composing import LONGEST, Composer
from files import write_atomic
from iam_ondb import (
    TEXT_SKIPPED,
    missing_data_message,
    missing_texts_message,
    pair_texts,
    read_lines,
    read_transcriptions,
    resolve_source,
    resolve_text_source,
    source_fingerprint,
)
from text import alphabet_from_counts, encode_text, lines_holding, pad_texts, repeats_for, scarcity

CACHE_NAME = "strokes_training_data.cpkl"
# Bump when the parse or the encoding changes, so old caches are rebuilt.
CACHE_FORMAT = 3
MAX_REPEATS = 16  # rare_line_repeats (--oversample_cap): at most this many copies of a line
# IAM-OnDB's transcriptions write a word struck out on the page as "#": such a line is a
# scribble where the rest has letters, so oversampling never repeats it
STRUCK_OUT = "#"


# ---------------------------------------------------------------- cache


class _CacheUnpickler(pickle.Unpickler):
    """The cache holds only dicts, lists, strings, numbers and bytes: refuse any class."""

    def find_class(self, module, name):
        raise pickle.UnpicklingError(
            f"cache refers to {module}.{name}, which a stroke cache never holds"
        )


def load_cache(cache_path):
    with open(cache_path, "rb") as f:
        return _CacheUnpickler(f).load()


def read_cache(cache_path, cache_format, source):
    """A cache's payload, if it holds this format of the data of this source (its
    fingerprint), else None: an unreadable or foreign cache is rebuilt, never trusted."""
    try:
        payload = load_cache(cache_path)
        ok = payload.get("format") == cache_format and payload.get("source") == source
    except FileNotFoundError:
        return None
    except Exception as err:  # a payload that is not a cache's dict included
        warnings.warn(f"ignoring cache {cache_path}: {err}", stacklevel=4)
        return None
    return payload if ok else None


def save_cache(cache_path, payload):
    write_atomic(cache_path, pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL))


def _pack(parsed, fingerprint):
    """What the cache holds: plain lists, strings, numbers and one bytes blob."""
    arrays = parsed["arrays"]
    flat = np.concatenate(arrays) if arrays else np.zeros((0, 3), np.int16)
    return {
        "format": CACHE_FORMAT,
        "source": fingerprint,
        "line_ids": parsed["line_ids"],
        "lengths": [len(a) for a in arrays],
        "points": np.ascontiguousarray(flat, dtype="<i2").tobytes(),
        "bad": parsed["bad"],
        "texts": parsed["texts"],
        "text_skipped": parsed["text_skipped"],
    }


def _unpack(payload):
    """The cache's payload -> {line_ids, arrays, bad, texts, text_skipped}: texts maps
    a line id to its text (empty without transcriptions, text_skipped then None)."""
    flat = np.frombuffer(payload["points"], dtype="<i2").reshape(-1, 3)
    bounds = np.cumsum([0] + payload["lengths"])
    return {"line_ids": payload["line_ids"],
            "arrays": [flat[a:b] for a, b in zip(bounds[:-1], bounds[1:])],
            "bad": [tuple(b) for b in payload["bad"]],
            "texts": payload["texts"], "text_skipped": payload["text_skipped"]}


def _default_cache_dir(kind, path):
    # beside the archive, or beside lineStrokes/ as the original's data/ folder
    return writable_or_user_cache(path.parent if kind == "archive" or path.name == "lineStrokes"
                                  else path, path)


def writable_or_user_cache(folder, source):
    """folder, if it takes new files; else a folder of the user's cache named after
    source (the data the cache holds)."""
    if _writable(folder):
        return folder
    root = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "write-rnn"
    return root / hashlib.sha1(str(source).encode()).hexdigest()[:12]


def _writable(folder):
    """Whether folder's mode lets whoever runs this write in it, by the write bit of
    the owner, the group or the others, whichever applies: root (which permissions do
    not stop) included, so that a read-only folder means the same to everyone; and
    os.access (a read-only file system, an access list)."""
    try:
        st = os.stat(folder)
    except OSError:
        return False
    if not hasattr(os, "geteuid"):  # no POSIX owners: os.access alone
        return os.access(folder, os.W_OK)
    if st.st_uid == os.geteuid():
        bit = stat.S_IWUSR
    elif st.st_gid == os.getegid() or st.st_gid in os.getgroups():
        bit = stat.S_IWGRP
    else:
        bit = stat.S_IWOTH
    return bool(st.st_mode & bit) and os.access(folder, os.W_OK)


# ---------------------------------------------------------------- units
#
# Lines are read in tablet units; the network reads and writes model units: steps
# clamped to +-limit and divided by data_scale (eos is 0 or 1 in both).

START = (0.0, 0.0, 1.0)  # the first input of every line: pen lifted at the origin


def to_model_units(raw, limit, data_scale):
    """Rows (dx, dy, eos) [..., 3] in tablet units -> a float32 copy in model units."""
    out = np.array(raw, dtype=np.float32)
    np.clip(out[..., :2], -limit, limit, out=out[..., :2])
    out[..., :2] /= data_scale
    return out


def to_tablet_units(steps, data_scale):
    """Rows (dx, dy, eos) [..., 3] in model units -> tablet units (numpy or tensors)."""
    return steps * np.array([data_scale, data_scale, 1.0], np.float32)


def mixture_to_tablet_units(params, data_scale):
    """A step's mixture (a dict as model.mixture_params gives) in tablet units: the
    means and spreads scale as the step does; e, pi and rho have no unit."""
    return {k: v * data_scale if k in ("mu1", "mu2", "sigma1", "sigma2") else v
            for k, v in params.items()}


def inputs_and_targets(line):
    """A whole line [T, 3] in model units -> (inputs, targets), each [T - 1, 3]: the
    network reads START, then the true steps 1..T-2, and predicts steps 1..T-1. (The
    first row of a line only places the pen.)"""
    line = np.asarray(line, np.float32)
    return np.concatenate([np.array([START], np.float32), line[1:-1]]), line[1:]


def pad_lines(lines, rows=None, multiple=64):
    """Whole lines [T, 3] in model units -> (x, y, mask) [rows, steps, ...]: each line's
    inputs_and_targets, zero-padded to a multiple of `multiple` steps (few compiled
    shapes), mask 1 on the real steps."""
    rows = rows or len(lines)
    steps = max(1, -(-max(len(line) - 1 for line in lines) // multiple) * multiple)
    x = np.zeros((rows, steps, 3), np.float32)
    y = np.zeros((rows, steps, 3), np.float32)
    mask = np.zeros((rows, steps), np.float32)
    for row, line in enumerate(lines):
        n = len(line) - 1
        x[row, :n], y[row, :n] = inputs_and_targets(line)
        mask[row, :n] = 1.0
    return x, y, mask


def raw_units_offset(data_scale):
    """nats per point to add to model-unit NLL for tablet units: the density of
    (dx, dy) / data_scale is data_scale^2 times that of (dx, dy)."""
    return 2.0 * float(np.log(data_scale))


def power_of_two_rows(count, least=1):
    """Rows to pad a batch of count rows to: a power of two, at least `least`, so that
    a compiled network sees few shapes."""
    return max(least, 1 << (count - 1).bit_length())


# ---------------------------------------------------------------- loader


class DataLoader:
    """IAM-OnDB lines, cached, split into training and validation lines, and training
    batches drawn from them by one of two strategies: Windows (without texts, the
    original's training) or WholeLines (texts=True: synthesis, Graves section 5).

    data_dir: a folder holding lineStrokes/ (or lineStrokes-all.tar.gz) and, for
    texts, ascii/ (or ascii-all.tar.gz); a lineStrokes folder; or the lineStrokes
    archive itself, with the ascii archive beside it. alphabet: a resumed model's, to
    code the texts with (default: from the training texts, text.alphabet_from_counts).
    clean: the cleaning of the training lines (cleaning.parse_steps: "level,slant",
    "all", "none"); the validation lines stay raw, and dropping never removes one.
    oversample: with texts, repeat the training lines that hold a rare character
    (rare_line_repeats, at most oversample_cap times; 0: every line once an epoch);
    oversample_chars: the lines holding one of these characters, oversample_cap times.
    unipen: with texts, UNIPEN's isolated characters (a unipen.Characters), of which
    the training writers' make a share unipen_lines of the training batches' lines
    (composing.Composer.compose) and stand before or after a share unipen_beside of them
    (Composer.beside); their characters join the alphabet, and one that fewer than
    oversample training lines hold is drawn as often as a line holding it is repeated (at
    most unipen_rare times as often as the rest; 1: alike, text.scarcity). The held-out
    writers' (unipen_held_out) are left for composing.held_out_lines.
    exclude: line ids to leave out of training (iam_ondb.read_line_ids); the split, and
    so the validation, is unchanged.

    The random generator `rng` picks every batch; its state (get_state) is what a
    checkpoint keeps, so that a resumed run draws the batches it would have drawn.
    """

    def __init__(self, data_dir="data", batch_size=50, seq_length=300, data_scale=20,
                 limit=500, seed=None, cache_dir=None, strict=False, progress=True,
                 texts=False, alphabet=None, clean=(), oversample=0, oversample_cap=MAX_REPEATS,
                 oversample_chars="", unipen=None, unipen_lines=0.0, unipen_beside=0.0,
                 unipen_rare=1.0, exclude=()):
        self.data_dir = data_dir
        self.batch_size = batch_size
        self.seq_length = seq_length
        self.data_scale = data_scale
        self.limit = limit
        self.strict = strict
        self.progress = progress
        self.with_texts = texts
        kind, path = resolve_source(data_dir)
        text_source = resolve_text_source(data_dir, kind, path)
        if texts and text_source is None:
            raise FileNotFoundError(missing_texts_message(data_dir))
        cache_dir = Path(cache_dir) if cache_dir else _default_cache_dir(kind, path)
        self.cache_path = cache_dir / CACHE_NAME
        parsed = self._load(kind, path, text_source)
        self.line_ids, self.raw_data, self.bad_files = (parsed["line_ids"], parsed["arrays"],
                                                        parsed["bad"])
        self.texts = [parsed["texts"].get(i) for i in self.line_ids]
        self.text_skipped = parsed["text_skipped"]
        self._report_bad()
        strategy = WholeLines if texts else Windows
        train, valid = strategy.split(self)
        # left out of training only: the split, and so the validation lines, stay as they are
        exclude = set(exclude)
        self.excluded = sum(self.line_ids[i] in exclude for i in train)
        train = [i for i in train if self.line_ids[i] not in exclude]
        self.cleaning = parse_steps(clean) if isinstance(clean, str) else tuple(clean)
        kept, train_lines, self.dropped = clean_lines(
            [self.raw_data[i] for i in train], [self.texts[i] for i in train], self.cleaning)
        if not kept:
            raise ValueError(f"cleaning dropped every training line under '{data_dir}'")
        train = [train[k] for k in kept]
        self.train_ids = [self.line_ids[i] for i in train]
        self.valid_ids = [self.line_ids[i] for i in valid]
        self._flat, self.data = self._in_model_units(train_lines)
        _, self.valid_data = self._in_model_units([self.raw_data[i] for i in valid])
        self.unipen = unipen if texts and (unipen_lines or unipen_beside) else None
        # the writers of UNIPEN that training never sees
        self.unipen_held_out = self.unipen.held_out() if self.unipen else None
        self.unipen_lines, self.unipen_beside = (unipen_lines, unipen_beside) if self.unipen \
            else (0.0, 0.0)
        if texts:
            self._read_texts(train, valid, alphabet)
        self.oversample = oversample if texts else 0
        self.oversample_chars = oversample_chars if texts else ""
        self.composer = None
        if self.unipen:
            # the characters IAM-OnDB's lines hold too rarely, drawn the more often the rarer
            self.favour = scarcity(self.train_texts, self.alphabet, oversample, unipen_rare)
            self.composer = Composer(self.unipen, self.alphabet, ~self.unipen_held_out,
                                     self.favour if unipen_rare > 1 else None)
        self.repeats = (rare_line_repeats(self.train_texts, oversample, oversample_cap,
                                          oversample_chars) if texts
                        else np.ones(len(self.data), np.int64))
        self.batches = strategy(self)
        self.num_batches = self.batches.num_batches
        self.rng = np.random.default_rng(seed)
        if progress:
            print(self.summary(), file=sys.stderr)

    def _load(self, kind, path, text_source):
        fingerprint = [source_fingerprint(kind, path),
                       text_source and source_fingerprint(*text_source, suffix=".txt")]
        payload = read_cache(self.cache_path, CACHE_FORMAT, fingerprint)
        if payload is not None:
            return _unpack(payload)
        line_ids, arrays, bad = read_lines(kind, path, progress=self.progress)
        if not arrays:
            if bad:
                raise ValueError(f"none of the {len(bad)} XML files under '{self.data_dir}' "
                                 f"could be read; first: {bad[0][0]}: {bad[0][1]}")
            raise FileNotFoundError(missing_data_message(self.data_dir))
        texts, skipped = {}, None
        if text_source is not None:
            every_file = line_ids + [name for name, _ in bad]
            texts, skipped = pair_texts(every_file, read_transcriptions(*text_source))
            texts = {i: t for i, t in texts.items() if i in set(line_ids)}
        parsed = {"line_ids": line_ids, "arrays": arrays, "bad": bad, "texts": texts,
                  "text_skipped": skipped}
        if not (bad and self.strict):
            self.cache_path.parent.mkdir(parents=True, exist_ok=True)
            save_cache(self.cache_path, _pack(parsed, fingerprint))
        return parsed

    def summary(self):
        """One line: what was read, from where, what was skipped, where the cache is."""
        points = sum(len(a) for a in self.raw_data)
        parts = [f"IAM-OnDB: {len(self.raw_data):,} lines, {points:,} points"]
        if self.bad_files:
            parts.append(f"{len(self.bad_files)} unreadable file(s) skipped")
        if self.text_skipped is not None:
            paired = sum(t is not None for t in self.texts)
            why = ", ".join(f"{n} {TEXT_SKIPPED[k]}" for k, n in self.text_skipped.items() if n)
            parts.append(f"{paired:,} with their text" + (f" ({why})" if why else ""))
        if self.with_texts:
            parts.append(f"{len(self.data):,} training and {len(self.valid_data):,} "
                         f"validation lines, {len(self.alphabet)} characters")
        if self.excluded:
            parts.append(f"{self.excluded:,} training lines excluded (listed to leave out)")
        if self.cleaning:
            parts.append(describe(self.cleaning, self.dropped))
        repeated = self.repeats > 1
        if repeated.any():
            why = []
            if self.oversample:
                why.append(f"a character fewer than {self.oversample:,} lines hold")
            if self.oversample_chars:
                why.append(f"one of {self.oversample_chars!r}")
            parts.append(f"{repeated.sum():,} training lines with {' or '.join(why)} "
                         f"repeated up to {self.repeats.max()} times (an epoch "
                         f"{self.repeats.sum():,} lines)")
        if self.unipen:
            parts.append(f"{self.unipen_lines:.0%} of the training lines composed of UNIPEN's "
                         f"characters, {self.unipen_beside:.0%} with some beside them")
            if self.composer.label_p is not None:
                most = max(self.favour.values())
                parts.append(f"UNIPEN's {''.join(self.favour)} (fewer than {self.oversample:,} "
                             f"lines hold each) drawn up to {most:g} times as often")
        return "; ".join(parts) + f"; cache: {self.cache_path}"

    def _report_bad(self):
        if not self.bad_files:
            return
        first = "; ".join(f"{name}: {why}" for name, why in self.bad_files[:5])
        message = (f"{len(self.bad_files)} lineStrokes file(s) under '{self.data_dir}' "
                   f"could not be read and were skipped (first: {first})")
        if self.strict:
            raise ValueError(message + ". Remove or repair them, or run without --strict.")
        warnings.warn(message, stacklevel=3)

    def validation_lines(self):
        """Indices into raw_data of the lines longer than seq_length + 2 points, and of
        those every 20th (sorted by line id), the validation lines, as in the original."""
        keep = [i for i, a in enumerate(self.raw_data) if len(a) > self.seq_length + 2]
        return keep, keep[19::20]

    def _in_model_units(self, lines):
        """Lines [T, 3] in model units: one flat float32 array, and the lines as views
        into it (half the memory of separate copies, and a whole batch becomes a single
        gather)."""
        if not lines:
            return np.zeros((0, 3), np.float32), []
        flat = to_model_units(np.concatenate(lines), self.limit, self.data_scale)
        bounds = np.cumsum([len(line) for line in lines])[:-1]
        return flat, np.split(flat, bounds)

    def in_tablet_units(self, line):
        """A line of data or valid_data back in tablet units (steps clamped to
        +-limit, as the network saw them)."""
        return to_tablet_units(line, self.data_scale)

    def valid_in_tablet_units(self):
        """The validation lines in tablet units, as the recogniser reads them."""
        return [self.in_tablet_units(line) for line in self.valid_data]

    def _read_texts(self, train, valid, alphabet):
        """The texts of the split, the alphabet (from the training texts unless given)
        and the texts coded in it (a character outside it: 0, the unknown symbol)."""
        self.train_texts = [self.texts[i] for i in train]
        self.valid_texts = [self.texts[i] for i in valid]
        self.char_counts = Counter("".join(self.train_texts))
        if self.unipen:  # the characters composed lines hold are training texts too
            self.char_counts.update(c for c, out in zip(self.unipen.labels,
                                                        self.unipen_held_out) if not out)
        self.alphabet = alphabet_from_counts(self.char_counts) if alphabet is None \
            else alphabet
        self.train_chars = [encode_text(t, self.alphabet, "keep") for t in self.train_texts]
        self.valid_chars = [encode_text(t, self.alphabet, "keep") for t in self.valid_texts]
        # how fast the writing moves through its text, where a window starts
        self.chars_per_point = (sum(map(len, self.train_texts))
                                / sum(len(self.raw_data[i]) for i in train))
        # room for the longest text of the data, in steps of 16: few compiled shapes
        longest = max(map(len, self.train_chars + self.valid_chars))
        if self.unipen:  # a composed line's, or a run and its space beside the longest
            longest = max(longest + 4, LONGEST)
        self.text_width = pad_texts([range(longest)]).shape[1]

    def batch_lines(self, rows):
        """The lines (tablet units) and texts of a whole-line batch's training rows (indices
        into data), a share of them composed of UNIPEN's characters or with some beside
        them, as unipen_lines and unipen_beside say."""
        lines = [self.in_tablet_units(self.data[i]) for i in rows]
        texts = [self.train_texts[i] for i in rows]
        if self.composer is None:
            return lines, texts
        draw = self.rng.random(len(rows))
        for k, d in enumerate(draw):
            if d < self.unipen_lines:
                lines[k], texts[k] = self.composer.compose(self.rng, points=len(lines[k]))
            elif d < self.unipen_lines + self.unipen_beside:
                lines[k], texts[k] = self.composer.beside(lines[k], texts[k], self.rng)
        return lines, texts

    def next_batch(self):
        """A training batch, as the strategy makes it (Windows, WholeLines)."""
        return self.batches.next_batch(self.rng)

    def next_lines(self):
        """The training lines (indices into data) of the next whole-line batch
        (WholeLines only)."""
        return self.batches.next_lines(self.rng)

    def points_in(self, batch):
        """The points of a batch next_batch gave that are trained on."""
        return self.batches.points_in(batch)

    def get_state(self):
        """The state of the random generator that picks the batches, for checkpoints
        (a plain JSON-able dict)."""
        return self.rng.bit_generator.state

    def set_state(self, state):
        self.rng.bit_generator.state = state


class WindowBatch(NamedTuple):
    """A batch of Windows: inputs x and targets y (x one point later), float32 [B, T, 3]
    in model units; every point counts, and no text is read."""

    x: np.ndarray
    y: np.ndarray
    mask = None  # (class attributes: the fields a LineBatch has and this one has not)
    chars = None


class LineBatch(NamedTuple):
    """A batch of WholeLines: x, y [B, T, 3], mask [B, T] (1 on the points of a line,
    0 on padding) and the lines' texts chars [B, U] (padded with -1)."""

    x: np.ndarray
    y: np.ndarray
    mask: np.ndarray
    chars: np.ndarray


class Windows:
    """Random windows of seq_length points, WindowBatch(x, y) float32 [B, seq_length, 3]
    with y = x one point later: the original's training. A line is picked with probability
    proportional to its length, so that every point of the data set is equally likely
    to be trained on; an epoch is as many windows as the data holds points."""

    @staticmethod
    def split(loader):
        """Indices into raw_data of (training, validation) lines: the lines longer than
        seq_length + 2 points; every 20th of them validates."""
        keep, valid = loader.validation_lines()
        if not keep:
            raise ValueError(f"no line under '{loader.data_dir}' is longer than "
                             f"seq_length + 2 = {loader.seq_length + 2} points")
        return sorted(set(keep) - set(valid)), valid

    def __init__(self, loader):
        self.flat, self.size = loader._flat, (loader.batch_size, loader.seq_length)
        self.lengths = np.array([len(a) for a in loader.data])
        self.offsets = np.concatenate([[0], np.cumsum(self.lengths)[:-1]])
        self.p = self.lengths / self.lengths.sum()
        self.num_batches = max(1, int(self.lengths.sum() // max(1, np.prod(self.size))))

    def next_batch(self, rng):
        B, T = self.size
        line = rng.choice(len(self.lengths), size=B, p=self.p)
        start = (rng.random(B) * (self.lengths[line] - T)).astype(np.int64)
        window = self.flat[(self.offsets[line] + start)[:, None] + np.arange(T + 1)]
        return WindowBatch(window[:, :-1], window[:, 1:])

    @staticmethod
    def points_in(batch):
        return batch.x.size // 3


def rare_line_repeats(texts, target, cap=MAX_REPEATS, weak=""):
    """How many times each of the training texts' lines is trained on in an epoch: a line
    whose rarest character (spaces aside) is held by n < target lines repeats
    ceil(target / n) times, at most cap, so that digits, capitals and brackets, which a
    few lines hold, are written often enough to be learnt; a line holding one of the
    characters of weak (those a trained model writes worst, whatever their count) cap
    times; the others, and a line with a word struck out (STRUCK_OUT), once (target 0
    and no weak: every line once)."""
    repeats = np.ones(len(texts), np.int64)
    if not (target or weak):
        return repeats
    holders = lines_holding(texts)
    for k, t in enumerate(texts):
        if STRUCK_OUT in t:
            continue
        if set(weak) & set(t):
            repeats[k] = cap
        elif target:
            rarest = min((holders[c] for c in set(t) if not c.isspace()), default=target)
            repeats[k] = repeats_for(rarest, target, cap)
    return repeats


class WholeLines:
    """Whole lines with their texts, LineBatch(x, y, mask, chars) as pad_lines and
    pad_texts lay them out (chars padded to the data's text_width): a batch is batch_size neighbours
    in length, from a random place of the length order (ties in a fixed random order);
    an epoch is every training line once, on average, or as often as loader.repeats
    says."""

    @staticmethod
    def split(loader):
        """Indices into raw_data of (training, validation) lines: validation is the
        Windows split's validation lines that have a text, so that the two kinds of
        model compare; training every other line that has one, however short."""
        _, valid = loader.validation_lines()
        held_out = set(valid)
        train = [i for i, t in enumerate(loader.texts) if t is not None
                 and i not in held_out and len(loader.raw_data[i]) > 2]
        if not train:
            raise ValueError(f"no line under '{loader.data_dir}' pairs with a transcription")
        return train, [i for i in valid if loader.texts[i] is not None]

    def __init__(self, loader):
        self.lines, self.chars = loader.data, loader.train_chars
        self.batch_size, self.text_width = loader.batch_size, loader.text_width
        self.loader = loader if loader.composer else None
        copies = np.repeat(np.arange(len(self.lines)), loader.repeats)
        ties = np.random.default_rng(0).random(len(self.lines))[copies]
        # a repeated line's copies sort among lines within a few percent of its length,
        # so that a batch seldom holds the same line twice
        length = np.array([len(line) for line in self.lines], np.float64)[copies]
        spread = np.exp(0.05 * np.random.default_rng(1).standard_normal(len(copies)))
        length = np.where(loader.repeats[copies] > 1, length * spread, length)
        self.by_length = copies[np.lexsort((ties, length))]
        self.num_batches = max(1, len(self.by_length) // self.batch_size)

    def next_lines(self, rng):
        count = len(self.by_length)
        start = int(rng.integers(0, max(1, count - self.batch_size + 1)))
        return self.by_length[start:start + self.batch_size]

    def next_batch(self, rng):
        rows = self.next_lines(rng)
        if self.loader:  # some lines of UNIPEN's characters: made in tablet units
            lines, texts = self.loader.batch_lines(rows)
            lines = [to_model_units(line, self.loader.limit, self.loader.data_scale)
                     for line in lines]
            chars = [encode_text(t, self.loader.alphabet, "keep") for t in texts]
        else:
            lines, chars = [self.lines[i] for i in rows], [self.chars[i] for i in rows]
        x, y, mask = pad_lines(lines)
        chars = pad_texts(chars)
        chars = np.pad(chars, [(0, 0), (0, max(0, self.text_width - chars.shape[1]))],
                       constant_values=-1)
        return LineBatch(x, y, mask, chars)

    @staticmethod
    def points_in(batch):
        return int(batch.mask.sum())
