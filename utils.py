"""IAM-OnDB lineStrokes reading, the parsed-data cache, and the batch loader.

A line of handwriting is an array of rows (dx, dy, eos): the pen's step from the
previous point in tablet units, and eos = 1 on the last point of each stroke.
Drawing lives in drawing.py.
"""

import hashlib
import multiprocessing
import os
import pickle
import re
import sys
import tarfile
import tempfile
import time
import warnings
import zlib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from xml.parsers import expat

import numpy as np

CACHE_NAME = "strokes_training_data.cpkl"
# Bump when the parse or the encoding changes, so old caches are rebuilt.
CACHE_FORMAT = 2
ARCHIVE_NAME = "lineStrokes-all.tar.gz"
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


def _fingerprint(kind, path):
    """What the cache must match: changes to any source file change this."""
    if kind == "archive":
        st = path.stat()
        return [str(path), st.st_size, st.st_mtime_ns]
    files = sorted(path.rglob("*.xml"))
    return [str(path)] + [
        (str(f.relative_to(path)), f.stat().st_size, f.stat().st_mtime_ns) for f in files
    ]


def _iter_xml(kind, path):
    """Yield (line_id, bytes) for every XML file of the source."""
    if kind == "archive":
        try:
            with tarfile.open(path, "r:*") as tar:
                for member in tar:
                    if member.isfile() and member.name.endswith(".xml"):
                        yield Path(member.name).stem, tar.extractfile(member).read()
        except (EOFError, tarfile.TarError, zlib.error) as err:
            raise ValueError(f"the archive '{path}' is truncated or damaged ({err}): "
                             f"download {ARCHIVE_NAME} again") from None
    else:
        for f in sorted(path.rglob("*.xml")):
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

    batches = _batched(_iter_xml(kind, path), 64)
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


def _pack(line_ids, arrays, bad, fingerprint):
    lengths = [len(a) for a in arrays]
    flat = np.concatenate(arrays) if arrays else np.zeros((0, 3), np.int16)
    return {
        "format": CACHE_FORMAT,
        "source": fingerprint,
        "line_ids": line_ids,
        "lengths": lengths,
        "points": np.ascontiguousarray(flat, dtype="<i2").tobytes(),
        "bad": bad,
    }


def _unpack(payload):
    flat = np.frombuffer(payload["points"], dtype="<i2").reshape(-1, 3)
    bounds = np.cumsum([0] + payload["lengths"])
    arrays = [flat[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
    return payload["line_ids"], arrays, [tuple(b) for b in payload["bad"]]


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


def raw_units_offset(data_scale):
    """nats per point to add to model-unit NLL for tablet units: the density of
    (dx, dy) / data_scale is data_scale^2 times that of (dx, dy)."""
    return 2.0 * float(np.log(data_scale))


# ---------------------------------------------------------------- loader


class DataLoader:
    """IAM-OnDB lines, cached, and random training windows drawn from them.

    data_dir: a folder holding lineStrokes/, a lineStrokes folder, the
    lineStrokes-all.tar.gz archive, or a folder holding that archive.
    """

    def __init__(self, data_dir="data", batch_size=50, seq_length=300, data_scale=20,
                 limit=500, seed=None, cache_dir=None, strict=False, progress=True):
        self.data_dir = data_dir
        self.batch_size = batch_size
        self.seq_length = seq_length
        self.data_scale = data_scale
        self.limit = limit
        self.strict = strict
        self.progress = progress
        kind, path = resolve_source(data_dir)
        cache_dir = Path(cache_dir) if cache_dir else _default_cache_dir(kind, path)
        self.cache_path = cache_dir / CACHE_NAME
        self.line_ids, self.raw_data, self.bad_files = self._load(kind, path)
        self._report_bad()
        self._split()
        self.rng = np.random.default_rng(seed)

    def _load(self, kind, path):
        fingerprint = _fingerprint(kind, path)
        try:
            payload = load_cache(self.cache_path)
            if payload.get("format") == CACHE_FORMAT and payload.get("source") == fingerprint:
                return _unpack(payload)
        except FileNotFoundError:
            pass
        except Exception as err:  # unreadable or foreign cache: rebuild, never trust it
            warnings.warn(f"ignoring cache {self.cache_path}: {err}", stacklevel=3)
        start = time.perf_counter()
        line_ids, arrays, bad = read_lines(kind, path, progress=self.progress)
        if not arrays:
            if bad:
                raise ValueError(f"none of the {len(bad)} XML files under '{self.data_dir}' "
                                 f"could be read; first: {bad[0][0]}: {bad[0][1]}")
            raise FileNotFoundError(_missing_data_message(self.data_dir))
        self.parse_seconds = time.perf_counter() - start
        if not (bad and self.strict):
            self.cache_path.parent.mkdir(parents=True, exist_ok=True)
            save_cache(self.cache_path, _pack(line_ids, arrays, bad, fingerprint))
        return line_ids, arrays, bad

    def _report_bad(self):
        if not self.bad_files:
            return
        first = "; ".join(f"{name}: {why}" for name, why in self.bad_files[:5])
        message = (f"{len(self.bad_files)} lineStrokes file(s) under '{self.data_dir}' "
                   f"could not be read and were skipped (first: {first})")
        if self.strict:
            raise ValueError(message + ". Remove or repair them, or run without --strict.")
        warnings.warn(message, stacklevel=3)

    def _split(self):
        """Lines longer than seq_length + 2 points; of those, every 20th (sorted by
        line id) is validation, as in the original."""
        keep = [i for i, a in enumerate(self.raw_data) if len(a) > self.seq_length + 2]
        if not keep:
            raise ValueError(f"no line under '{self.data_dir}' is longer than "
                             f"seq_length + 2 = {self.seq_length + 2} points")
        valid = keep[19::20]
        train = sorted(set(keep) - set(valid))
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

    def next_batch(self):
        """A batch of windows (x, y), y = x one point later, float32 [B, T, 3].

        A line is picked with probability proportional to its length, so every
        point of the data set is equally likely to be trained on.
        """
        B, T = self.batch_size, self.seq_length
        line = self.rng.choice(len(self._lengths), size=B, p=self._p)
        start = (self.rng.random(B) * (self._lengths[line] - T)).astype(np.int64)
        index = (self._offsets[line] + start)[:, None] + np.arange(T + 1)
        window = self._flat[index]
        return window[:, :-1], window[:, 1:]

    def get_state(self):
        """The sampler's state, for checkpoints (plain JSON-able dict)."""
        return self.rng.bit_generator.state

    def set_state(self, state):
        self.rng.bit_generator.state = state

    def validation_lines(self):
        """(line_id, float32 [T, 3]) for every validation line, whole."""
        return zip(self.valid_ids, self.valid_data)

