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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from config import RECOGNIZER_DIR, SYNTHESIS_DIR  # noqa: E402
from glyphs import with_glyph  # noqa: E402
from quiet import quiet_tensorflow  # noqa: E402

# each glyph, and the writer's lines it is put in front of (a + where an X goes)
MARKS = ("marks the spot where the treasure lies.", "and Y marks the spot.", "the box")
LINES = {"X": MARKS, "+": MARKS, "8": ("shells and one small crab.", "apples on the table")}


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
    # a glyph a little taller than the line's ascenders, as a capital or a digit is
    readings = reader.read([with_glyph(glyph, written[text, seed], size=1.1)
                            for glyph, text, seed in cases])
    right = {glyph: 0 for glyph in LINES}
    for (glyph, text, seed), reading in zip(cases, readings):
        right[glyph] += reading.replace(" ", "").startswith(glyph)
        print(f"{glyph} {text!r} (seed {seed}) -> {reading!r}")
    for glyph in LINES:
        total = sum(glyph == g for g, _, _ in cases)
        print(f"a textbook {glyph!r} read as itself: {right[glyph]} of {total}")


if __name__ == "__main__":
    main()
