"""Small UNIPEN releases written by the tests: a label file under data/<category>/ and its
pen data under include/, in the release's own layout, as a folder or a .tar.gz."""

import tarfile
from pathlib import Path

import numpy as np

# a capital X as a writer of 100 units an x-height... draws it: two crossing strokes, y up
X_STROKES = [np.array([(0, 200), (50, 100), (100, 0)]), np.array([(100, 200), (50, 100), (0, 0)])]
O_STROKE = np.array([(50 + 40 * np.cos(a), 100 + 100 * np.sin(a))
                     for a in np.linspace(0, 2 * np.pi, 12)]).round()


def pen_file(blocks, coord=("X", "Y"), header=""):
    """The text of a pen-data file: blocks [(down, points [n, 2] of (x, y))], each row in
    .COORD's column order (T, if named, counts up)."""
    lines = [header, f".COORD {' '.join(coord)}"] if header is not None else []
    t = 0
    for down, xy in blocks:
        lines.append(".PEN_DOWN" if down else ".PEN_UP")
        for x, y in np.asarray(xy).astype(int):
            values = {"X": x, "Y": y, "T": t}
            lines.append(" ".join(str(values[c]) for c in coord))
            t += 10
    return "\n".join(lines) + "\n"


def label_file(includes, segments):
    """The text of a label file: .INCLUDE lines, then .SEGMENT CHARACTER lines
    [(reference, label as written between the quotes)]."""
    lines = [".VERSION 1.0"] + [f".INCLUDE {name}" for name in includes]
    lines += [f'.SEGMENT CHARACTER {ref} ? "{label}"' for ref, label in segments]
    return "\n".join(lines) + "\n"


def write_release(root, files, archive=False):
    """files {path under the release's root: text} -> the release's folder, or, archive,
    a .tar.gz beside it holding it under train_r01_v07/."""
    folder = Path(root) / "train_r01_v07"
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    if not archive:
        return folder
    path = Path(root) / "unipen.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        tar.add(folder, arcname="train_r01_v07")
    return path
