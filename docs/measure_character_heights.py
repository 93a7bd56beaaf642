"""How tall each character stands in IAM-OnDB's lines, and where it sits on the line:
the table unipen.py scales and places UNIPEN's isolated characters by.

The shipped writer's window, reading real lines with their texts, says which character
is being written at every point (phi's peak), and so which character a pen stroke
writes, where a stroke writes one alone (character_spans). For each line, levelled, the
x-height letters (a, c, e, m, n, o, r, s, u, v, w, x, z) give its baseline (the median of
their lowest points) and its x-height (the median of their heights); every character's
top and bottom are then measured above that baseline, in x-heights, and the medians over
the lines printed as unipen.CHARACTER_SPANS, with the x-height and the pen-down step in
tablet units.

    python docs/measure_character_heights.py --data_dir path/to/iam-ondb [--lines 4000]
"""

import argparse
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cleaning import baseline_slope  # noqa: E402
from quiet import quiet_tensorflow  # noqa: E402
from text import encode_text, pad_texts  # noqa: E402
from utils import DataLoader, pad_lines  # noqa: E402

X_LETTERS = set("acemnorsuvwxz")
MIN_SPAN = 3  # points of a stroke that measures a character
OWN_SHARE = 0.6  # of its points on one character: a stroke that writes it alone


def character_spans(peaks, xy, eos, text):
    """{position in text: (top, bottom) in tablet units, y up} of each character that
    strokes of its own write: a pen-down stroke of MIN_SPAN points or more belongs to
    the character the window peaks on for most of its points, if that is OWN_SHARE of
    them (a stroke that writes several letters, as cursive does, measures none); a
    character's extent is its strokes' (the window runs ahead of the pen within a letter,
    so its points alone cut a descender or an ascender short). pen positions xy [T, 2]
    (y down), eos [T] the last point of each stroke."""
    ends = np.flatnonzero(eos > 0.5) + 1
    ink = {}
    for stroke in np.split(np.arange(len(xy)), ends):
        if len(stroke) < MIN_SPAN:
            continue
        owner = np.bincount(peaks[stroke]).argmax()
        if owner < len(text) and text[owner] != " " \
                and (peaks[stroke] == owner).mean() >= OWN_SHARE:
            ink.setdefault(owner, []).append(-xy[stroke, 1])
    return {k: (np.max(np.concatenate(y)), np.min(np.concatenate(y))) for k, y in ink.items()}


def measure(loader, model, count, rng):
    import tensorflow as tf

    rows = rng.choice(len(loader.data), size=min(count, len(loader.data)), replace=False)
    # every line holding a character fewer than 200 lines hold, whatever the sample
    rare = {c for c, n in loader.char_counts.items() if n < 200}
    rows = sorted(set(rows) | {i for i, t in enumerate(loader.train_texts) if rare & set(t)})
    tops, bottoms, xheights, steps = defaultdict(list), defaultdict(list), [], []
    for start in range(0, len(rows), 32):
        batch = rows[start:start + 32]
        lines = [loader.data[i] for i in batch]
        texts = [loader.train_texts[i] for i in batch]
        x, _, _ = pad_lines(lines)
        chars = pad_texts([encode_text(t, model.alphabet, unknown="keep") for t in texts])
        _, _, phi, _ = model.run(tf.constant(x), tf.constant(chars))
        peaks = tf.argmax(phi, -1).numpy()
        for r, (line, text) in enumerate(zip(lines, texts)):
            raw = loader.in_tablet_units(line)
            xy = np.cumsum(raw[:, :2], 0)
            xy[:, 1] -= baseline_slope(xy) * xy[:, 0]
            # the step at t predicts point t + 1: the window's character for points 1..T-1
            spans = character_spans(peaks[r, :len(line) - 1], xy[1:], raw[1:, 2], text)
            body = [spans[k] for k in spans if text[k] in X_LETTERS]
            if len(body) < 5:
                continue
            base = np.median([b for _, b in body])
            xh = np.median([t - b for t, b in body])
            if xh <= 0:
                continue
            xheights.append(xh)
            down = raw[1:][raw[:-1, 2] < 0.5]
            steps.append(np.median(np.hypot(down[:, 0], down[:, 1])))
            for k, (top, bottom) in spans.items():
                tops[text[k]].append((top - base) / xh)
                bottoms[text[k]].append((bottom - base) / xh)
        print(f"\r{min(start + 32, len(rows))}/{len(rows)} lines", end="", file=sys.stderr)
    print(file=sys.stderr)
    return tops, bottoms, xheights, steps


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data_dir", default="data")
    parser.add_argument("--cache_dir", default=None)
    parser.add_argument("--model_dir", default="save/synthesis")
    parser.add_argument("--lines", type=int, default=4000)
    args = parser.parse_args()
    loader = DataLoader(args.data_dir, texts=True, cache_dir=args.cache_dir)
    quiet_tensorflow()
    from model import load_network

    model = load_network(args.model_dir)
    tops, bottoms, xheights, steps = measure(loader, model, args.lines,
                                             np.random.default_rng(0))
    print(f"# {len(xheights)} lines: x-height median {np.median(xheights):.1f} tablet units, "
          f"pen-down step median {np.median(steps):.1f}")
    print("CHARACTER_SPANS = {  # character: (top, bottom) above the baseline, in x-heights; "
          "cases")
    for c in sorted(tops):
        if len(tops[c]) >= 3:
            print(f"    {c!r}: ({np.median(tops[c]):.2f}, {np.median(bottoms[c]):.2f}),  "
                  f"# {len(tops[c])}")
    print("}")


if __name__ == "__main__":
    main()
