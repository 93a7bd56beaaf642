"""Training lines that hold UNIPEN's characters (unipen.py), for the characters IAM-OnDB's
lines hold too rarely to be learnt: both networks learn from lines, so the characters go
into lines. Two kinds, drawn at random for a share of each batch's lines:

- composed: a line of words written in one UNIPEN writer's characters, each character
  on the baseline and at the height it has in IAM-OnDB's lines (unipen.py places them
  so), a letter's gap apart within a word and a word's gap between words, at a random
  size and slant; its text is the words.
- beside: an IAM-OnDB line with a short run of one UNIPEN writer's characters before or
  after it, a space apart, on the baseline of the third of the line beside it and at the
  line's x-height; its text "<run> <text>" or "<text> <run>".

Lines are in tablet units, (dx, dy, eos) rows, the first a zero step as iam_ondb reads
them. Pure numpy.
"""

import numpy as np

from cleaning import level_and_scale
from unipen import XHEIGHT

LETTER_GAP = (0.15, 0.45)  # x-heights between the letters of a word (printed: apart)
WORD_GAP = (0.7, 1.2)  # ... and between words
SIZE = (0.75, 1.3)  # a line's x-height, in IAM-OnDB's median ones
# slant added to a line (x += shear * height above the baseline) and the tilt of its
# baseline (degrees, + falling to the right), so that composed lines lean and slope as
# IAM-OnDB's do (cleaning.slant: median 4 degrees, p10 -6, p90 19; tilt p10 -4, p90 2)
SHEAR = (-0.14, 0.16)
TILT = (-4.0, 2.0)
# points a character of a composed line's text, spaces included (its median): a composed
# line as long as the IAM-OnDB line it replaces
POINTS_PER_CHARACTER = 26
# a line's height spread (cleaning.level_and_scale, 10th to 90th percentile) over its
# x-height, in IAM-OnDB: medians 199.8 and 133.2 tablet units
SPREAD_PER_XHEIGHT = 1.5
LONGEST = 40  # characters of a composed line's text, spaces included


def placed(steps, left, baseline, size, shear):
    """A character's steps (unipen.character_steps: from its origin) as absolute (x, y)
    points, size times as large, sheared, on baseline, its slanted ink's left at left (a
    left lean then reaches back over no neighbour)."""
    xy = np.cumsum(steps[:, :2], 0) * size
    xy[:, 0] += shear * (-xy[:, 1])  # y down: height above the baseline is -y
    return xy + (left - xy[:, 0].min(), baseline)


def as_line(pieces):
    """[(points [n, 2] absolute, eos [n])] in writing order -> a line [T, 3] of steps, the
    first a zero step (the pen placed), in float32."""
    points = np.concatenate([p for p, _ in pieces])
    eos = np.concatenate([e for _, e in pieces])
    steps = np.diff(points, axis=0, prepend=points[:1])
    return np.column_stack([steps, eos]).astype(np.float32)


class Composer:
    """Lines made of UNIPEN's characters, from the writers of `characters` (a
    unipen.Characters) that `writers` picks (a boolean mask over its samples: the training
    writers, or the held-out ones). alphabet: the characters a line may hold; favour:
    {character: weight} for those a writer's run should draw more often than the rest
    (weight 1), e.g. those IAM-OnDB's lines hold too rarely to be learnt."""

    def __init__(self, characters, alphabet, samples=None, favour=None):
        self.characters = characters
        allowed = set(alphabet) - {" "}
        self.by_writer = {}
        for k, (label, writer) in enumerate(zip(characters.labels, characters.writers)):
            if label in allowed and (samples is None or samples[k]):
                self.by_writer.setdefault(writer, {}).setdefault(label, []).append(k)
        if not self.by_writer:
            raise ValueError("no UNIPEN character of the alphabet to compose lines of")
        self.writers = sorted(self.by_writer)
        # a writer is picked as often as the characters they wrote are many: many UNIPEN
        # files hold one character a few times, and a line of "ddd dddd" teaches little
        kinds = np.array([len(self.by_writer[w]) for w in self.writers], np.float64)
        self.writer_p = kinds / kinds.sum()
        self.label_p = None  # each of a writer's characters alike
        if favour:
            self.label_p = {w: self._favoured(sorted(held), favour)
                            for w, held in self.by_writer.items()}

    @staticmethod
    def _favoured(labels, favour):
        weights = np.array([favour.get(c, 1.0) for c in labels], np.float64)
        return weights / weights.sum()

    def _writer(self, rng):
        return self.writers[rng.choice(len(self.writers), p=self.writer_p)]

    def _run(self, writer, count, rng):
        """count sample indices of one writer's characters, each label at random (as
        favour weighs them)."""
        held = self.by_writer[writer]
        labels = sorted(held)
        picks = (rng.integers(0, len(labels), count) if self.label_p is None
                 else rng.choice(len(labels), count, p=self.label_p[writer]))
        return [held[labels[p]][rng.integers(0, len(held[labels[p]]))] for p in picks]

    def _lay_out(self, words, xheight, baseline, rng, left=0.0):
        """Words (lists of sample indices) written left to right from left: (pieces for
        as_line, the x after the last, the text)."""
        size, shear = xheight / XHEIGHT, rng.uniform(*SHEAR)
        pieces, texts, x = [], [], left
        for w, word in enumerate(words):
            if w:
                x += rng.uniform(*WORD_GAP) * xheight
            for i, k in enumerate(word):
                if i:
                    x += rng.uniform(*LETTER_GAP) * xheight
                steps = self.characters.arrays[k]
                jitter = size * rng.uniform(0.92, 1.08)
                xy = placed(steps, x, baseline + rng.normal(0, 0.04) * xheight, jitter, shear)
                pieces.append((xy, steps[:, 2]))
                x = max(x, xy[:, 0].max())
            texts.append("".join(self.characters.labels[k] for k in word))
        return pieces, x, " ".join(texts)

    def compose(self, rng, points=None):
        """A line of words in one writer's characters: (line [T, 3] tablet units, text).
        points: about how long the line should be (default: 2 to 30 characters)."""
        count = (int(np.clip(round(points / POINTS_PER_CHARACTER), 2, LONGEST)) if points
                 else int(rng.integers(2, 31)))
        writer = self._writer(rng)
        lengths = []  # words of 1 to 7 characters, a space between, count in all
        while sum(lengths) + len(lengths) < count:
            room = count - sum(lengths) - len(lengths)
            lengths.append(int(min(rng.integers(1, 8), max(1, room))))
        run = self._run(writer, sum(lengths), rng)
        words = np.split(np.array(run), np.cumsum(lengths)[:-1])
        xheight = XHEIGHT * rng.uniform(*SIZE)
        pieces, _, text = self._lay_out(words, xheight, 0.0, rng)
        angle = np.radians(rng.uniform(*TILT))
        turn = np.array([[np.cos(angle), np.sin(angle)], [-np.sin(angle), np.cos(angle)]])
        return as_line([(xy @ turn, eos) for xy, eos in pieces]), text

    def beside(self, line, text, rng, after=None):
        """An IAM-OnDB line [T, 3] (tablet units) and its text with a run of 1 to 3 of one
        writer's characters before or after it (after: at random), at its x-height and
        on its baseline there: (line, text)."""
        line = np.asarray(line, np.float64)
        after = bool(rng.random() < 0.5) if after is None else after
        xy = np.cumsum(line[:, :2], 0)
        xheight = level_and_scale(xy)[1] / SPREAD_PER_XHEIGHT
        x = xy[:, 0]
        side = x >= np.quantile(x, 2 / 3) if after else x <= np.quantile(x, 1 / 3)
        baseline = np.percentile(xy[side, 1], 80)
        writer = self._writer(rng)
        word = self._run(writer, int(rng.integers(1, 4)), rng)
        gap = rng.uniform(*WORD_GAP) * xheight
        start = x.max() + gap if after else 0.0
        pieces, end, run = self._lay_out([word], xheight, baseline, rng, left=start)
        own = (xy, line[:, 2])
        if after:
            return as_line([own, *pieces]), f"{text} {run}"
        # the run first, then the line moved to start a gap after it
        shift = end + gap - x.min()
        return as_line([*pieces, (xy + (shift, 0), line[:, 2])]), f"{run} {text}"


def held_out_lines(characters, alphabet, count, seed=0):
    """count lines composed of the characters of UNIPEN's held-out writers (never trained
    on), in the alphabet, and their texts: the same for a seed, whoever asks (evaluate.py
    --unipen)."""
    composer = Composer(characters, alphabet, characters.held_out())
    rng = np.random.default_rng(seed)
    lines, texts = zip(*(composer.compose(rng) for _ in range(count)))
    return list(lines), list(texts)
