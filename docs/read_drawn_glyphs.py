"""Whether the recogniser can read a character at all: a textbook glyph, drawn by
program (an X as two straight crossing strokes, an 8 as a figure of eight, a + for
comparison), put in front of lines the synthesis model writes, and the lines read
back. A glyph the reader misses here is one no writer can get counted right.

    python docs/read_drawn_glyphs.py [--model_dir save/synthesis] [--seeds 4]

Prints each line's text and reading, and how many of each glyph were read as it.
"""

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from config import RECOGNIZER_DIR, SYNTHESIS_DIR  # noqa: E402
from utils import quiet_tensorflow  # noqa: E402

# each glyph, and the writer's lines it is put in front of (a + where an X goes)
MARKS = ("marks the spot where the treasure lies.", "and Y marks the spot.", "the box")
LINES = {"X": MARKS, "+": MARKS, "8": ("shells and one small crab.", "apples on the table")}


def glyph_strokes(glyph, left, baseline, height):
    """The strokes of a textbook glyph as absolute (x, y) points, y growing downwards as
    on the tablet, its box from left and from baseline up by height (0.7 x as wide)."""
    width = 0.7 * height
    top, right = baseline - height, left + width
    if glyph == "X":
        return [np.linspace([left, top], [right, baseline], 12),
                np.linspace([right, top], [left, baseline], 12)]
    if glyph == "+":
        middle = baseline - height / 2
        return [np.linspace([left, middle], [right, middle], 12),
                np.linspace([left + width / 2, top], [left + width / 2, baseline], 12)]
    if glyph == "8":  # a figure of eight in one stroke, crossing at half height
        t = np.linspace(0, 2 * np.pi, 40)
        return [np.column_stack([left + width / 2 - 0.4 * width * np.sin(2 * t),
                                 baseline - height / 2 - height / 2 * np.cos(t)])]
    raise ValueError(f"no textbook {glyph!r}")


def with_glyph(glyph, line):
    """line ([T, 3] steps in tablet units) with the glyph drawn before it, at the
    height of the line's ink (5th to 95th percentile of its points) and a space's
    width to its left."""
    points = np.cumsum(line[:, :2], axis=0)
    low, high = np.percentile(points[:, 1], [5, 95])
    height = 0.9 * (high - low)
    strokes = glyph_strokes(glyph, points[:, 0].min() - 1.2 * height, high, height)
    pen_up = [np.eye(1, len(s), len(s) - 1)[0] for s in strokes]  # each stroke ends lifted
    absolute = np.vstack([*strokes, points])
    steps = np.diff(absolute, axis=0, prepend=np.zeros((1, 2)))
    return np.column_stack([steps, np.concatenate([*pen_up, line[:, 2]])]).astype(np.float32)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model_dir", default=str(ROOT / SYNTHESIS_DIR))
    parser.add_argument("--recognizer_dir", default=str(ROOT / RECOGNIZER_DIR))
    parser.add_argument("--seeds", type=int, default=4, help="lines of each text (seeds 0, 1, ...)")
    args = parser.parse_args()
    quiet_tensorflow()
    from model import load_model

    writer, reader = load_model(args.model_dir), load_model(args.recognizer_dir)
    style = writer.first_hand
    cases = [(glyph, text, seed) for glyph, texts in LINES.items() for text in texts
             for seed in range(args.seeds)]
    # every text on every seed in one batched call (a line's seed alone decides it)
    texts = sorted({text for _, text, _ in cases})
    pairs = [(text, seed) for text in texts for seed in range(args.seeds)]
    lines, _ = writer.write([text for text, _ in pairs], bias=0.75, style=style,
                            seed=[seed for _, seed in pairs])
    written = dict(zip(pairs, lines))
    readings = reader.read([with_glyph(glyph, written[text, seed]) for glyph, text, seed in cases])
    right = {glyph: 0 for glyph in LINES}
    for (glyph, text, seed), reading in zip(cases, readings):
        right[glyph] += reading.replace(" ", "").startswith(glyph)
        print(f"{glyph} {text!r} (seed {seed}) -> {reading!r}")
    for glyph in LINES:
        total = sum(glyph == g for g, _, _ in cases)
        print(f"a textbook {glyph!r} read as itself: {right[glyph]} of {total}")


if __name__ == "__main__":
    main()
