"""lineStrokes XML files laid out as IAM-OnDB's, generated from arrays.

A line is a list of strokes, each an int array [N, 2] of absolute (x, y) tablet
coordinates. Everything here is synthetic: no real IAM-OnDB data is read or copied.
"""

import re
import tarfile
from pathlib import Path

import numpy as np

ARCHIVE_NAME = "lineStrokes-all.tar.gz"

# Ways a file can be damaged, for write_line_strokes(corrupt=...).
CORRUPTIONS = ("truncated", "no_strokeset", "empty_stroke", "non_numeric")

_HEADER = (
    '<?xml version="1.0" encoding="ISO-8859-1"?>\n'
    "<WhiteboardCaptureSession>\n"
    "  <WhiteboardDescription>\n"
    '    <SensorLocation corner="top_left"/>\n'
    '    <DiagonallyOppositeCoords x="6512" y="1376"/>\n'
    '    <VerticallyOppositeCoords x="966" y="1376"/>\n'
    '    <HorizontallyOppositeCoords x="6512" y="787"/>\n'
    "  </WhiteboardDescription>\n"
)
_FOOTER = "</WhiteboardCaptureSession>\n"


def _seconds(centis):
    return f"{centis // 100}.{centis % 100:02d}"


def line_strokes_xml(strokes, corrupt=None, attribute_order=("x", "y", "time"),
                     start_centis=76905):
    """The bytes of one lineStrokes file.

    corrupt: None or one of CORRUPTIONS. attribute_order: the order of a Point's
    attributes (IAM's is x, y, time). As in IAM's files, Point lines end in CRLF
    and all other lines in LF.
    """
    if corrupt not in (None, *CORRUPTIONS):
        raise ValueError(f"unknown corruption {corrupt!r}; expected one of {CORRUPTIONS}")
    strokes = [np.asarray(s) for s in strokes]
    for s in strokes:
        if s.ndim != 2 or s.shape[1] != 2 or len(s) == 0:
            raise ValueError(f"a stroke must be a non-empty [N, 2] array, got shape {s.shape}")
    total = sum(len(s) for s in strokes)
    out = [_HEADER]
    if corrupt != "no_strokeset":
        out.append("  <StrokeSet>\n")
        t, k = start_centis, 0
        for n, stroke in enumerate(strokes):
            times = t + np.arange(len(stroke))
            out.append(f'    <Stroke colour="black" start_time="{_seconds(times[0])}" '
                       f'end_time="{_seconds(times[-1])}">\n')
            for (x, y), tp in zip(stroke.tolist(), times.tolist()):
                attrs = {"x": str(x), "y": str(y), "time": _seconds(tp)}
                if corrupt == "non_numeric" and k == total // 2:
                    attrs["x"] += "a"
                out.append("      <Point "
                           + " ".join(f'{a}="{attrs[a]}"' for a in attribute_order)
                           + "/>\r\n")
                k += 1
            out.append("    </Stroke>\n")
            t = int(times[-1]) + 12  # the pen is up for a moment
            if corrupt == "empty_stroke" and n == 0:
                out.append(f'    <Stroke colour="black" start_time="{_seconds(t)}" '
                           f'end_time="{_seconds(t)}">\n    </Stroke>\n')
                t += 12
        out.append("  </StrokeSet>\n")
    out.append(_FOOTER)
    text = "".join(out)
    if corrupt == "truncated":
        text = text[: len(text) // 2]  # an interrupted copy or download
    return text.encode("latin-1")


def write_line_strokes(path, strokes, corrupt=None, **kwargs):
    """Write one lineStrokes file (see line_strokes_xml); returns its Path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(line_strokes_xml(strokes, corrupt=corrupt, **kwargs))
    return path


# ---------------------------------------------------------------- IAM layout


def line_id(i):
    """An IAM-style line id for the i-th generated line: writer, form, line number."""
    writer = f"{'abcdefghijklmnop'[i // 120 % 16]}{i // 24 % 5 + 1:02d}"
    return f"{writer}-{i // 6 % 4:03d}u-{i % 6 + 1:02d}"


def line_path(lines_dir, lid):
    """lineStrokes/a01/a01-000/a01-000u-01.xml for line id a01-000u-01."""
    writer, form = lid.split("-")[:2]
    form_dir = f"{writer}-{re.match(r'[0-9]+', form).group()}"
    return Path(lines_dir) / writer / form_dir / f"{lid}.xml"


def write_data_folder(root, lines, corrupt=None):
    """Write {line_id: strokes} as root/lineStrokes/...; corrupt maps some ids to a
    corruption. Returns the lineStrokes folder."""
    lines_dir = Path(root) / "lineStrokes"
    corrupt = corrupt or {}
    for lid, strokes in lines.items():
        write_line_strokes(line_path(lines_dir, lid), strokes, corrupt=corrupt.get(lid))
    return lines_dir


def pack_archive(lines_dir, archive_path, rng=None):
    """Pack a lineStrokes folder as IAM's archive: gzip tar of file members only,
    named lineStrokes/..., mode 775, owner 0, mtime 0. With rng, members go in a
    shuffled order, so readers cannot rely on the archive being sorted."""
    lines_dir = Path(lines_dir)
    files = sorted(p for p in lines_dir.rglob("*") if p.is_file())
    if rng is not None:
        files = [files[i] for i in rng.permutation(len(files))]
    archive_path = Path(archive_path)
    archive_path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive_path, "w:gz") as tar:
        for f in files:
            info = tar.gettarinfo(f, arcname=f"lineStrokes/{f.relative_to(lines_dir).as_posix()}")
            info.mode, info.mtime = 0o775, 0
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            with open(f, "rb") as fh:
                tar.addfile(info, fh)
    return archive_path


# ---------------------------------------------------------------- random lines


def steps_of(strokes):
    """The rows (dx, dy, eos) of a generated line in tablet units, from its strokes
    (absolute points): the step from the previous point, 0 for the first, eos on the
    last point of each stroke. Written out here, apart from utils' parser."""
    points = np.concatenate(strokes).astype(np.float64)
    steps = np.zeros((len(points), 3))
    steps[1:, :2] = np.diff(points, axis=0)
    steps[np.cumsum([len(s) for s in strokes]) - 1, 2] = 1
    return steps


def random_line(rng, n_points, stroke_length=(3, 60)):
    """A plausible line of exactly n_points: strokes of random length, each a random
    walk drifting right, separated by pen lifts that jump to the next letter or word
    (now and then by more than the usual 500-unit clamp)."""
    pos = np.array([rng.integers(900, 1600), rng.integers(700, 1400)])
    strokes, remaining = [], n_points
    while remaining:
        n = min(remaining, int(rng.integers(*stroke_length, endpoint=True)))
        if strokes:
            pos = pos + [rng.integers(-150, 700), rng.integers(-200, 200)]
        steps = np.rint(rng.normal([2.0, 0.0], 12.0, size=(n, 2))).astype(np.int64)
        steps[0] = 0
        stroke = pos + np.cumsum(steps, axis=0)
        strokes.append(stroke)
        pos, remaining = stroke[-1], remaining - n
    return strokes


def random_lines(rng, lengths):
    """{line_id: strokes} with one random line per requested length."""
    return {line_id(i): random_line(rng, int(n)) for i, n in enumerate(lengths)}


# ---------------------------------------------------------------- transcriptions


def form_of(lid):
    """a01-000u for line a01-000u-05."""
    return lid.rsplit("-", 1)[0]


def ascii_text(csr_lines, ocr_lines=None):
    """The bytes of one ascii/*.txt file as IAM-OnDB lays it out: an OCR: section with
    the printed text, then the CSR: section with one line per line of writing."""
    ocr = ocr_lines if ocr_lines is not None else [" ".join(csr_lines)]
    body = "OCR:\n\n" + "\n".join(ocr) + "\n\nCSR:\n\n" + "\n".join(csr_lines) + "\n"
    return body.encode("latin-1")


def write_ascii_folder(root, texts):
    """Write {form id: [CSR lines]} as root/ascii/<writer>/<writer-form>/<form>.txt.
    Returns the ascii folder."""
    ascii_dir = Path(root) / "ascii"
    for form, lines in texts.items():
        path = line_path(ascii_dir, form + "-01").with_name(f"{form}.txt")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(ascii_text(lines))
    return ascii_dir


def pack_ascii_archive(ascii_dir, archive_path):
    """Pack an ascii folder as IAM's ascii-all.tar.gz (members named ascii/...)."""
    ascii_dir = Path(ascii_dir)
    with tarfile.open(archive_path, "w:gz") as tar:
        for f in sorted(p for p in ascii_dir.rglob("*") if p.is_file()):
            tar.add(f, arcname=f"ascii/{f.relative_to(ascii_dir).as_posix()}")
    return Path(archive_path)


# ---------------------------------------------------------------- a synthetic font
#
# Each character of FONT is one short stroke of its own direction, so that a model's
# writing can be read back by machine: the test of attention end to end.

FONT = {"a": (0, -1), "b": (1, 0), "c": (0, 1), "d": (-1, 0), "e": (1, -1), "f": (1, 1)}
GLYPH_POINTS = 5
GLYPH_STEP = 12  # tablet units per point of a glyph


def font_line(text, rng, jitter=1.0):
    """The strokes of text in FONT: a glyph per character, each a straight stroke of
    GLYPH_POINTS points, glyphs side by side. Returns a list of [N, 2] arrays."""
    strokes, pos = [], np.array([1000.0, 1000.0])
    for ch in text:
        direction = np.array(FONT[ch], float)
        steps = np.vstack([[0, 0], np.tile(direction * GLYPH_STEP, (GLYPH_POINTS - 1, 1))])
        steps[1:] += rng.normal(0, jitter, (GLYPH_POINTS - 1, 2))
        stroke = pos + np.cumsum(steps, axis=0)
        strokes.append(np.rint(stroke).astype(np.int64))
        pos = np.array([stroke[:, 0].max() + 40.0, 1000.0])  # the pen moves on to the right
    return strokes


def read_font(strokes):
    """Read steps (dx, dy, eos) [T, 3] written in FONT back as text: each stroke is the
    character whose direction is nearest to the stroke's own."""
    strokes = np.asarray(strokes, float)
    ends = np.flatnonzero(strokes[:, 2] > 0.5)
    text, start = [], 0
    names, directions = zip(*FONT.items())
    directions = np.array(directions, float)
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    for end in ends:
        steps = strokes[start + 1:end + 1, :2]  # the first step of a stroke is the pen's jump
        start = end + 1
        if not len(steps):
            text.append("?")
            continue
        move = steps.sum(0)
        text.append(names[int(np.argmax(directions @ move))])
    return "".join(text)


def write_font_corpus(root, rng, forms=70, lines_per_form=6):
    """lineStrokes/ and ascii/ under root of forms x lines_per_form lines in FONT, each a
    random text of 2 to 7 characters. Returns the texts, {form id: [CSR lines]}."""
    strokes, texts = {}, {}
    letters = list(FONT)
    for f in range(forms):
        form = form_of(line_id(f * 6))
        texts[form] = []
        for n in range(1, lines_per_form + 1):
            text = "".join(rng.choice(letters, size=rng.integers(2, 8)))
            texts[form].append(text)
            strokes[f"{form}-{n:02d}"] = font_line(text, rng)
    write_data_folder(root, strokes)
    write_ascii_folder(root, texts)
    return texts
