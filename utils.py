"""IAM-OnDB lineStrokes reading, the transcriptions, the parsed-data cache, and the
batch loader.

A line of handwriting is an array of rows (dx, dy, eos): the pen's step from the
previous point in tablet units, and eos = 1 on the last point of each stroke. Its
text, where the ascii archive gives one, is a string. Drawing lives in drawing.py.
"""

import hashlib
import multiprocessing
import os
import pickle
import random
import re
import sys
import tarfile
import tempfile
import textwrap
import warnings
import zlib
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from xml.parsers import expat

import numpy as np

CACHE_NAME = "strokes_training_data.cpkl"
# Bump when the parse or the encoding changes, so old caches are rebuilt.
CACHE_FORMAT = 3
ARCHIVE_NAME = "lineStrokes-all.tar.gz"
ASCII_ARCHIVE_NAME = "ascii-all.tar.gz"
IAM_ONDB_URL = "https://fki.tic.heia-fr.ch/databases/iam-on-line-handwriting-database"
SEED_RANGE = 2**31  # seeds a page can show and JavaScript can hold exactly

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


def _missing_texts_message(path):
    return (
        f"no transcriptions found beside the strokes under '{path}'. Writing text needs "
        f"IAM-OnDB's {ASCII_ARCHIVE_NAME} from {IAM_ONDB_URL}: put it (or the ascii/ "
        f"folder it unpacks to) in the same folder as {ARCHIVE_NAME} or lineStrokes/."
    )


def _missing_data_message(path):
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
                                    + _missing_data_message(path))
        return "archive", path.resolve()
    if not path.is_dir():
        raise FileNotFoundError(_missing_data_message(path))
    for candidate in (path / "lineStrokes", path):
        if candidate.is_dir() and next(candidate.rglob("*.xml"), None) is not None:
            return "folder", candidate.resolve()
    if (path / ARCHIVE_NAME).is_file():
        return "archive", (path / ARCHIVE_NAME).resolve()
    raise FileNotFoundError(_missing_data_message(path))


def _fingerprint(kind, path, suffix=".xml"):
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
MIN_CHAR_COUNT = 3  # a character enters a model's alphabet if the training texts hold it this often
WEAK_CHAR_COUNT = 50  # ... and is named weak below this: too few examples to learn it well


# what pair_texts counts, as the loader's summary says it
TEXT_SKIPPED = {"no_transcription": "in forms without a transcription",
                "count_mismatch": "in forms whose line count differs from their text's",
                "empty_text": "with an empty text"}


def normalize_text(line):
    """A transcribed line as the writer wrote it: single spaces, no tokenisation spaces."""
    return _TOKEN_SPACE.sub("", " ".join(line.split()))


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


def alphabet_from_counts(counts, min_count=MIN_CHAR_COUNT):
    """The characters held at least min_count times, in a fixed (sorted) order."""
    return "".join(sorted(c for c, n in counts.items() if n >= min_count))


def unwritable(text, alphabet):
    """The characters of text outside the model's alphabet, sorted."""
    return sorted(set(text) - set(alphabet))


def check_writable(text, alphabet, hint=""):
    """A ValueError naming the characters of text the model cannot write, if any;
    hint (what to do about it) goes before the alphabet in its message."""
    missing = unwritable(text, alphabet)
    if missing:
        raise ValueError(f"characters the model cannot write: "
                         f"{' '.join(map(repr, missing))}.{hint} It writes: {alphabet}")


def encode_text(text, alphabet, unknown="error"):
    """Character indices of text for a model with this alphabet: 1 + the position in
    alphabet, 0 for a character outside it. unknown="error" raises a ValueError that
    lists such characters; "keep" keeps them as 0 (an "unknown" symbol); "drop"
    leaves them out."""
    if unknown == "error":
        check_writable(text, alphabet)
    index = {c: i + 1 for i, c in enumerate(alphabet)}
    if unknown == "drop":
        text = "".join(c for c in text if c in index)
    return np.array([index.get(c, 0) for c in text], np.int32)


def wrap_text(text, line_length=50):
    """The lines of a page: the text's own line breaks kept, longer lines wrapped at
    spaces into lines of at most line_length characters, blank lines dropped.
    IAM-OnDB's lines hold 29 characters on average and 64 at most."""
    return [line for paragraph in text.splitlines()
            for line in textwrap.wrap(paragraph, line_length, break_on_hyphens=False)]


def fresh_seed():
    """A seed chosen at random, for a sample asked for without one (and shown with it)."""
    return random.randrange(SEED_RANGE)


def line_seeds(seed, count):
    """The seeds of a page's lines: line i has seed + i, so that a line comes out the
    same whether it is written alone, in a batch, by sample.py or by the web page."""
    return [(seed + i) % SEED_RANGE for i in range(count)]


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


def pad_texts(indices, multiple=16):
    """Index arrays of several texts -> int32 [B, U], padded with -1 (a zero one-hot)
    to a multiple of `multiple`, so that a compiled network sees few shapes."""
    width = max(1, -(-max(len(i) for i in indices) // multiple) * multiple)
    out = np.full((len(indices), width), -1, np.int32)
    for row, i in enumerate(indices):
        out[row, :len(i)] = i
    return out


# ---------------------------------------------------------------- cache


class _CacheUnpickler(pickle.Unpickler):
    """The cache holds only dicts, lists, strings, numbers and bytes: refuse any class."""

    def find_class(self, module, name):
        raise pickle.UnpicklingError(
            f"cache refers to {module}.{name}, which a stroke cache never holds"
        )


def load_cache(cache_path):
    with open(cache_path, "rb") as f:
        return _CacheUnpickler(f).load()


def write_atomic(path, data):
    """Write bytes via a temp file in the same folder and a rename: a crash or a
    kill leaves either the old file or the new one, never half of one."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)  # mkstemp makes it private, unlike a normal save
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def save_cache(cache_path, payload):
    write_atomic(cache_path, pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL))


def _pack(parsed, fingerprint):
    """What the cache holds: plain lists, strings, numbers and one bytes blob."""
    arrays = parsed["arrays"]
    flat = np.concatenate(arrays) if arrays else np.zeros((0, 3), np.int16)
    return {
        "format": CACHE_FORMAT,
        "source": fingerprint,
        "line_ids": parsed["line_ids"],
        "lengths": [len(a) for a in arrays],
        "points": np.ascontiguousarray(flat, dtype="<i2").tobytes(),
        "bad": parsed["bad"],
        "texts": parsed["texts"],
        "text_skipped": parsed["text_skipped"],
    }


def _unpack(payload):
    """The cache's payload -> {line_ids, arrays, bad, texts, text_skipped}: texts maps
    a line id to its text (empty without transcriptions, text_skipped then None)."""
    flat = np.frombuffer(payload["points"], dtype="<i2").reshape(-1, 3)
    bounds = np.cumsum([0] + payload["lengths"])
    return {"line_ids": payload["line_ids"],
            "arrays": [flat[a:b] for a, b in zip(bounds[:-1], bounds[1:])],
            "bad": [tuple(b) for b in payload["bad"]],
            "texts": payload["texts"], "text_skipped": payload["text_skipped"]}


def _default_cache_dir(kind, path):
    # beside the archive, or beside lineStrokes/ as the original's data/ folder
    folder = path.parent if kind == "archive" or path.name == "lineStrokes" else path
    if os.access(folder, os.W_OK):
        return folder
    root = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "write-rnn"
    return root / hashlib.sha1(str(path).encode()).hexdigest()[:12]




# ---------------------------------------------------------------- units
#
# Lines are read in tablet units; the network reads and writes model units: steps
# clamped to +-limit and divided by data_scale (eos is 0 or 1 in both).

START = (0.0, 0.0, 1.0)  # the first input of every line: pen lifted at the origin


def to_model_units(raw, limit, data_scale):
    """Rows (dx, dy, eos) [..., 3] in tablet units -> a float32 copy in model units."""
    out = np.array(raw, dtype=np.float32)
    np.clip(out[..., :2], -limit, limit, out=out[..., :2])
    out[..., :2] /= data_scale
    return out


def to_tablet_units(steps, data_scale):
    """Rows (dx, dy, eos) [..., 3] in model units -> tablet units (numpy or tensors)."""
    return steps * np.array([data_scale, data_scale, 1.0], np.float32)


def mixture_to_tablet_units(params, data_scale):
    """A step's mixture (a dict as model.mixture_params gives) in tablet units: the
    means and spreads scale as the step does; e, pi and rho have no unit."""
    return {k: v * data_scale if k in ("mu1", "mu2", "sigma1", "sigma2") else v
            for k, v in params.items()}


def inputs_and_targets(line):
    """A whole line [T, 3] in model units -> (inputs, targets), each [T - 1, 3]: the
    network reads START, then the true steps 1..T-2, and predicts steps 1..T-1. (The
    first row of a line only places the pen.)"""
    line = np.asarray(line, np.float32)
    return np.concatenate([np.array([START], np.float32), line[1:-1]]), line[1:]


def pad_lines(lines, rows=None, multiple=64):
    """Whole lines [T, 3] in model units -> (x, y, mask) [rows, steps, ...]: each line's
    inputs_and_targets, zero-padded to a multiple of `multiple` steps (few compiled
    shapes), mask 1 on the real steps."""
    rows = rows or len(lines)
    steps = max(1, -(-max(len(line) - 1 for line in lines) // multiple) * multiple)
    x = np.zeros((rows, steps, 3), np.float32)
    y = np.zeros((rows, steps, 3), np.float32)
    mask = np.zeros((rows, steps), np.float32)
    for row, line in enumerate(lines):
        n = len(line) - 1
        x[row, :n], y[row, :n] = inputs_and_targets(line)
        mask[row, :n] = 1.0
    return x, y, mask


def raw_units_offset(data_scale):
    """nats per point to add to model-unit NLL for tablet units: the density of
    (dx, dy) / data_scale is data_scale^2 times that of (dx, dy)."""
    return 2.0 * float(np.log(data_scale))


# ---------------------------------------------------------------- loader


class DataLoader:
    """IAM-OnDB lines, cached, and random training batches drawn from them.

    data_dir: a folder holding lineStrokes/ (or lineStrokes-all.tar.gz) and, for
    texts, ascii/ (or ascii-all.tar.gz); a lineStrokes folder; or the lineStrokes
    archive itself, with the ascii archive beside it.

    Without texts, batches are random windows of seq_length points (the original's
    training); with texts=True, whole lines with their texts, batched by length
    (synthesis, Graves section 5).
    """

    def __init__(self, data_dir="data", batch_size=50, seq_length=300, data_scale=20,
                 limit=500, seed=None, cache_dir=None, strict=False, progress=True,
                 texts=False, alphabet=None):
        self.data_dir = data_dir
        self.batch_size = batch_size
        self.seq_length = seq_length
        self.data_scale = data_scale
        self.limit = limit
        self.strict = strict
        self.progress = progress
        self.with_texts = texts
        kind, path = resolve_source(data_dir)
        text_source = resolve_text_source(data_dir, kind, path)
        if texts and text_source is None:
            raise FileNotFoundError(_missing_texts_message(data_dir))
        cache_dir = Path(cache_dir) if cache_dir else _default_cache_dir(kind, path)
        self.cache_path = cache_dir / CACHE_NAME
        parsed = self._load(kind, path, text_source)
        self.line_ids, self.raw_data, self.bad_files = (parsed["line_ids"], parsed["arrays"],
                                                        parsed["bad"])
        self.texts = [parsed["texts"].get(i) for i in self.line_ids]
        self.text_skipped = parsed["text_skipped"]
        self._report_bad()
        self._split_train_valid(alphabet)
        self.rng = np.random.default_rng(seed)
        if progress:
            print(self.summary(), file=sys.stderr)

    def _load(self, kind, path, text_source):
        fingerprint = [_fingerprint(kind, path),
                       text_source and _fingerprint(*text_source, suffix=".txt")]
        try:
            payload = load_cache(self.cache_path)
            if payload.get("format") == CACHE_FORMAT and payload.get("source") == fingerprint:
                return _unpack(payload)
        except FileNotFoundError:
            pass
        except Exception as err:  # unreadable or foreign cache: rebuild, never trust it
            warnings.warn(f"ignoring cache {self.cache_path}: {err}", stacklevel=3)
        line_ids, arrays, bad = read_lines(kind, path, progress=self.progress)
        if not arrays:
            if bad:
                raise ValueError(f"none of the {len(bad)} XML files under '{self.data_dir}' "
                                 f"could be read; first: {bad[0][0]}: {bad[0][1]}")
            raise FileNotFoundError(_missing_data_message(self.data_dir))
        texts, skipped = {}, None
        if text_source is not None:
            every_file = line_ids + [name for name, _ in bad]
            texts, skipped = pair_texts(every_file, read_transcriptions(*text_source))
            texts = {i: t for i, t in texts.items() if i in set(line_ids)}
        parsed = {"line_ids": line_ids, "arrays": arrays, "bad": bad, "texts": texts,
                  "text_skipped": skipped}
        if not (bad and self.strict):
            self.cache_path.parent.mkdir(parents=True, exist_ok=True)
            save_cache(self.cache_path, _pack(parsed, fingerprint))
        return parsed

    def summary(self):
        """One line: what was read, from where, what was skipped, where the cache is."""
        points = sum(len(a) for a in self.raw_data)
        parts = [f"IAM-OnDB: {len(self.raw_data):,} lines, {points:,} points"]
        if self.bad_files:
            parts.append(f"{len(self.bad_files)} unreadable file(s) skipped")
        if self.text_skipped is not None:
            paired = sum(t is not None for t in self.texts)
            why = ", ".join(f"{n} {TEXT_SKIPPED[k]}" for k, n in self.text_skipped.items() if n)
            parts.append(f"{paired:,} with their text" + (f" ({why})" if why else ""))
        if self.with_texts:
            parts.append(f"{len(self.data):,} training and {len(self.valid_data):,} "
                         f"validation lines, {len(self.alphabet)} characters")
        return "; ".join(parts) + f"; cache: {self.cache_path}"

    def _report_bad(self):
        if not self.bad_files:
            return
        first = "; ".join(f"{name}: {why}" for name, why in self.bad_files[:5])
        message = (f"{len(self.bad_files)} lineStrokes file(s) under '{self.data_dir}' "
                   f"could not be read and were skipped (first: {first})")
        if self.strict:
            raise ValueError(message + ". Remove or repair them, or run without --strict.")
        warnings.warn(message, stacklevel=3)

    def _split_train_valid(self, alphabet=None):
        """Lines longer than seq_length + 2 points; of those, every 20th (sorted by
        line id) is validation, as in the original. With texts, training takes every
        other line that has a text, however short, and validation the same lines as
        without texts (those that have one), so that the two models compare."""
        keep = [i for i, a in enumerate(self.raw_data) if len(a) > self.seq_length + 2]
        if not keep and not self.with_texts:  # whole lines train synthesis, however short
            raise ValueError(f"no line under '{self.data_dir}' is longer than "
                             f"seq_length + 2 = {self.seq_length + 2} points")
        valid = keep[19::20]
        train = sorted(set(keep) - set(valid))
        if self.with_texts:
            held_out = set(valid)
            train = [i for i, t in enumerate(self.texts) if t is not None
                     and i not in held_out and len(self.raw_data[i]) > 2]
            valid = [i for i in valid if self.texts[i] is not None]
            self._split_texts(train, valid, alphabet)
        self.train_ids = [self.line_ids[i] for i in train]
        self.valid_ids = [self.line_ids[i] for i in valid]
        self._flat, self.data = self._in_model_units(train)
        _, self.valid_data = self._in_model_units(valid)
        lengths = np.array([len(a) for a in self.data])
        self._offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        self._lengths = lengths
        self._p = lengths / lengths.sum()
        # an epoch: as many windows as the data holds points, as the original counts it
        window = max(1, self.batch_size * self.seq_length)  # seq_length 0: whole lines only
        self.num_batches = max(1, int(lengths.sum() // window))
        if self.with_texts:  # an epoch: every training line once, on average
            self.num_batches = max(1, len(self.data) // self.batch_size)

    def _in_model_units(self, index):
        """The lines of index in model units: one flat float32 array, and the lines as
        views into it (half the memory of separate copies, and a whole batch becomes a
        single gather)."""
        if not index:
            return np.zeros((0, 3), np.float32), []
        flat = to_model_units(np.concatenate([self.raw_data[i] for i in index]),
                              self.limit, self.data_scale)
        bounds = np.cumsum([len(self.raw_data[i]) for i in index])[:-1]
        return flat, np.split(flat, bounds)

    def in_tablet_units(self, line):
        """A line of data or valid_data back in tablet units (steps clamped to
        +-limit, as the network saw them)."""
        return to_tablet_units(line, self.data_scale)

    def _split_texts(self, train, valid, alphabet):
        """The texts of the split, the alphabet (from the training texts unless given)
        and the order that batches lines of similar length together."""
        if not train:
            raise ValueError(f"no line under '{self.data_dir}' pairs with a transcription")
        self.train_texts = [self.texts[i] for i in train]
        self.valid_texts = [self.texts[i] for i in valid]
        self.char_counts = Counter("".join(self.train_texts))
        self.alphabet = alphabet_from_counts(self.char_counts) if alphabet is None \
            else alphabet
        encode = lambda t: encode_text(t, self.alphabet, unknown="keep")  # noqa: E731
        self.train_chars = [encode(t) for t in self.train_texts]
        self.valid_chars = [encode(t) for t in self.valid_texts]
        # how fast the writing moves through its text, where a window starts
        self.chars_per_point = (sum(map(len, self.train_texts))
                                / sum(len(self.raw_data[i]) for i in train))
        # room for the longest text of the data, in steps of 16: few compiled shapes
        self.text_width = pad_texts(self.train_chars + self.valid_chars).shape[1]
        # by length, ties in a fixed random order: a batch is a run of neighbours
        lengths = [len(self.raw_data[i]) for i in train]
        ties = np.random.default_rng(0).random(len(train))
        self._by_length = np.lexsort((ties, lengths))

    def next_batch(self):
        """A training batch. Without texts: windows (x, y), y = x one point later,
        float32 [B, seq_length, 3]; a line is picked with probability proportional
        to its length, so every point of the data set is equally likely to be
        trained on. With texts: whole lines (x, y, mask, chars) as pad_lines and
        pad_texts lay them out, B lines of neighbouring lengths."""
        if self.with_texts:
            return self._next_text_batch()
        B, T = self.batch_size, self.seq_length
        line = self.rng.choice(len(self._lengths), size=B, p=self._p)
        start = (self.rng.random(B) * (self._lengths[line] - T)).astype(np.int64)
        index = (self._offsets[line] + start)[:, None] + np.arange(T + 1)
        window = self._flat[index]
        return window[:, :-1], window[:, 1:]

    def next_lines(self):
        """The training lines (indices into data) of the next whole-line batch: a run
        of batch_size neighbours in length, from a random place."""
        count = len(self._by_length)
        start = int(self.rng.integers(0, max(1, count - self.batch_size + 1)))
        return self._by_length[start:start + self.batch_size]

    def _next_text_batch(self):
        rows = self.next_lines()
        x, y, mask = pad_lines([self.data[i] for i in rows])
        chars = pad_texts([self.train_chars[i] for i in rows])
        chars = np.pad(chars, [(0, 0), (0, self.text_width - chars.shape[1])],
                       constant_values=-1)
        return x, y, mask, chars

    def points_in(self, batch):
        """The points of a batch next_batch gave that are trained on."""
        return int(batch[2].sum()) if self.with_texts else batch[0].size // 3

    def get_state(self):
        """The state of the random generator that picks the batches, for checkpoints
        (a plain JSON-able dict)."""
        return self.rng.bit_generator.state

    def set_state(self, state):
        self.rng.bit_generator.state = state


# ---------------------------------------------------------------- the commands' output

VERBOSE_VARIABLE = "WRITE_RNN_VERBOSE"  # set to 1: TensorFlow's own log lines come back
# What TensorFlow and absl write while TensorFlow loads, before any log level applies:
# absl's notice that it is not initialised, and glog-style info and warning lines
# (oneDNN, "Could not find cuda drivers", CPU features).
_LOAD_NOISE = re.compile(
    r"WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|[IW]\d{4} [\d:.]+ +\d+ [\w.]+:\d+\] .*"
    r"|To enable the following instructions: .* with the appropriate compiler flags\.")


def is_verbose(verbose=False):
    """verbose, or WRITE_RNN_VERBOSE set to anything but empty or 0."""
    return bool(verbose) or os.environ.get(VERBOSE_VARIABLE, "").strip() not in ("", "0")


def add_verbose_flag(parser):
    """The commands' --verbose flag, read by quiet_tensorflow."""
    parser.add_argument("--verbose", action="store_true",
                        help=f"show TensorFlow's own log lines too (as {VERBOSE_VARIABLE}=1 does)")


def quiet_tensorflow(verbose=False):
    """Load TensorFlow and Keras for a command, without their start-up chatter.

    Unless verbose (a command's --verbose, or WRITE_RNN_VERBOSE=1): TensorFlow's C++
    log keeps only fatal errors (TF_CPP_MIN_LOG_LEVEL=3, unless it is set already:
    this hides the CUDA "failed call to cuInit" error of a CPU-only machine and the
    XLA lines), what it prints while loading is dropped line by line (anything not
    known to be noise is passed on), and its Python logger keeps errors. Call it
    after the flags are parsed and before anything imports TensorFlow: TensorFlow
    reads the log level once, when it loads.
    """
    if is_verbose(verbose):
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if "tensorflow" not in sys.modules:
        _import_filtering_stderr("tensorflow", "keras")
    import logging

    logging.getLogger("tensorflow").setLevel(logging.ERROR)


def _import_filtering_stderr(*modules):
    """Import modules with file descriptor 2 (where C++ code logs) sent to a file,
    then write what it caught, less _LOAD_NOISE, to sys.stderr."""
    import importlib

    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no stderr to redirect
        for module in modules:
            importlib.import_module(module)
        return
    with tempfile.TemporaryFile() as caught:
        os.dup2(caught.fileno(), 2)
        try:
            for module in modules:
                importlib.import_module(module)
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            caught.seek(0)
            lines = caught.read().decode(errors="replace").splitlines(keepends=True)
            kept = "".join(line for line in lines if not _LOAD_NOISE.fullmatch(line.rstrip()))
            if kept:
                sys.stderr.write(kept)
                sys.stderr.flush()
