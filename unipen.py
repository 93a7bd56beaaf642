"""UNIPEN read: the isolated characters of a UNIPEN release (categories 1a-1d: digits,
capitals, lower case, symbols), as labelled characters of pen steps in IAM-OnDB's units
and orientation, for the characters IAM-OnDB's lines hold too rarely to be learnt (a
capital X in 3 lines). IAM-OnDB's sibling (iam_ondb.py); pure numpy, no TensorFlow.

The release (International Unipen Foundation, train_r01_v07, 1999; re-released under
CC BY 4.0, doi 10.5281/zenodo.1195803) is read as a user downloads it: the whole release
or a part of it, a .tar.gz or a folder. A label file (data/1b/aga/amywldrp.dat) names its
pen data with .INCLUDE (a path under include/, which may include a site's header in turn)
and labels pen blocks: `.SEGMENT CHARACTER 0-2 ? "A"`. The pen blocks (.PEN_DOWN and
.PEN_UP with points) are numbered from 0 in the order the files stream them; a reference
is `a`, `a-b`, `a:p-b:q` (block:point, inclusive), or a comma list of them; each
.COORD names its columns (X Y, X Y T, ...).

A character becomes a [T, 3] array of (dx, dy, end of stroke) steps, as IAM-OnDB's lines
are, its first row the first point's place from the character's origin (the left of its
ink, on the baseline it would sit on in a line): y turned to grow downwards, the pen-up
(hovering) blocks dropped, scaled by its own height to the height the same character
has in IAM-OnDB's lines (CHARACTER_SPANS, measured there by
docs/measure_character_heights.py: the files' declared resolutions are wrong for some
sites) and resampled to IAM-OnDB's mean pen-down step at the pace the pen kept (slow in
the turns, fast along the straights, as IAM-OnDB's tablet sampled it). Duplicates, and
single straight strokes labelled as a character no straight stroke writes (an X
recorded one stroke at a time), are left out and counted; a file that cannot be read is
skipped and counted (or, strict, refused), naming it: never a wrong character.
"""

import hashlib
import re
import tarfile
import zlib
from collections import Counter
from pathlib import Path

import numpy as np

from cleaning import dequantized, paced

CATEGORIES = ("1a", "1b", "1c", "1d")  # isolated digits, capitals, lower case, symbols
CACHE_NAME = "unipen_characters.cpkl"
CACHE_FORMAT = 3  # bump when the reading or the conversion changes: old caches rebuild
UNIPEN_CITATION = ("I. Guyon, L. Schomaker, R. Plamondon, M. Liberman and S. Janet, "
                   "\"UNIPEN project of on-line data exchange and recognizer benchmarks\", "
                   "ICPR 1994; UNIPEN train_r01_v07, doi 10.5281/zenodo.1195803 (CC BY 4.0)")

# IAM-OnDB's lines, measured (docs/measure_character_heights.py, 3,000 training lines
# and every line holding a rare character, through the shipped writer's window): the
# median x-height, in tablet units; and their mean pen-down step (every fifth training line,
# 1.2 M steps: median 18.2, p10 4.5, p90 37.2, for a tablet that samples at even times)
XHEIGHT = 133.0
MEAN_STEP = 20.3
# each character's (top, bottom) above the baseline, in x-heights, from the pen strokes
# that write it alone: its height, and where it sits on a line
CHARACTER_SPANS = {  # character: (top, bottom, strokes measured)
    '!': (1.91, 0.10, 91),
    '"': (2.31, 1.46, 524),
    '#': (1.63, -0.16, 52),
    "'": (1.88, 1.25, 198),
    '(': (2.12, -0.49, 66),
    ')': (2.13, -0.40, 50),
    '+': (1.17, -0.10, 5),
    ',': (0.37, -0.59, 517),
    '-': (0.67, 0.43, 157),
    '.': (0.21, -0.04, 1008),
    '0': (1.37, 0.01, 43),
    '1': (1.76, -0.17, 88),
    '2': (1.65, -0.13, 36),
    '3': (1.80, -0.05, 30),
    '4': (1.79, 0.18, 18),
    '5': (1.80, -0.14, 26),
    '6': (1.65, -0.12, 20),
    '7': (1.80, -0.12, 19),
    '8': (1.76, -0.34, 10),
    '9': (1.87, -0.33, 43),
    ':': (1.01, 0.40, 82),
    ';': (0.92, 0.31, 30),
    '?': (2.09, 0.04, 72),
    'A': (2.03, -0.26, 173),
    'B': (1.98, -0.22, 124),
    'C': (1.86, -0.17, 97),
    'D': (1.94, -0.11, 82),
    'E': (1.93, -0.09, 56),
    'F': (2.05, -0.18, 80),
    'G': (1.97, -0.13, 83),
    'H': (2.00, -0.29, 160),
    'I': (2.12, -0.16, 229),
    'J': (2.07, -0.43, 36),
    'K': (1.98, -0.20, 43),
    'L': (2.06, -0.07, 50),
    'M': (2.05, -0.17, 123),
    'N': (2.02, -0.21, 59),
    'O': (1.86, -0.03, 56),
    'P': (2.02, -0.22, 70),
    'Q': (2.14, -0.06, 10),
    'R': (2.03, -0.06, 66),
    'S': (1.86, -0.21, 88),
    'T': (1.85, -0.23, 299),
    'U': (1.97, -0.03, 23),
    'V': (2.15, -0.19, 42),
    'W': (1.93, -0.16, 103),
    'Y': (2.07, 0.66, 96),
    'Z': (2.11, 0.15, 5),
    '[': (2.44, 0.10, 3),
    'a': (0.97, -0.01, 4189),
    'b': (1.89, -0.04, 638),
    'c': (1.02, -0.00, 1152),
    'd': (1.61, -0.05, 1846),
    'e': (1.00, 0.00, 4645),
    'f': (2.00, -0.62, 1227),
    'g': (0.94, -1.19, 1014),
    'h': (1.82, 0.02, 2937),
    'i': (0.97, 0.05, 3896),
    'j': (0.98, -1.27, 122),
    'k': (1.85, 0.02, 451),
    'l': (1.82, 0.05, 1636),
    'm': (1.01, 0.00, 1299),
    'n': (1.06, 0.00, 3306),
    'o': (0.97, 0.01, 3979),
    'p': (1.00, -0.99, 1006),
    'q': (1.00, -1.30, 61),
    'r': (1.01, 0.03, 2158),
    's': (1.09, 0.00, 2511),
    't': (1.85, 0.01, 4937),
    'u': (0.98, -0.01, 1446),
    'v': (1.07, 0.00, 496),
    'w': (1.03, -0.02, 1145),
    'x': (1.00, -0.01, 104),
    'y': (0.97, -0.74, 934),
    'z': (1.14, -0.01, 99),
}
MIN_MEASURED = 20  # strokes: a character measured on fewer takes its kind's span
# a character not measured well enough: by its kind (the medians of the table's)
KINDS = {"upper": "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "digit": "0123456789"}
# symbols IAM-OnDB holds too rarely to measure: where type sets them, in x-heights (a
# span under MIN_SCALED_HEIGHT only places them: their writer's scale sizes them)
SYMBOL_SPANS = {"&": (1.9, 0.0), "$": (2.1, -0.2), "%": (1.9, 0.0), "@": (1.6, -0.3),
                "/": (2.0, -0.2), "\\": (2.0, -0.2), "|": (2.1, -0.5), "[": (2.1, -0.45),
                "]": (2.1, -0.45), "{": (2.1, -0.45), "}": (2.1, -0.45), "+": (1.3, 0.1),
                "<": (1.3, 0.1), ">": (1.3, 0.1), "=": (0.95, 0.35), "*": (1.9, 1.0),
                "^": (1.9, 1.3), "`": (1.9, 1.5), "~": (0.8, 0.5), "_": (-0.1, -0.2)}
DEFAULT_SPAN = (1.2, 0.2)  # anything else: about a capital's middle
# whose own height does not size them: the dot of i and j comes after the word, when
# the window has moved on, so the table holds their bodies alone
DOTTED = set("ij")
# a character lower than this (in x-heights) is not scaled by its own height (a dash,
# a dot, a quote: their ink's height says little of their size), but by its writer's
# other characters'
MIN_SCALED_HEIGHT = 0.6
# characters a single straight stroke can write; any other recorded as one is a fragment
STRAIGHT = set("1Il|/\\-_'`,.!:;")
# tablet units a file unit may grow to before the file's grid shows as a staircase (the
# blocky low-resolution sites): IAM-OnDB's tablet itself jitters by a unit or two
COARSE = 3.0
STRAIGHTNESS = 0.08  # a stroke within this share of its length of its chord is straight

_SEGMENT = re.compile(r'\.SEGMENT\s+(\S+)\s+(\S+)(?:\s+(\S+))?\s+"((?:[^"\\]|\\.)*)"')
_REFERENCE = re.compile(r"(\d+)(?::(\d+))?(?:-(\d+)(?::(\d+))?)?")
SKIPPED = {"bad_file": "unreadable label file(s)", "not_a_character": "not one character",
           "no_ink": "with no pen-down point", "duplicate": "duplicates",
           "fragment": "single straight strokes (fragments)", "no_size": "of no size"}


class UnipenError(ValueError):
    """A UNIPEN file that cannot be read; the message names it."""


# ---------------------------------------------------------------- where the release is


def _relative(parts):
    """A member's path from the release's root (data/... or include/...), or None."""
    for i, part in enumerate(parts):
        if part in ("data", "include") and i + 1 < len(parts):
            return "/".join(parts[i:])
    return None


def _wanted(rel, categories):
    """Whether a file of the release is read: a label file of one of categories, or
    anything under include/."""
    parts = rel.split("/")
    return parts[0] == "include" or (parts[0] == "data" and parts[1] in categories)


def resolve_release(source):
    """('archive', file) or ('folder', the release's root: the folder holding data/ and
    include/), for a .tar.gz, a folder at or up to two levels above the root, or a folder
    holding the .tar.gz."""
    path = Path(source).expanduser()
    if path.is_file():
        if not tarfile.is_tarfile(path):
            raise FileNotFoundError(f"--unipen '{path}' is not a tar archive: give the "
                                    "UNIPEN release as a .tar.gz or as its folder")
        return "archive", path.resolve()
    candidates = [path] + sorted(path.glob("*")) + sorted(path.glob("*/*"))
    for folder in candidates:
        if (folder / "data").is_dir() and (folder / "include").is_dir():
            return "folder", folder.resolve()
    archives = sorted(path.glob("*.tar.gz")) if path.is_dir() else []
    if archives:  # a folder the release was downloaded into
        return "archive", archives[0].resolve()
    raise FileNotFoundError(f"--unipen '{path}': no UNIPEN release there (a folder holding "
                            "data/ and include/, or its .tar.gz); see data/README.md")


def release_fingerprint(kind, path):
    """What a cache must match: any change to the release's files changes it."""
    if kind == "archive":
        st = path.stat()
        return [str(path), st.st_size, st.st_mtime_ns]
    files = sorted(f for top in ("data", "include") for f in (path / top).rglob("*")
                   if f.is_file())
    return [str(path), len(files),
            hashlib.sha1("".join(f"{f}{f.stat().st_size}{f.stat().st_mtime_ns}"
                                 for f in files).encode()).hexdigest()]


def release_files(kind, path, categories=CATEGORIES):
    """{path from the release's root: text} of the label files of categories and every
    file under include/ (the pen data and the sites' headers)."""
    files = {}
    if kind == "folder":
        for top in ("data", "include"):
            for f in sorted((path / top).rglob("*")):
                rel = f.relative_to(path).as_posix()
                if f.is_file() and _wanted(rel, categories):
                    files[rel] = f.read_bytes().decode("latin-1")
        return files
    try:
        with tarfile.open(path, "r:*") as tar:
            for member in tar:
                rel = _relative(Path(member.name).parts)
                if member.isfile() and rel and _wanted(rel, categories):
                    files[rel] = tar.extractfile(member).read().decode("latin-1")
    except (EOFError, tarfile.TarError, zlib.error) as err:
        raise ValueError(f"the archive '{path}' is truncated or damaged ({err}): "
                         f"download {path.name} again") from None
    return files


# ---------------------------------------------------------------- parsing


_KEYWORD = re.compile(r"^\..*$", re.M)  # a line that starts with a dot: a keyword's
_ROW = re.compile(r"^[ \t]*\S", re.M)  # a line that holds something


def block_points(data, columns, name, number):
    """A pen block's rows (the text after its .PEN_DOWN or .PEN_UP line `number`) -> the
    points [n, 2] (x, y) of the .COORD columns. Parsed in one go; a block whose rows are
    not all numbers, or not all as long, is read row by row to name the row at fault."""
    x, y = columns.index("X"), columns.index("Y")
    values = data.split()
    rows = len(_ROW.findall(data))
    width = len(values) // max(rows, 1)
    same = rf"^[ \t]*\S+(?:[ \t]+\S+){{{width - 1}}}[ \t]*$"  # a row of `width` values
    if rows and len(values) == rows * width > max(x, y) and \
            len(re.findall(same, data, re.M)) == rows:
        try:
            return np.array(values, np.float64).reshape(rows, width)[:, [x, y]]
        except ValueError:
            pass  # a row is not numbers: say which
    points = []
    for offset, line in enumerate(data.split("\n")[1:], number + 1):
        if not line.strip():
            continue
        try:
            row = [float(v) for v in line.split()]
        except ValueError:
            raise UnipenError(f"{name}, line {offset}: a pen block holds {line.strip()!r}, "
                              "not numbers") from None
        if len(row) <= max(x, y):
            raise UnipenError(f"{name}: a pen block's rows do not hold the .COORD "
                              f"{' '.join(columns)} columns")
        points.append((row[x], row[y]))
    return np.array(points, np.float64).reshape(-1, 2)


def stream(files, name, state=None, depth=0):
    """The pen blocks and segments of file `name` (a path from the release's root), its
    .INCLUDEs followed where they stand: (blocks [(pen down, points [n, 2] (x, y), file
    name)], segments [(reference, label)]). state carries .COORD across the files."""
    if depth > 8:
        raise UnipenError(f"{name}: .INCLUDE nested more than 8 deep")
    if name not in files:
        raise UnipenError(f"{name}: no such file in the release")
    state = {"coord": ["X", "Y"]} if state is None else state
    text = files[name]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    blocks, segments, block, number, at = [], [], None, 1, 0

    def close(end):
        down, first, columns, start = block
        if text[start:end].strip():
            blocks.append((down, block_points(text[start:end], columns, name, first), name))

    for found in _KEYWORD.finditer(text):
        number += text.count("\n", at, found.start())
        at = found.start()
        line = found.group()
        keyword = line.split(None, 1)[0]
        if block is not None:
            close(found.start())
            block = None
        if keyword in (".PEN_DOWN", ".PEN_UP"):
            block = (keyword == ".PEN_DOWN", number, state["coord"], found.end())
        elif keyword == ".COORD":
            state["coord"] = line.split()[1:]
            if "X" not in state["coord"] or "Y" not in state["coord"]:
                raise UnipenError(f"{name}, line {number}: .COORD {' '.join(state['coord'])} "
                                  "names no X and Y")
        elif keyword == ".INCLUDE":
            included = "include/" + line.split()[1]
            try:
                more, more_segments = stream(files, included, state, depth + 1)
            except UnipenError as err:
                raise UnipenError(f"{name}, line {number}: {err}") from None
            offset = len(blocks)
            blocks += more
            segments += [(_shifted(ref, offset), label) for ref, label in more_segments]
        elif keyword == ".SEGMENT":
            segment = _SEGMENT.match(line)
            if not segment:
                raise UnipenError(f"{name}, line {number}: cannot read {line.strip()!r}")
            if segment.group(1) == "CHARACTER":
                segments.append((parse_reference(segment.group(2), name, number),
                                 segment.group(4)))
    if block is not None:
        close(len(text))
    return blocks, segments


def _shifted(reference, offset):
    return [(a + offset, p, b + offset, q) for a, p, b, q in reference]


def parse_reference(text, name="", number=0):
    """A .SEGMENT's delineation -> [(first block, first point or None, last block, last
    point or None)], one per comma-separated part: `a`, `a-b`, `a:p-b:q`, `a:p-b`, `a-b:q`."""
    parts = []
    for part in text.split(","):
        found = _REFERENCE.fullmatch(part.strip())
        if not found:
            raise UnipenError(f"{name}, line {number}: cannot read the reference {text!r}")
        a, p, b, q = (None if g is None else int(g) for g in found.groups())
        if b is None:  # `a` (the whole block) or `a:p` (one point)
            b, q = a, p
        parts.append((a, p, b, q))
        if parts[-1][2] < a:
            raise UnipenError(f"{name}, line {number}: the reference {text!r} runs backwards")
    return parts


def label_of(escaped):
    """A .SEGMENT's label as one character, or None: \\" and \\\\ are a quote and a
    backslash; any other escape (kai's \\@, a ligature) or more than one character is not
    a character of the alphabet."""
    label = escaped.replace('\\"', '"').replace("\\\\", "\\")
    return label if len(label) == 1 and label.isprintable() and label != " " else None


def strokes_of(blocks, reference, name):
    """The pen-down strokes [(points [n, 2])] a reference delineates; a block or point it
    names that the file lacks is an error naming the file."""
    strokes = []
    for a, p, b, q in reference:
        if b >= len(blocks):
            raise UnipenError(f"{name}: a .SEGMENT names block {b}, but the file holds "
                              f"{len(blocks)} pen blocks (0 to {len(blocks) - 1})")
        for k in range(a, b + 1):
            down, xy, _ = blocks[k]
            start = p if (k == a and p is not None) else 0
            stop = q + 1 if (k == b and q is not None) else len(xy)
            if start > len(xy) or stop > len(xy) + 1:
                raise UnipenError(f"{name}: a .SEGMENT names point {max(start, stop - 1)} "
                                  f"of block {k}, which holds {len(xy)}")
            if down and stop > start:
                strokes.append(xy[start:stop])
    return strokes


# ---------------------------------------------------------------- characters


def is_fragment(strokes, label):
    """A single straight stroke labelled as a character no straight stroke writes."""
    if len(strokes) != 1 or label in STRAIGHT:
        return False
    xy = strokes[0]
    chord = xy[-1] - xy[0]
    length = np.hypot(*chord)
    if length == 0:
        return False
    off = np.abs(np.cross(chord, xy - xy[0])) / length
    return off.max() <= STRAIGHTNESS * length


def _kind_span(kind):
    spans = [CHARACTER_SPANS[c][:2] for c in KINDS[kind] if c in CHARACTER_SPANS]
    return tuple(np.median(spans, axis=0))


def span_of(label):
    """(top, bottom) above the baseline, in x-heights, of a character in IAM-OnDB's
    lines: as measured; a capital's or a digit's bottom its kind's (they stand on the
    baseline; a stroke the window gave the next letter can lift one, as Y's stem), and
    its top too where it was measured on fewer than MIN_MEASURED strokes (X: 3 lines)."""
    kind = next((k for k, members in KINDS.items() if label in members), None)
    top, bottom, cases = CHARACTER_SPANS.get(label, (*DEFAULT_SPAN, 0))
    if kind is None:
        return (top, bottom) if cases >= MIN_MEASURED else SYMBOL_SPANS.get(label, DEFAULT_SPAN)
    kind_top, kind_bottom = _kind_span(kind)
    return (top if cases >= MIN_MEASURED else kind_top), kind_bottom


def own_scale(strokes, label):
    """Tablet units per file unit that give the character its height in IAM-OnDB, or
    None for a character too low to be sized by its own height."""
    top, bottom = span_of(label)
    if top - bottom < MIN_SCALED_HEIGHT or label in DOTTED:
        return None
    y = np.concatenate(strokes)[:, 1]
    height = y.max() - y.min()
    return (top - bottom) * XHEIGHT / height if height > 0 else None


def character_steps(strokes, label, scale, step=MEAN_STEP):
    """A character's strokes [(points [n, 2]), y up, file units] -> float32 [T, 3] (dx, dy,
    eos) in tablet units, y down: scaled by scale (a coarse grid's staircase smoothed
    away), resampled at the pen's pace to a mean step of `step` (paced), its first row the
    first point's place from its origin (the left of its ink, on its baseline)."""
    _, bottom = span_of(label)
    scaled = [s * (scale, -scale) for s in strokes]  # y down, as IAM-OnDB's
    ink = np.concatenate(scaled)
    origin = np.array([ink[:, 0].min(), ink[:, 1].max() + bottom * XHEIGHT])
    drawn = [paced(dequantized(s, scale) if scale > COARSE else s, s, step) - origin
             for s in scaled]
    points = np.concatenate(drawn)
    eos = np.concatenate([np.eye(1, len(s), len(s) - 1)[0] for s in drawn])
    steps = np.diff(points, axis=0, prepend=np.zeros((1, 2)))
    return np.column_stack([steps, eos]).astype(np.float32)


def characters_of_file(files, name):
    """The labelled characters of one label file: ([(label, strokes, writer)], Counter of
    what was skipped); raises UnipenError naming the file it cannot read."""
    blocks, segments = stream(files, name)
    found, skipped = [], Counter()
    for reference, escaped in segments:
        label = label_of(escaped)
        strokes = strokes_of(blocks, reference, name)
        if label is None:
            skipped["not_a_character"] += 1
        elif not strokes:
            skipped["no_ink"] += 1
        elif is_fragment(strokes, label):
            skipped["fragment"] += 1
        else:
            writer = blocks[reference[0][0]][2].removeprefix("include/")
            found.append((label, strokes, writer))
    return found, skipped


def read_characters(kind, path, categories=CATEGORIES, strict=False):
    """Every character of the release's label files of categories -> {labels, writers,
    arrays [T, 3] float32 tablet units, skipped {reason: count}, bad [(file, reason)]}.
    Each writer's characters too low to be sized by their own height take the median
    scale of the writer's others."""
    files = release_files(kind, path, categories)
    labelled = sorted(f for f in files if f.startswith("data/"))
    if not labelled:
        raise FileNotFoundError(f"--unipen '{path}': no label files of categories "
                                f"{', '.join(categories)} under data/")
    by_writer, skipped, bad, seen = {}, Counter(), [], set()
    for name in labelled:
        try:
            found, why = characters_of_file(files, name)
        except UnipenError as err:
            if strict:
                raise
            bad.append((name, str(err)))
            continue
        skipped.update(why)
        for label, strokes, writer in found:
            key = hashlib.sha1(label.encode() + np.concatenate(strokes).tobytes()).digest()
            if key in seen:
                skipped["duplicate"] += 1
                continue
            seen.add(key)
            by_writer.setdefault(writer, []).append((label, strokes))
    skipped["bad_file"] = len(bad)
    labels, writers, arrays = [], [], []
    for writer in sorted(by_writer):
        samples = by_writer[writer]
        scales = [own_scale(strokes, label) for label, strokes in samples]
        sized = [s for s in scales if s is not None]
        writer_scale = np.median(sized) if sized else None
        for (label, strokes), scale in zip(samples, scales):
            scale = scale if scale is not None else writer_scale
            if scale is None:
                skipped["no_size"] += 1
                continue
            labels.append(label)
            writers.append(writer)
            arrays.append(character_steps(strokes, label, scale))
    return {"labels": labels, "writers": writers, "arrays": arrays,
            "skipped": dict(skipped), "bad": bad}


# ---------------------------------------------------------------- cache


def _pack(read, fingerprint):
    flat = np.concatenate(read["arrays"]) if read["arrays"] else np.zeros((0, 3), np.float32)
    return {"format": CACHE_FORMAT, "source": fingerprint, "labels": read["labels"],
            "writers": read["writers"], "lengths": [len(a) for a in read["arrays"]],
            "points": np.ascontiguousarray(flat, "<f4").tobytes(),
            "skipped": read["skipped"], "bad": [list(b) for b in read["bad"]]}


def _unpack(payload):
    flat = np.frombuffer(payload["points"], "<f4").reshape(-1, 3)
    bounds = np.cumsum([0] + payload["lengths"])
    return {"labels": payload["labels"], "writers": payload["writers"],
            "arrays": [flat[a:b] for a, b in zip(bounds[:-1], bounds[1:])],
            "skipped": payload["skipped"], "bad": [tuple(b) for b in payload["bad"]]}


class Characters:
    """UNIPEN's isolated characters, read once and cached (as utils.DataLoader caches
    IAM-OnDB): labels [N] (one character each), writers [N] (the pen-data file, whose
    first part is the site), arrays [N] of [T, 3] float32 (dx, dy, eos) steps in tablet
    units, y down, the first row the pen's place from the character's origin.

    source: the release, or a part of it, as a .tar.gz or a folder (--unipen).
    cache_dir: where the cache goes (default: beside the archive, or in the folder).
    """

    def __init__(self, source, cache_dir=None, categories=CATEGORIES, strict=False):
        from utils import read_cache, save_cache, writable_or_user_cache

        kind, path = resolve_release(source)
        folder = path.parent if kind == "archive" else path
        self.cache_path = Path(cache_dir or writable_or_user_cache(folder, path)) / CACHE_NAME
        fingerprint = [release_fingerprint(kind, path), sorted(categories)]
        payload = read_cache(self.cache_path, CACHE_FORMAT, fingerprint)
        if payload is not None:
            read = _unpack(payload)
        else:
            read = read_characters(kind, path, categories, strict)
            self.cache_path.parent.mkdir(parents=True, exist_ok=True)
            save_cache(self.cache_path, _pack(read, fingerprint))
        self.labels, self.writers, self.arrays = read["labels"], read["writers"], read["arrays"]
        self.skipped, self.bad = read["skipped"], read["bad"]
        self.counts = Counter(self.labels)

    def __len__(self):
        return len(self.labels)

    def held_out(self, share=0.1):
        """Whether each sample's writer is one of the writers held out for validation
        (a fixed share of them, by a hash of the writer's name: the same in every run)."""
        def out(writer):
            return int(hashlib.sha1(writer.encode()).hexdigest()[:8], 16) / 2**32 < share
        verdict = {w: out(w) for w in set(self.writers)}
        return np.array([verdict[w] for w in self.writers], bool)

    def summary(self):
        """One line: how many characters of each kind, from how many writers, what was
        left out, where the cache is."""
        sites = {w.split("/")[0] for w in self.writers}
        counts = " ".join(f"{c}{self.counts[c]}" for c in sorted(self.counts))
        why = ", ".join(f"{n:,} {SKIPPED[k]}" for k, n in sorted(self.skipped.items()) if n)
        return (f"UNIPEN: {len(self):,} characters from {len(set(self.writers)):,} writers "
                f"({len(sites)} sites): {counts}" + (f"; left out: {why}" if why else "")
                + f"; cache: {self.cache_path}")


def default_source(data_dir):
    """Where --unipen looks when not given: a unipen/ folder beside IAM-OnDB's data."""
    for candidate in (Path(data_dir) / "unipen", Path(data_dir).parent / "unipen"):
        if candidate.exists():
            return candidate
    return None

