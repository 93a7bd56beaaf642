"""Fingerprints of what the shipped models write and read for fixed seeds, kept in
shipped_digests.json so that a change to the code that runs them (not to the weights)
is seen to leave their strokes and readings as they were.

    python tests/digests.py   # after shipping a new model: record its fingerprints

A fingerprint is a few numbers of a line (its length, pen lifts, path length, where it
ends, the mean of two mixture parameters), not the arrays: they stay comparable at a
tolerance across CPUs whose last bits differ.
"""

import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DIGESTS = Path(__file__).with_name("shipped_digests.json")
TEXTS = ["hello world", "Quiz: 42 boxes."]


def fingerprint(strokes, params=None):
    strokes = np.asarray(strokes, np.float64)
    end = strokes[:, :2].sum(0)
    out = {"points": len(strokes), "pen_lifts": int((strokes[:, 2] > 0.5).sum()),
           "path": float(np.hypot(strokes[:, 0], strokes[:, 1]).sum()),
           "end_x": float(end[0]), "end_y": float(end[1])}
    if params is not None:
        out["mean_e"] = float(np.mean(params["e"]))
        out["mean_sigma1"] = float(np.mean(params["sigma1"]))
    return out


def shipped_digests():
    """{what: fingerprint or reading} of the three shipped models, for fixed seeds."""
    sys.path.insert(0, str(ROOT))
    from model import load_model

    free = load_model(ROOT / "save")
    strokes, params = free.sample(150, seed=7, bias=0.5)
    digests = {"free": fingerprint(strokes, params)}
    writer = load_model(ROOT / "save" / "synthesis")
    reader = load_model(ROOT / "save" / "recognizer")
    lines, infos = writer.write(TEXTS, bias=0.75, seed=[3, 4], style="hand-1")
    for text, line, info in zip(TEXTS, lines, infos, strict=True):
        digests[f"write {text}"] = {**fingerprint(line, info["params"]),
                                    "phi_sum": float(info["phi"].sum()), "stop": info["stop"]}
    digests["read"] = reader.read(lines)
    return digests


def matches(old, new, tolerance=1e-3):
    """Whether two digests agree: the same keys, words and counts, numbers to tolerance
    (relative, or absolute near zero)."""
    if isinstance(old, dict):
        return old.keys() == new.keys() and all(matches(old[k], new[k], tolerance) for k in old)
    if isinstance(old, list):
        return len(old) == len(new) and all(matches(a, b, tolerance) for a, b in zip(old, new))
    if isinstance(old, float):
        return abs(old - new) <= tolerance * max(1.0, abs(old))
    return old == new


if __name__ == "__main__":
    DIGESTS.write_text(json.dumps(shipped_digests(), indent=1) + "\n")
    print(f"wrote {DIGESTS}")
