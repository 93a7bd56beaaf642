"""The figures of docs/cleaning.md, measured on IAM-OnDB: the pen-down steps and points a
character behind the drop rules, the lines each rule drops, the tilts and slants that
levelling and slant correction take out (and what is left of them), and the time the
cleaning adds to loading the data.

    python docs/measure_cleaning.py --data_dir path/to/iam-ondb [--cache_dir DIR]
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import cleaning  # noqa: E402
from utils import DataLoader  # noqa: E402


def spread(values, unit=""):
    """'median 1.2, p10 -0.3, p90 2.5' of values."""
    p10, p50, p90 = np.percentile(values, [10, 50, 90])
    return f"median {p50:.2f}{unit}, p10 {p10:.2f}{unit}, p90 {p90:.2f}{unit}"


def timed(make, repeat=3):
    """(the fastest of repeat runs in seconds, the last result)."""
    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        result = make()
        best = min(best, time.perf_counter() - start)
    return best, result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data_dir", default="data")
    parser.add_argument("--cache_dir", default=None)
    args = parser.parse_args()
    load = lambda clean: DataLoader(args.data_dir, batch_size=32, cache_dir=args.cache_dir,  # noqa: E731
                                    texts=True, progress=False, clean=clean)
    raw_s, loader = timed(lambda: load("none"))
    lines, texts = loader.raw_data, loader.texts
    print(loader.summary())

    down = np.concatenate([np.hypot(*np.asarray(a, float)[cleaning.pen_down(a), :2].T)
                           for a in lines])
    longest = np.array([np.hypot(*np.asarray(a, float)[cleaning.pen_down(a), :2].T).max(
        initial=0) for a in lines])
    print(f"pen-down steps ({len(down):,}), tablet units: median {np.median(down):.0f}, "
          + ", ".join(f"p{q} {np.percentile(down, q):.0f}" for q in (99, 99.9, 99.99)))
    print("lines whose longest pen-down step is over: "
          + ", ".join(f"{t}: {(longest > t).sum()}" for t in (108, 200, 300, 400, 500, 1000)))
    per_char = np.array([len(a) / len(t) for a, t in zip(lines, texts) if t])
    print(f"points a character: lowest {per_char.min():.1f}, p0.1 "
          f"{np.percentile(per_char, 0.1):.1f}, p1 {np.percentile(per_char, 1):.1f}, median "
          f"{np.median(per_char):.1f}; lines under "
          + ", ".join(f"{t}: {(per_char < t).sum()}" for t in (8, 10, 12)))

    train = [loader.line_ids.index(i) for i in loader.train_ids]
    reasons = [cleaning.why_broken(lines[i], texts[i]) for i in train]
    valid_reasons = [cleaning.why_broken(lines[loader.line_ids.index(i)],
                                         texts[loader.line_ids.index(i)])
                     for i in loader.valid_ids]
    print(f"dropped of {len(train):,} training lines: "
          + ", ".join(f"{reasons.count(k)} with {v}" for k, v in cleaning.BROKEN.items())
          + f"; of the {len(valid_reasons)} validation lines (kept) "
          f"{sum(r is not None for r in valid_reasons)} would be")

    windows = DataLoader(args.data_dir, cache_dir=args.cache_dir, progress=False, clean="drop")
    gone = sum(windows.dropped.values())
    print(f"train.py without --synthesis (windows of lines over 302 points): dropped {gone} "
          f"of {len(windows.data) + gone:,} training lines")

    smoothed = [cleaning.smooth(lines[i]) for i in train]
    slants = np.degrees([cleaning.slant(a) for a in smoothed])
    tilts = np.degrees([cleaning.tilt(a, np.tan(np.radians(s)))
                        for a, s in zip(smoothed, slants)])
    alone = np.degrees([cleaning.tilt(a) for a in smoothed])
    print(f"training lines, smoothed: slant (degrees from vertical, + leaning right) "
          f"{spread(slants)}; tilt of the baseline (degrees, + falling to the right) "
          f"{spread(tilts)}, fitted without standing the letters upright {spread(alone)}")
    done = [cleaning.clean_line(a, ("level", "slant", "smooth")) for a in lines[:2000]]
    print("after level, slant, smooth (first 2,000 lines): tilt "
          f"{spread(np.degrees([cleaning.tilt(a) for a in done]))}; slant "
          f"{spread(np.degrees([cleaning.slant(a) for a in done]))}")

    print(f"loading (texts, whole lines; fastest of 3): raw {raw_s:.2f} s")
    for spec in ("drop", "smooth", "level", "slant", "all"):
        seconds, cleaned = timed(lambda spec=spec: load(spec))
        print(f"  --clean {spec}: {seconds:.2f} s, +{seconds - raw_s:.2f} s")
    print(cleaned.summary())


if __name__ == "__main__":
    main()
