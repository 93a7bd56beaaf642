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
SHEAR = (-0.15, 0.25)  # slant added to a line: x += shear * height above the baseline
POINTS_PER_CHARACTER = 21  # IAM-OnDB's median pace: a composed line as long as the one it replaces
LONGEST = 40  # characters of a composed line's text, spaces included


def placed(steps, left, baseline, size, shear):
    """A character's steps (unipen.character_steps: from its origin) as absolute (x, y)
    points, its origin at (left, baseline), size times as large, sheared."""
    xy = np.cumsum(steps[:, :2], 0) * size
    xy[:, 0] += shear * (-xy[:, 1])  # y down: height above the baseline is -y
    return xy + (left, baseline)


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
    writers, or the held-out ones). alphabet: the characters a line may hold."""

    def __init__(self, characters, alphabet, samples=None):
        self.characters = characters
        allowed = set(alphabet) - {" "}
        self.by_writer = {}
        for k, (label, writer) in enumerate(zip(characters.labels, characters.writers)):
            if label in allowed and (samples is None or samples[k]):
                self.by_writer.setdefault(writer, {}).setdefault(label, []).append(k)
        if not self.by_writer:
            raise ValueError("no UNIPEN character of the alphabet to compose lines of")
        self.writers = sorted(self.by_writer)

    def _run(self, writer, count, rng):
        """count sample indices of one writer's characters, each label at random."""
        held = self.by_writer[writer]
        labels = sorted(held)
        picks = rng.integers(0, len(labels), count)
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
        writer = self.writers[rng.integers(0, len(self.writers))]
        lengths = []  # words of 1 to 7 characters, a space between, count in all
        while sum(lengths) + len(lengths) < count:
            room = count - sum(lengths) - len(lengths)
            lengths.append(int(min(rng.integers(1, 8), max(1, room))))
        run = self._run(writer, sum(lengths), rng)
        words = np.split(np.array(run), np.cumsum(lengths)[:-1])
        xheight = XHEIGHT * rng.uniform(*SIZE)
        pieces, _, text = self._lay_out(words, xheight, 0.0, rng)
        return as_line(pieces), text

    def beside(self, line, text, rng, after=None):
        """An IAM-OnDB line [T, 3] (tablet units) and its text with a run of 1 to 3 of one
        writer's characters before or after it (after: at random), at its x-height and
        on its baseline there: (line, text)."""
        line = np.asarray(line, np.float64)
        after = bool(rng.random() < 0.5) if after is None else after
        xy = np.cumsum(line[:, :2], 0)
        # the spread of its heights holds ascenders and descenders too: about 1.25 x-heights
        xheight = 0.8 * level_and_scale(xy)[1]
        x = xy[:, 0]
        side = x >= np.quantile(x, 2 / 3) if after else x <= np.quantile(x, 1 / 3)
        baseline = np.percentile(xy[side, 1], 80)
        writer = self.writers[rng.integers(0, len(self.writers))]
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
