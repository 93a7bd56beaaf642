"""IAM-OnDB, read: its lineStrokes XML files parsed into lines of pen steps, where they
are (an archive or a folder), and its ascii transcriptions paired with the lines; and
a line given from outside (a lineStrokes file, a .npy array, a request) checked.

A line of handwriting is an int16 array of rows (dx, dy, eos): the pen's step from the
previous point in tablet units, and eos = 1 on the last point of each stroke. Its text,
where the ascii archive gives one, is a string. utils.DataLoader caches what is read
here and makes batches of it.
"""

import io
import json
import multiprocessing
import os
import re
import sys
import tarfile
import zlib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from xml.parsers import expat

import numpy as np

from text import as_written

ARCHIVE_NAME = "lineStrokes-all.tar.gz"
ASCII_ARCHIVE_NAME = "ascii-all.tar.gz"
IAM_ONDB_URL = "https://fki.tic.heia-fr.ch/databases/iam-on-line-handwriting-database"

_POINT = re.compile(rb'<Point\s+x="([^"]*)"\s+y="([^"]*)"')
_STROKE_START = re.compile(rb"<Stroke[\s>/]")


class BadLineError(ValueError):
    """A lineStrokes file that cannot be read as a line of handwriting."""


# ---------------------------------------------------------------- parsing


def parse_line_strokes(xml_bytes):
    """Encode one lineStrokes XML document as an int16 array [T, 3] of (dx, dy, eos).

    Unlike the original, the first row is a zero step rather than the absolute
    position from the whiteboard corner: that position is not handwriting, and
    as a training target it is a huge fake jump. Steps across pen lifts are kept.
    Raises BadLineError for anything that is not a complete, numeric StrokeSet.
    """
    try:
        expat.ParserCreate().Parse(xml_bytes, True)  # well-formedness, at C speed
    except expat.ExpatError as err:
        raise BadLineError(f"malformed XML ({err})") from None
    head, sep, body = xml_bytes.partition(b"<StrokeSet")
    if not sep:
        raise BadLineError("no <StrokeSet>")
    chunks = _STROKE_START.split(body)[1:]
    if not chunks:
        raise BadLineError("no <Stroke> in the StrokeSet")
    xs, ys, ends = [], [], []
    for chunk in chunks:
        points = _POINT.findall(chunk)
        if len(points) != chunk.count(b"<Point"):
            return _parse_line_strokes_slow(xml_bytes)  # unusual attribute layout
        if not points:
            raise BadLineError("empty stroke")
        xy = np.array(points)
        xs.append(xy[:, 0])
        ys.append(xy[:, 1])
        ends.append(len(points))
    try:
        x = np.concatenate(xs).astype(np.int64)
        y = np.concatenate(ys).astype(np.int64)
    except ValueError:
        raise BadLineError("non-numeric coordinate") from None
    return _encode(x, y, np.cumsum(ends) - 1)


def _parse_line_strokes_slow(xml_bytes):
    """ElementTree fallback for files whose Point attributes are not laid out as IAM's."""
    import xml.etree.ElementTree as ET

    strokeset = ET.fromstring(xml_bytes).find("StrokeSet")
    if strokeset is None:
        raise BadLineError("no <StrokeSet>")
    x, y, ends = [], [], []
    for stroke in strokeset.iter("Stroke"):
        points = stroke.findall("Point")
        if not points:
            raise BadLineError("empty stroke")
        try:
            x += [int(p.get("x")) for p in points]
            y += [int(p.get("y")) for p in points]
        except (TypeError, ValueError):
            raise BadLineError("non-numeric or missing coordinate") from None
        ends.append(len(x) - 1)
    if not ends:
        raise BadLineError("no <Stroke> in the StrokeSet")
    return _encode(np.array(x), np.array(y), np.array(ends))


def _encode(x, y, stroke_ends):
    steps = np.zeros((len(x), 3), np.int64)
    steps[1:, 0] = np.diff(x)
    steps[1:, 1] = np.diff(y)
    steps[stroke_ends, 2] = 1
    if np.abs(steps[:, :2]).max() > np.iinfo(np.int16).max:
        raise BadLineError("coordinate step beyond the int16 range")
    return steps.astype(np.int16)


# ---------------------------------------------------------------- sources


# ---------------------------------------------------------------- a line from outside


MAX_STEP = 100_000.0  # |dx|, |dy| of a line given from outside, tablet units (models clamp at 500)


def checked_line(strokes, name="the line", max_points=None):
    """A line given from outside (a caller, a request, a file) as float32 [T, 3] rows
    of (dx, dy, eos) in tablet units, or a ValueError that names it and says what is
    wrong: the one contract of model.write's styles, the recogniser, the commands and
    the API."""
    try:
        array = np.asarray(strokes, np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected rows of [dx, dy, eos] numbers") from None
    if array.size == 0:  # [] as well: no point
        array = array.reshape(0, 3)
    if array.ndim != 2 or array.shape[1] != 3:
        raise ValueError(f"{name}: expected an array of shape [T, 3] (dx, dy, eos), "
                         f"got shape {list(array.shape)}")
    if len(array) < 2:  # the first row only places the pen
        raise ValueError(f"{name} needs at least two points, not {len(array)}")
    if max_points is not None and len(array) > max_points:
        raise ValueError(f"{name} has {len(array):,} points; at most {max_points:,} are "
                         f"taken (a line of IAM-OnDB has at most 1,940)")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} holds NaN or infinite numbers")
    if np.abs(array[:, :2]).max() > MAX_STEP:
        raise ValueError(f"{name}: a step is larger than {MAX_STEP:g} tablet units")
    if not np.isin(array[:, 2], (0.0, 1.0)).all():
        raise ValueError(f"{name}: eos (the third number of a point) must be 0 or 1")
    return array.astype(np.float32)


def read_line_file(path):
    """The line in an IAM-OnDB lineStrokes XML file, or in a .npy [T, 3] array such as
    a line model.write or model.sample gave, as checked_line gives it. Raises OSError,
    or ValueError saying what is wrong with the file."""
    path = Path(path)
    blob = path.read_bytes()
    if not blob:
        raise ValueError("the file is empty")
    if path.suffix.lower() != ".npy":
        return checked_line(parse_line_strokes(blob))  # BadLineError: a ValueError
    try:
        strokes = np.load(io.BytesIO(blob), allow_pickle=False)
    except (ValueError, EOFError, OSError) as err:
        raise ValueError(f"not a readable .npy array ({err})") from None
    if strokes.dtype.kind not in "iuf":
        raise ValueError(f"expected a numeric [T, 3] array of (dx, dy, eos), not "
                         f"{strokes.dtype}")
    return checked_line(strokes)


def read_hand_file(path):
    """A hand in a file: (strokes as checked_line gives them, the text they write), from
    a JSON object {"text": ..., "strokes": [[dx, dy, eos], ...]} in tablet units, as the
    web page downloads the hand written on its pad and /api/write takes a style. Raises
    OSError, or ValueError saying what is wrong with the file."""
    try:
        hand = json.loads(Path(path).read_bytes())
        strokes, text = hand["strokes"], hand["text"]
    except (ValueError, KeyError, TypeError) as err:
        raise ValueError(f"not a hand file: a JSON object of \"text\" and \"strokes\" "
                         f"[[dx, dy, eos], ...] ({err})") from None
    if not isinstance(text, str) or not text.strip():
        raise ValueError("its \"text\", what the strokes write, is empty")
    return checked_line(strokes), text


def read_line_ids(path):
    """The line ids (lineStrokes file names without .xml: "a01-000u-01") listed in a
    text file, one a line (blank lines and what follows a # ignored), as a set. Raises
    OSError, or ValueError naming the line that is not an id."""
    ids = set()
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if len(line.split()) > 1:
            raise ValueError(f"{path}, line {number}: {line!r} is not one line id such as "
                             "a01-000u-01")
        ids.add(line)
    return ids


# ---------------------------------------------------------------- the data set


def missing_texts_message(path):
    return (
        f"no transcriptions found beside the strokes under '{path}'. Writing text needs "
        f"IAM-OnDB's {ASCII_ARCHIVE_NAME} from {IAM_ONDB_URL}: put it (or the ascii/ "
        f"folder it unpacks to) in the same folder as {ARCHIVE_NAME} or lineStrokes/."
    )


def missing_data_message(path):
    return (
        f"no lineStrokes XML found under '{path}'. IAM-OnDB comes from {IAM_ONDB_URL} "
        f"(free registration): download {ARCHIVE_NAME} and either pass the archive itself "
        f"(--data_dir path/to/{ARCHIVE_NAME}), the folder that holds it, or unpack it so "
        f"that '{path}/lineStrokes/' exists. See data/README.md."
    )


def resolve_source(data_dir):
    """Find the lineStrokes data under data_dir: ('archive', file) or ('folder', dir)."""
    path = Path(data_dir).expanduser()
    if path.is_file():
        if not tarfile.is_tarfile(path):
            raise FileNotFoundError(f"'{path}' is not a tar archive. "
                                    + missing_data_message(path))
        return "archive", path.resolve()
    if not path.is_dir():
        raise FileNotFoundError(missing_data_message(path))
    for candidate in (path / "lineStrokes", path):
        if candidate.is_dir() and next(candidate.rglob("*.xml"), None) is not None:
            return "folder", candidate.resolve()
    if (path / ARCHIVE_NAME).is_file():
        return "archive", (path / ARCHIVE_NAME).resolve()
    raise FileNotFoundError(missing_data_message(path))


def source_fingerprint(kind, path, suffix=".xml"):
    """What the cache must match: changes to any source file change this."""
    if kind == "archive":
        st = path.stat()
        return [str(path), st.st_size, st.st_mtime_ns]
    files = sorted(path.rglob(f"*{suffix}"))
    return [str(path)] + [
        (str(f.relative_to(path)), f.stat().st_size, f.stat().st_mtime_ns) for f in files
    ]


def _iter_files(kind, path, suffix=".xml"):
    """Yield (name without suffix, bytes) for every file of the source ending in suffix."""
    if kind == "archive":
        try:
            with tarfile.open(path, "r:*") as tar:
                for member in tar:
                    if member.isfile() and member.name.endswith(suffix):
                        yield Path(member.name).stem, tar.extractfile(member).read()
        except (EOFError, tarfile.TarError, zlib.error) as err:
            raise ValueError(f"the archive '{path}' is truncated or damaged ({err}): "
                             f"download {path.name} again") from None
    else:
        for f in sorted(path.rglob(f"*{suffix}")):
            yield f.stem, f.read_bytes()


def _count_xml(kind, path):
    if kind == "archive":
        return None  # a gzip stream cannot be counted without reading it all
    return sum(1 for _ in path.rglob("*.xml"))


def _parse_many(named_blobs):
    """[(line_id, bytes)] -> [(line_id, array or None, reason or None)]."""
    out = []
    for name, blob in named_blobs:
        try:
            out.append((name, parse_line_strokes(blob), None))
        except BadLineError as err:
            out.append((name, None, str(err)))
    return out


def _batched(items, size):
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def read_lines(kind, path, progress=True, workers=None):
    """Parse every line of a source -> (sorted line_ids, arrays, bad [(line_id, reason)]).

    Files are parsed by `workers` forked processes (all cores by default) while
    this one reads and decompresses; fork, not spawn, so that a caller's script
    without a __main__ guard is not re-run in the workers.
    """
    from tqdm.auto import tqdm

    workers = workers or os.cpu_count() or 1
    can_fork = "fork" in multiprocessing.get_all_start_methods()
    bar = tqdm(total=_count_xml(kind, path), unit=" lines", desc="parsing IAM-OnDB",
               disable=not progress, file=sys.stderr)
    results, pending = [], []

    def collect(parsed):
        results.extend(parsed)
        bar.update(len(parsed))

    batches = _batched(_iter_files(kind, path), 64)
    if workers == 1 or not can_fork:
        for batch in batches:
            collect(_parse_many(batch))
    else:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            for batch in batches:
                pending.append(pool.submit(_parse_many, batch))
                while pending and pending[0].done():
                    collect(pending.pop(0).result())
            for future in pending:
                collect(future.result())
    bar.close()
    results.sort(key=lambda item: item[0])
    good = [(name, array) for name, array, _ in results if array is not None]
    bad = [(name, why) for name, _, why in results if why is not None]
    return [name for name, _ in good], [array for _, array in good], bad


# ---------------------------------------------------------------- transcriptions
#
# ascii/a01/a01-000/a01-000u.txt holds the text of form a01-000u; line NN of its CSR:
# section is what lineStrokes/a01/a01-000/a01-000u-NN.xml writes.

# IAM's transcriptions come from the tokenised LOB corpus ("Mr . Foot", "it 's"), but
# the writers wrote "Mr. Foot" and "it's": the spaces tokenisation added come out.
_TOKEN_SPACE = re.compile(r" (?=[.,;:?!)])| (?='(?:s|t|re|ve|ll|m|d)\b)|(?<=\() ")


# what pair_texts counts, as the loader's summary says it
TEXT_SKIPPED = {"no_transcription": "in forms without a transcription",
                "count_mismatch": "in forms whose line count differs from their text's",
                "empty_text": "with an empty text"}


def normalize_text(line):
    """A transcribed line as the writer wrote it: single spaces, no tokenisation spaces."""
    return _TOKEN_SPACE.sub("", as_written(line))


def csr_lines(text):
    """The lines of the CSR: section of an IAM-OnDB ascii file, without the blank
    lines around them, or None if it has no CSR: section."""
    _, sep, rest = text.partition("CSR:")
    if not sep:
        return None
    lines = [line.rstrip("\r") for line in rest.split("\n")[1:]]
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def resolve_text_source(data_dir, kind, path):
    """Find the transcriptions beside the strokes: ('archive', ascii-all.tar.gz),
    ('folder', .../ascii) or None."""
    folders = [Path(data_dir).expanduser()]
    folders.append(path.parent if kind == "archive" or path.name == "lineStrokes" else path)
    for folder in folders:
        if folder.is_file():
            folder = folder.parent
        if (folder / "ascii").is_dir() and next((folder / "ascii").rglob("*.txt"), None):
            return "folder", (folder / "ascii").resolve()
        if (folder / ASCII_ARCHIVE_NAME).is_file():
            return "archive", (folder / ASCII_ARCHIVE_NAME).resolve()
    return None


def read_transcriptions(kind, path):
    """{form id: [its CSR lines]} for every ascii file of the source."""
    forms = {}
    for name, blob in _iter_files(kind, path, ".txt"):
        lines = csr_lines(blob.decode("latin-1"))
        if lines is not None:
            forms[name] = lines
    return forms


def pair_texts(line_ids, forms):
    """{line id: its text} for the lines that pair with a transcription, and the counts
    of those that do not: lines of a form with no transcription, of a form whose count
    of text lines differs from its count of stroke files, and lines whose text is
    empty. line_ids: every stroke file, readable or not, so that the counts compare."""
    by_form = {}
    for line_id in line_ids:
        by_form.setdefault(line_id.rsplit("-", 1)[0], []).append(line_id)
    texts, skipped = {}, {"no_transcription": 0, "count_mismatch": 0, "empty_text": 0}
    for form, ids in by_form.items():
        lines = forms.get(form)
        if lines is None:
            skipped["no_transcription"] += len(ids)
            continue
        numbers = sorted(int(i.rsplit("-", 1)[1]) for i in ids)
        if len(lines) != len(ids) or numbers != list(range(1, len(ids) + 1)):
            skipped["count_mismatch"] += len(ids)
            continue
        for line_id in ids:
            text = normalize_text(lines[int(line_id.rsplit("-", 1)[1]) - 1])
            if text:
                texts[line_id] = text
            else:
                skipped["empty_text"] += 1
    return texts, skipped


def transcription_of(xml_path):
    """The text of an IAM-OnDB lineStrokes file, from the ascii/ folder or archive of
    the same data set (a folder above it holding either), or None."""
    xml_path = Path(xml_path).resolve()
    form, _, number = xml_path.stem.rpartition("-")
    for folder in xml_path.parents:
        source = resolve_text_source(folder, "folder", folder)
        if source is None:
            continue
        lines = read_transcriptions(*source).get(form)
        if lines and number.isdigit() and 0 < int(number) <= len(lines):
            return normalize_text(lines[int(number) - 1]) or None
        return None
    return None
