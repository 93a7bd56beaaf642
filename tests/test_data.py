"""The IAM-OnDB pipeline of utils.py: lineStrokes parsing, the cache and the batches.

Every test writes its own lineStrokes XML (tests/xmlgen.py) and computes what the
loader should return from the arrays it wrote.
"""

import errno
import json
import os
import pickle
import stat
import tarfile
import warnings
from pathlib import Path

import numpy as np
import pytest
import xmlgen

import files
import iam_ondb
import utils

SEQ = 20  # seq_length of the small test loaders
LIMIT, SCALE = 500, 20  # the loader's defaults, spelled out for the expectations
# the real data set, where the notebook and bench.py look for it
REAL_DATA = Path(os.environ.get("IAM_ONDB", Path(__file__).resolve().parents[1] / "data"))


# ---------------------------------------------------------------- expectations


def expected_steps(strokes):
    """(dx, dy, eos) rows of a line, built point by point from its absolute strokes."""
    rows, prev = [], None
    for stroke in strokes:
        for k, (x, y) in enumerate(np.asarray(stroke).tolist()):
            dx, dy = (0, 0) if prev is None else (x - prev[0], y - prev[1])
            rows.append((dx, dy, int(k == len(stroke) - 1)))
            prev = (x, y)
    return np.array(rows, dtype=np.int64)


def expected_scaled(steps, limit=LIMIT, scale=SCALE):
    out = np.asarray(steps, dtype=np.float64).copy()
    out[:, :2] = np.clip(out[:, :2], -limit, limit) / scale
    return out.astype(np.float32)


def expected_split(lines, seq_length=SEQ):
    """(train ids, validation ids): lines of more than seq_length + 2 points, sorted by id;
    every 20th of those is validation."""
    keep = [lid for lid in sorted(lines) if sum(len(s) for s in lines[lid]) > seq_length + 2]
    valid = [lid for i, lid in enumerate(keep) if i % 20 == 19]
    return [lid for lid in keep if lid not in valid], valid


def load(data_dir, **kwargs):
    kwargs = {"batch_size": 8, "seq_length": SEQ, "seed": 0, "progress": False, **kwargs}
    return utils.DataLoader(data_dir, **kwargs)


def forbid_parsing(monkeypatch):
    """From now on the loader may only read its cache."""
    def fail(*args, **kwargs):
        raise AssertionError("the XML was parsed again instead of read from the cache")
    monkeypatch.setattr(utils, "read_lines", fail)


def count_parses(monkeypatch):
    calls, real = [], utils.read_lines

    def counting(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(utils, "read_lines", counting)
    return calls


def user_warnings(caught):
    return [str(w.message) for w in caught if issubclass(w.category, UserWarning)]


def assert_raw_matches(loader, lines):
    assert loader.line_ids == sorted(lines)
    for lid, raw in zip(loader.line_ids, loader.raw_data):
        np.testing.assert_array_equal(raw, expected_steps(lines[lid]), err_msg=lid)


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def _random_corpus():
    rng = np.random.default_rng(1234)
    lengths = list(rng.integers(SEQ + 4, 90, size=44))
    lengths += [SEQ + 3, SEQ + 2, SEQ + 2, SEQ + 1, 5, 1]
    rng.shuffle(lengths)
    return xmlgen.random_lines(rng, lengths)


@pytest.fixture
def corpus(_random_corpus):
    """50 random lines: most long enough for training windows, a few right at the
    seq_length + 2 cut-off or far below it. 45 are kept, so two are validation.
    A fresh dict per test; tests replace strokes, never edit them in place."""
    return dict(_random_corpus)


@pytest.fixture
def iam_root(tmp_path, corpus):
    """A data folder holding lineStrokes/ as unpacked from IAM's archive."""
    root = tmp_path / "data"
    xmlgen.write_data_folder(root, corpus)
    return root


@pytest.fixture
def archive(tmp_path, iam_root):
    """The same lines packed as lineStrokes-all.tar.gz, members in shuffled order."""
    return xmlgen.pack_archive(iam_root / "lineStrokes",
                               tmp_path / "packed" / iam_ondb.ARCHIVE_NAME,
                               rng=np.random.default_rng(7))


# Three strokes, the middle one a single point (a dot): its only row carries eos.
HAND_STROKES = [
    np.array([[1073, 1058], [1072, 1085], [1080, 1101], [1095, 1099]]),
    np.array([[1210, 1040]]),
    np.array([[1190, 1071], [1204, 1090], [1233, 1062]]),
]


@pytest.fixture
def hand_loader(tmp_path):
    xmlgen.write_data_folder(tmp_path, {"a01-000u-01": HAND_STROKES})
    return load(tmp_path, seq_length=2)


# ---------------------------------------------------------------- encoding


def test_first_row_is_a_zero_step_not_the_absolute_position(hand_loader):
    first = hand_loader.raw_data[0][0]
    assert first.tolist() == [0, 0, 0]


def test_steps_are_differences_of_consecutive_points_across_pen_lifts(hand_loader):
    points = np.concatenate(HAND_STROKES)
    raw = hand_loader.raw_data[0]
    assert len(raw) == len(points)
    np.testing.assert_array_equal(raw[1:, :2], points[1:] - points[:-1])
    # the pen-lift steps, from the last point of one stroke to the first of the next
    lift1 = HAND_STROKES[1][0] - HAND_STROKES[0][-1]
    lift2 = HAND_STROKES[2][0] - HAND_STROKES[1][-1]
    np.testing.assert_array_equal(raw[4, :2], lift1)
    np.testing.assert_array_equal(raw[5, :2], lift2)


def test_eos_is_one_exactly_on_the_last_point_of_each_stroke(hand_loader):
    stroke_ends = np.cumsum([len(s) for s in HAND_STROKES]) - 1
    eos = hand_loader.raw_data[0][:, 2]
    assert set(eos.tolist()) <= {0, 1}
    assert np.flatnonzero(eos).tolist() == stroke_ends.tolist()


def test_raw_data_is_int16_and_equals_the_expected_encoding(iam_root, corpus):
    loader = load(iam_root)
    assert all(raw.dtype == np.int16 for raw in loader.raw_data)
    assert_raw_matches(loader, corpus)


def test_line_ids_are_file_names_without_xml_sorted_even_from_a_shuffled_archive(
        archive, corpus, tmp_path):
    with tarfile.open(archive) as tar:
        stems = [Path(name).stem for name in tar.getnames()]
    assert stems != sorted(stems)  # the archive really is out of order
    loader = load(archive, cache_dir=tmp_path / "cache")
    assert loader.line_ids == sorted(stems) == sorted(corpus)
    assert not any(lid.endswith(".xml") for lid in loader.line_ids)


def test_point_attributes_in_another_order_parse_the_same(tmp_path, corpus):
    # IAM writes x, y, time; a file written by another tool may not
    lid = sorted(corpus)[0]
    usual = xmlgen.line_strokes_xml(corpus[lid])
    reordered = xmlgen.line_strokes_xml(corpus[lid], attribute_order=("time", "y", "x"))
    np.testing.assert_array_equal(iam_ondb.parse_line_strokes(reordered),
                                  iam_ondb.parse_line_strokes(usual))
    np.testing.assert_array_equal(iam_ondb.parse_line_strokes(reordered),
                                  expected_steps(corpus[lid]))


@pytest.mark.parametrize("corrupt", xmlgen.CORRUPTIONS)
def test_parse_line_strokes_rejects_damaged_files(corpus, corrupt):
    strokes = corpus[sorted(corpus)[0]]
    with pytest.raises(iam_ondb.BadLineError):
        iam_ondb.parse_line_strokes(xmlgen.line_strokes_xml(strokes, corrupt=corrupt))


def test_step_beyond_int16_is_rejected_not_wrapped():
    # a 40000-unit jump would silently wrap around in int16
    strokes = [np.array([[0, 0], [10, 10]]), np.array([[40010, 10], [40020, 15]])]
    with pytest.raises(iam_ondb.BadLineError):
        iam_ondb.parse_line_strokes(xmlgen.line_strokes_xml(strokes))


# ---------------------------------------------------------------- data_dir forms


def test_all_data_dir_forms_give_identical_raw_data(iam_root, archive, corpus, tmp_path):
    archive_only = archive.parent  # a folder holding only the archive
    assert sorted(os.listdir(archive_only)) == [iam_ondb.ARCHIVE_NAME]
    forms = {
        "folder holding lineStrokes": iam_root,
        "lineStrokes folder": iam_root / "lineStrokes",
        "archive": archive,
        "folder holding the archive": archive_only,
    }
    # a separate cache per form, so that each really parses its source
    loaders = {name: load(path, cache_dir=tmp_path / f"cache-{i}")
               for i, (name, path) in enumerate(forms.items())}
    for name, loader in loaders.items():
        assert loader.line_ids == sorted(corpus), name
        assert_raw_matches(loader, corpus)


# ---------------------------------------------------------------- model units and split


def test_data_is_clamped_to_limit_scaled_and_float32(iam_root, corpus):
    steps = {lid: expected_steps(s) for lid, s in corpus.items()}
    # the generated pen lifts must exceed the clamp, or this test checks nothing
    assert max(np.abs(s[:, :2]).max() for s in steps.values()) > LIMIT
    loader = load(iam_root, limit=LIMIT, data_scale=SCALE)
    for lid, data in zip(loader.train_ids + loader.valid_ids,
                         loader.data + loader.valid_data):
        assert data.dtype == np.float32
        np.testing.assert_array_equal(data, expected_scaled(steps[lid]), err_msg=lid)


@pytest.mark.parametrize("limit, scale", [(100, 10), (40, 1.5)])
def test_other_limit_and_scale(iam_root, corpus, limit, scale):
    loader = load(iam_root, limit=limit, data_scale=scale)
    for lid, data in zip(loader.train_ids, loader.data):
        assert np.abs(data[:, :2]).max() <= limit / scale
        np.testing.assert_allclose(data, expected_scaled(expected_steps(corpus[lid]),
                                                         limit, scale), rtol=1e-6)


def test_units_go_there_and_back():
    raw = np.array([[0, 0, 0], [700, -30, 0], [-12, 900, 1], [5, -600, 1]], np.int16)
    model_units = utils.to_model_units(raw, LIMIT, SCALE)
    np.testing.assert_array_equal(model_units, expected_scaled(raw))
    assert raw.dtype == np.int16 and raw[1, 0] == 700  # a copy: the input is untouched
    clamped = np.clip(raw[:, :2], -LIMIT, LIMIT)
    back = utils.to_tablet_units(model_units, SCALE)
    np.testing.assert_allclose(back[:, :2], clamped, rtol=1e-6)
    np.testing.assert_array_equal(back[:, 2], raw[:, 2])
    mixture = {"e": 0.5, "pi": 0.25, "rho": 0.5, "mu1": 1.0, "mu2": -2.0, "sigma1": 0.5,
               "sigma2": 3.0}
    assert utils.mixture_to_tablet_units(mixture, SCALE) == {
        "e": 0.5, "pi": 0.25, "rho": 0.5, "mu1": 20.0, "mu2": -40.0, "sigma1": 10.0,
        "sigma2": 60.0}
    assert utils.raw_units_offset(SCALE) == pytest.approx(2 * np.log(SCALE))


def test_lines_of_at_most_seq_length_plus_2_points_are_excluded(iam_root, corpus):
    loader = load(iam_root)
    used = set(loader.train_ids) | set(loader.valid_ids)
    n_points = {lid: sum(len(s) for s in strokes) for lid, strokes in corpus.items()}
    assert {lid for lid, n in n_points.items() if n <= SEQ + 2} & used == set()
    assert {lid for lid, n in n_points.items() if n > SEQ + 2} == used
    assert SEQ + 3 in {n_points[lid] for lid in used}  # the boundary line is kept
    # every excluded line is still parsed
    assert set(loader.line_ids) == set(corpus)


def test_validation_is_every_20th_kept_line_in_id_order(iam_root, corpus):
    train, valid = expected_split(corpus)
    assert len(valid) == 2
    loader = load(iam_root)
    assert loader.valid_ids == valid
    assert loader.train_ids == train
    assert len(loader.data) == len(train) and len(loader.valid_data) == len(valid)


def test_validation_data_holds_every_validation_line_whole(iam_root, corpus):
    loader = load(iam_root)
    assert loader.valid_ids == expected_split(corpus)[1]
    for lid, data in zip(loader.valid_ids, loader.valid_data, strict=True):
        np.testing.assert_array_equal(data, expected_scaled(expected_steps(corpus[lid])))


# ---------------------------------------------------------------- cache


@pytest.mark.parametrize("form", ["root", "lineStrokes", "archive", "archive folder"])
def test_cache_is_written_beside_the_data(iam_root, archive, form):
    data_dir, cache_dir = {
        "root": (iam_root, iam_root),
        "lineStrokes": (iam_root / "lineStrokes", iam_root),
        "archive": (archive, archive.parent),
        "archive folder": (archive.parent, archive.parent),
    }[form]
    loader = load(data_dir)
    assert loader.cache_path == cache_dir / utils.CACHE_NAME
    assert loader.cache_path.is_file()


def test_cache_dir_takes_the_cache_and_nothing_is_written_beside_the_data(iam_root, tmp_path):
    cache_dir = tmp_path / "not" / "yet" / "there"
    loader = load(iam_root, cache_dir=cache_dir)
    assert loader.cache_path == cache_dir / utils.CACHE_NAME
    assert loader.cache_path.is_file()
    assert os.listdir(iam_root) == ["lineStrokes"]


def test_the_loaders_one_line_says_where_the_cache_is(iam_root, tmp_path, capsys):
    load(iam_root, progress=True)
    beside, elsewhere = iam_root / utils.CACHE_NAME, tmp_path / "cache" / utils.CACHE_NAME
    summary = capsys.readouterr().err.strip().splitlines()[-1]
    assert summary.startswith("IAM-OnDB: ") and summary.endswith(f"; cache: {beside}")
    load(iam_root, progress=True, cache_dir=tmp_path / "cache")
    assert capsys.readouterr().err.strip().endswith(f"; cache: {elsewhere}")


def test_cache_file_is_readable_by_others_like_a_normal_save(iam_root):
    # the temp file it is written through is private; the cache must not stay so
    cache = load(iam_root).cache_path
    assert stat.S_IMODE(cache.stat().st_mode) & 0o044 == 0o044


def test_second_load_reads_the_cache(iam_root, corpus, monkeypatch):
    first = load(iam_root)
    forbid_parsing(monkeypatch)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        second = load(iam_root)
    assert user_warnings(caught) == []
    assert_raw_matches(second, corpus)
    assert second.train_ids == first.train_ids and second.valid_ids == first.valid_ids
    for a, b in zip(first.data, second.data):
        np.testing.assert_array_equal(a, b)


def test_second_load_of_the_archive_reads_the_cache(archive, corpus, monkeypatch):
    load(archive)
    forbid_parsing(monkeypatch)
    assert_raw_matches(load(archive), corpus)


def _touch_later(path):
    """A new mtime for sure, however coarse the file system's clock."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))


def _grow(lines_dir, lines, rng):
    lid = sorted(lines)[3]
    lines[lid] = lines[lid] + [np.array([[3000, 1000], [3010, 1004], [3021, 1012]])]
    xmlgen.write_line_strokes(xmlgen.line_path(lines_dir, lid), lines[lid])


def _same_size_new_content(lines_dir, lines, rng):
    lid = sorted(lines)[4]
    path = xmlgen.line_path(lines_dir, lid)
    size = path.stat().st_size
    first = lines[lid][0].copy()
    x = first[1, 0]
    first[1, 0] = x - 1 if x % 10 else x + 1  # same number of digits
    lines[lid] = [first] + lines[lid][1:]
    xmlgen.write_line_strokes(path, lines[lid])
    assert path.stat().st_size == size
    _touch_later(path)


def _touch(lines_dir, lines, rng):
    _touch_later(xmlgen.line_path(lines_dir, sorted(lines)[5]))


def _add(lines_dir, lines, rng):
    lid = "z09-999u-01"
    lines[lid] = xmlgen.random_line(rng, 40)
    xmlgen.write_line_strokes(xmlgen.line_path(lines_dir, lid), lines[lid])


def _remove(lines_dir, lines, rng):
    lid = sorted(lines)[6]
    xmlgen.line_path(lines_dir, lid).unlink()
    del lines[lid]


@pytest.mark.parametrize("change", [_grow, _same_size_new_content, _touch, _add, _remove])
def test_cache_is_rebuilt_when_the_source_changes(iam_root, corpus, monkeypatch, change):
    load(iam_root)
    lines = dict(corpus)
    change(iam_root / "lineStrokes", lines, np.random.default_rng(3))
    calls = count_parses(monkeypatch)
    loader = load(iam_root)
    assert len(calls) == 1
    assert_raw_matches(loader, lines)
    # and the rebuilt cache serves the next load
    forbid_parsing(monkeypatch)
    assert_raw_matches(load(iam_root), lines)


def test_cache_is_rebuilt_when_the_archive_is_replaced(iam_root, archive, corpus, monkeypatch):
    load(archive)
    lines = dict(corpus)
    _add(iam_root / "lineStrokes", lines, np.random.default_rng(4))
    xmlgen.pack_archive(iam_root / "lineStrokes", archive)
    calls = count_parses(monkeypatch)
    assert_raw_matches(load(archive), lines)
    assert len(calls) == 1


def test_changing_limit_and_scale_applies_to_a_cached_load(iam_root, corpus, monkeypatch):
    # the cache holds the raw parse only, so new preprocessing options take effect
    load(iam_root, limit=LIMIT, data_scale=SCALE)
    forbid_parsing(monkeypatch)
    loader = load(iam_root, limit=60, data_scale=7)
    for lid, data in zip(loader.train_ids, loader.data):
        np.testing.assert_allclose(data, expected_scaled(expected_steps(corpus[lid]), 60, 7),
                                   rtol=1e-6)


@pytest.fixture
def read_only_root(iam_root):
    """iam_root, read-only by its mode: for root too (which the mode does not stop), the
    rule for where the cache goes is the same for whoever runs it."""
    iam_root.chmod(0o555)
    try:
        yield iam_root
    finally:
        iam_root.chmod(0o755)


def test_read_only_data_folder_caches_in_cache_dir(read_only_root, tmp_path):
    loader = load(read_only_root, cache_dir=tmp_path / "cache")
    assert loader.cache_path.is_file()
    assert os.listdir(read_only_root) == ["lineStrokes"]


def test_read_only_data_folder_without_cache_dir_uses_the_user_cache(
        read_only_root, corpus, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    loader = load(read_only_root, progress=True)
    assert loader.cache_path.is_relative_to(tmp_path / "xdg")
    assert loader.cache_path.is_file()
    assert os.listdir(read_only_root) == ["lineStrokes"]
    # the summary line says where it went
    assert capsys.readouterr().err.strip().endswith(f"; cache: {loader.cache_path}")


def test_unwritable_data_folder_falls_back_to_the_user_cache(
        iam_root, corpus, tmp_path, monkeypatch):
    # the same as above, but with write access denied by os.access itself, so that it
    # also runs as root
    real_access = os.access
    denied = iam_root.resolve()

    def access(path, mode, *args, **kwargs):
        if mode & os.W_OK and Path(path).resolve() == denied:
            return False
        return real_access(path, mode, *args, **kwargs)

    monkeypatch.setattr(utils.os, "access", access)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    loader = load(iam_root)
    assert loader.cache_path.is_relative_to(tmp_path / "xdg")
    assert loader.cache_path.is_file()
    assert os.listdir(iam_root) == ["lineStrokes"]
    forbid_parsing(monkeypatch)
    assert_raw_matches(load(iam_root), corpus)


# ---------------------------------------------------------------- untrusted cache


class _RunsCodeOnLoad:
    """Unpickling this runs code: it writes the sentinel file."""

    def __init__(self, sentinel):
        self.sentinel = str(sentinel)

    def __reduce__(self):
        return exec, (f"import pathlib; pathlib.Path({self.sentinel!r}).write_text('ran')",)


@pytest.fixture
def malicious_payload(tmp_path):
    sentinel = tmp_path / "SENTINEL"
    payload = pickle.dumps({"format": utils.CACHE_FORMAT, "line_ids": [],
                            "hook": _RunsCodeOnLoad(sentinel)})
    # the payload is live: a plain pickle.loads does run it
    pickle.loads(payload)
    assert sentinel.exists()
    sentinel.unlink()
    return payload, sentinel


def test_malicious_cache_is_not_executed_and_is_rebuilt(iam_root, corpus, malicious_payload):
    payload, sentinel = malicious_payload
    cache = iam_root / utils.CACHE_NAME
    cache.write_bytes(payload)
    with pytest.warns(UserWarning, match=utils.CACHE_NAME):
        loader = load(iam_root)
    assert not sentinel.exists()
    assert_raw_matches(loader, corpus)
    rebuilt = utils.load_cache(cache)  # the real cache now, readable by the safe loader
    assert rebuilt["format"] == utils.CACHE_FORMAT
    assert rebuilt["line_ids"] == sorted(corpus)
    assert not sentinel.exists()


def test_load_cache_refuses_a_pickle_that_runs_code(tmp_path, malicious_payload):
    payload, sentinel = malicious_payload
    cache = tmp_path / utils.CACHE_NAME
    cache.write_bytes(payload)
    with pytest.raises(pickle.UnpicklingError):
        utils.load_cache(cache)
    assert not sentinel.exists()


@pytest.mark.parametrize("garbage", [b"", b"not a pickle at all", pickle.dumps([1, 2, 3])[:-3],
                                     pickle.dumps(["a list, not a dict"])],
                         ids=["empty", "text", "truncated", "not a dict"])
def test_unreadable_cache_is_rebuilt(iam_root, corpus, garbage):
    cache = iam_root / utils.CACHE_NAME
    cache.write_bytes(garbage)
    with pytest.warns(UserWarning, match=utils.CACHE_NAME):
        loader = load(iam_root)
    assert_raw_matches(loader, corpus)
    assert utils.load_cache(cache)["line_ids"] == sorted(corpus)


def test_cache_of_another_format_is_rebuilt_silently(iam_root, corpus, monkeypatch):
    load(iam_root)
    cache = iam_root / utils.CACHE_NAME
    payload = utils.load_cache(cache)
    payload["format"] = utils.CACHE_FORMAT - 1
    payload["lengths"] = [0] * len(payload["lengths"])  # would break a loader that used it
    cache.write_bytes(pickle.dumps(payload))
    calls = count_parses(monkeypatch)
    assert_raw_matches(load(iam_root), corpus)
    assert len(calls) == 1


# ---------------------------------------------------------------- missing or bad input


def _missing(tmp_path):
    return tmp_path / "no-such-folder"


def _empty(tmp_path):
    (tmp_path / "empty").mkdir()
    return tmp_path / "empty"


def _empty_linestrokes(tmp_path):
    (tmp_path / "data" / "lineStrokes" / "a01").mkdir(parents=True)
    return tmp_path / "data"


@pytest.mark.parametrize("make", [_missing, _empty, _empty_linestrokes])
def test_no_data_raises_file_not_found_with_directions(tmp_path, make):
    data_dir = make(tmp_path)
    with pytest.raises(FileNotFoundError) as err:
        load(data_dir)
    message = str(err.value)
    assert str(data_dir) in message
    assert "IAM-OnDB" in message and "lineStrokes" in message


def test_a_file_that_is_not_an_archive_raises_file_not_found(tmp_path):
    fake = tmp_path / iam_ondb.ARCHIVE_NAME
    fake.write_bytes(b"<html>login required</html>")
    with pytest.raises(FileNotFoundError, match="IAM-OnDB") as err:
        load(fake)
    assert str(fake) in str(err.value)


def _bad_folder(root, corpus, bad):
    """The corpus with some of its lines damaged: {line_id: corruption}."""
    xmlgen.write_data_folder(root, corpus, corrupt=bad)
    return {lid: s for lid, s in corpus.items() if lid not in bad}


@pytest.mark.parametrize("corrupt", xmlgen.CORRUPTIONS)
def test_a_damaged_file_is_skipped_and_the_rest_loads(tmp_path, corpus, corrupt):
    bad_id = sorted(corpus)[10]
    good = _bad_folder(tmp_path, corpus, {bad_id: corrupt})
    with pytest.warns(UserWarning, match=bad_id):
        loader = load(tmp_path)
    assert [name for name, _ in loader.bad_files] == [bad_id]
    assert_raw_matches(loader, good)


def test_many_damaged_files_give_one_warning_with_count_and_first_names(tmp_path, corpus):
    ids = sorted(corpus)
    bad = {ids[i]: xmlgen.CORRUPTIONS[i % 4] for i in (2, 9, 11, 17, 23, 30, 41)}
    good = _bad_folder(tmp_path, corpus, bad)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loader = load(tmp_path)
    messages = user_warnings(caught)
    assert len(messages) == 1
    assert str(len(bad)) in messages[0]
    first = sorted(bad)[0]
    assert first in messages[0]
    assert sorted(name for name, _ in loader.bad_files) == sorted(bad)
    assert_raw_matches(loader, good)


def test_strict_raises_naming_the_bad_file_and_writes_no_cache(tmp_path, corpus):
    bad_id = sorted(corpus)[7]
    _bad_folder(tmp_path, corpus, {bad_id: "non_numeric"})
    with pytest.raises(ValueError, match=bad_id):
        load(tmp_path, strict=True)
    assert not (tmp_path / utils.CACHE_NAME).exists()
    assert os.listdir(tmp_path) == ["lineStrokes"]


def test_a_bad_file_is_never_cached_as_a_line(tmp_path, corpus, monkeypatch):
    bad_id = sorted(corpus)[12]
    good = _bad_folder(tmp_path, corpus, {bad_id: "empty_stroke"})
    with pytest.warns(UserWarning):
        load(tmp_path)
    payload = utils.load_cache(tmp_path / utils.CACHE_NAME)
    assert bad_id not in payload["line_ids"]
    assert payload["line_ids"] == sorted(good)
    assert len(payload["lengths"]) == len(good)
    # a cached load still knows about the bad file, and strict still refuses it
    forbid_parsing(monkeypatch)
    with pytest.warns(UserWarning, match=bad_id):
        cached = load(tmp_path)
    assert [name for name, _ in cached.bad_files] == [bad_id]
    assert_raw_matches(cached, good)
    with pytest.raises(ValueError, match=bad_id):
        load(tmp_path, strict=True)


def test_only_bad_files_raises_value_error(tmp_path, corpus):
    lines = dict(list(sorted(corpus.items()))[:3])
    xmlgen.write_data_folder(tmp_path, lines, corrupt=dict.fromkeys(lines, "truncated"))
    with pytest.raises(ValueError, match=sorted(lines)[0]):
        load(tmp_path)
    assert not (tmp_path / utils.CACHE_NAME).exists()


# ---------------------------------------------------------------- interrupted cache write


class _FullDisk:
    """A file whose write stores half of the bytes, then fails as a full disk does."""

    def __init__(self, f, seen):
        self.f, self.seen = f, seen

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.f.close()

    def write(self, data):
        self.f.write(data[: len(data) // 2])
        self.f.flush()
        self.seen.append(os.fstat(self.f.fileno()).st_size)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _fail_mid_write(monkeypatch):
    seen, real_fdopen = [], os.fdopen
    monkeypatch.setattr(utils.os, "fdopen", lambda fd, *a, **k: _FullDisk(real_fdopen(fd, *a, **k),
                                                                          seen))
    return seen


def test_disk_full_during_the_first_cache_write_leaves_no_file(iam_root, monkeypatch):
    with monkeypatch.context() as m:
        partial = _fail_mid_write(m)
        with pytest.raises(OSError):
            load(iam_root)
    assert partial and partial[0] > 0  # half a cache was on disk at the failure
    assert os.listdir(iam_root) == ["lineStrokes"]


def test_disk_full_while_replacing_a_cache_keeps_the_old_one(iam_root, monkeypatch):
    load(iam_root)
    cache = iam_root / utils.CACHE_NAME
    before = cache.read_bytes()
    _add(iam_root / "lineStrokes", {}, np.random.default_rng(5))
    with monkeypatch.context() as m:
        _fail_mid_write(m)
        with pytest.raises(OSError):
            load(iam_root)
    assert cache.read_bytes() == before
    assert sorted(os.listdir(iam_root)) == sorted(["lineStrokes", utils.CACHE_NAME])


@pytest.mark.parametrize("module, name, error", [
    ("os", "replace", KeyboardInterrupt),  # killed before the rename
    ("pickle", "dumps", MemoryError),  # failed to serialize
])
def test_an_interrupted_cache_write_leaves_nothing(iam_root, monkeypatch, module, name, error):
    def fail(*args, **kwargs):
        raise error

    with monkeypatch.context() as m:
        m.setattr(getattr(utils, module), name, fail)
        with pytest.raises(error):
            load(iam_root)
    assert os.listdir(iam_root) == ["lineStrokes"]


def test_write_atomic_replaces_whole_files(tmp_path):
    target = tmp_path / "f.bin"
    files.write_atomic(target, b"old")
    files.write_atomic(target, b"new contents")
    assert target.read_bytes() == b"new contents"
    assert os.listdir(tmp_path) == ["f.bin"]


# ---------------------------------------------------------------- batches


class WindowFinder:
    """Where a window of rows occurs in the expected lines, by a lookup on its first rows."""

    def __init__(self, lines, key_rows=3):
        self.lines, self.k, self.index = lines, key_rows, {}
        for lid, line in lines.items():
            for start in range(len(line) - key_rows + 1):
                self.index.setdefault(line[start:start + key_rows].tobytes(), []).append(
                    (lid, start))

    def find(self, window):
        """(line_id, start) of the only place the whole window occurs."""
        hits = [(lid, start) for lid, start in self.index.get(window[:self.k].tobytes(), [])
                if np.array_equal(self.lines[lid][start:start + len(window)], window)]
        assert len(hits) == 1, f"window found {len(hits)} times in the source lines"
        return hits[0]


def test_next_batch_shapes_and_dtype(iam_root):
    loader = load(iam_root, batch_size=6, seq_length=SEQ)
    x, y = loader.next_batch()
    assert x.shape == y.shape == (6, SEQ, 3)
    assert x.dtype == y.dtype == np.float32


def test_targets_are_the_inputs_one_point_later_within_one_training_line(iam_root, corpus):
    loader = load(iam_root, batch_size=16)
    train, _ = expected_split(corpus)
    lines = {lid: expected_scaled(expected_steps(corpus[lid])) for lid in train}
    finder = WindowFinder(lines)
    for _ in range(3):
        x, y = loader.next_batch()
        for xb, yb in zip(x, y):
            lid, start = finder.find(xb)
            np.testing.assert_array_equal(yb, lines[lid][start + 1:start + SEQ + 1])


def test_windows_reach_both_ends_of_a_line_and_never_leave_it(tmp_path):
    # one line of seq_length + 3 points has exactly 3 windows of seq_length + 1 points
    rng = np.random.default_rng(11)
    lines = {"a01-000u-01": xmlgen.random_line(rng, SEQ + 3)}
    xmlgen.write_data_folder(tmp_path, lines)
    line = expected_scaled(expected_steps(lines["a01-000u-01"]))
    loader = load(tmp_path, batch_size=32)
    finder = WindowFinder({"only": line})
    starts = set()
    for _ in range(10):
        x, y = loader.next_batch()
        for xb, yb in zip(x, y):
            _, start = finder.find(xb)
            np.testing.assert_array_equal(yb, line[start + 1:start + SEQ + 1])
            starts.add(start)
    assert starts == {0, 1, 2}


def _batches(loader, n):
    return [loader.next_batch() for _ in range(n)]


def _same(batches_a, batches_b):
    return all(np.array_equal(a, b) for pa, pb in zip(batches_a, batches_b)
               for a, b in zip(pa, pb))


def test_same_seed_same_batches_other_seed_different(iam_root):
    a = _batches(load(iam_root, seed=42), 4)
    b = _batches(load(iam_root, seed=42), 4)
    c = _batches(load(iam_root, seed=43), 4)
    assert _same(a, b)
    assert not _same(a, c)


def test_get_state_set_state_round_trip_through_json(iam_root):
    loader = load(iam_root, seed=5)
    _batches(loader, 3)
    state = json.loads(json.dumps(loader.get_state()))  # as a checkpoint stores it
    expected = _batches(loader, 4)
    _batches(loader, 2)  # move on, then rewind
    loader.set_state(state)
    assert _same(_batches(loader, 4), expected)
    # and a fresh loader resumes the same way
    other = load(iam_root, seed=999)
    other.set_state(state)
    assert _same(_batches(other, 4), expected)


def test_lines_are_sampled_in_proportion_to_their_length(tmp_path):
    pytest.importorskip("scipy")
    from scipy.special import chdtrc

    rng = np.random.default_rng(2024)
    lengths = [400] * 5 + [2000] * 5
    lines = xmlgen.random_lines(rng, lengths)
    xmlgen.write_data_folder(tmp_path, lines)
    seq, batch, n_batches = 50, 64, 100
    loader = load(tmp_path, batch_size=batch, seq_length=seq, seed=17)
    assert loader.valid_ids == []  # fewer than 20 lines: all of them train

    scaled = {lid: expected_scaled(expected_steps(s)) for lid, s in lines.items()}
    finder = WindowFinder(scaled)
    ids = sorted(lines)
    counts = dict.fromkeys(ids, 0)
    for _ in range(n_batches):
        x, _ = loader.next_batch()
        for xb in x:
            counts[finder.find(xb)[0]] += 1

    n = batch * n_batches
    observed = np.array([counts[lid] for lid in ids], dtype=float)
    share = np.array([len(scaled[lid]) for lid in ids], dtype=float)
    share /= share.sum()
    chi2 = ((observed - n * share) ** 2 / (n * share)).sum()
    assert chdtrc(len(ids) - 1, chi2) > 1e-3, (counts, chi2)
    # the test can tell: picking lines uniformly would be rejected outright
    uniform = ((observed - n / len(ids)) ** 2 / (n / len(ids))).sum()
    assert chdtrc(len(ids) - 1, uniform) < 1e-9
    # long lines as a group: a binomial within 4 standard deviations
    long = np.array([len(scaled[lid]) == 2000 for lid in ids])
    p_long, n_long = share[long].sum(), observed[long].sum()
    assert abs(n_long - n * p_long) < 4 * np.sqrt(n * p_long * (1 - p_long))


# ---------------------------------------------------------------- the real data set


@pytest.mark.slow
def test_real_iam_ondb_archive(tmp_path, monkeypatch):
    try:
        iam_ondb.resolve_source(REAL_DATA)
    except FileNotFoundError:
        pytest.skip(f"IAM-OnDB not found at {REAL_DATA}: set IAM_ONDB to lineStrokes-all.tar.gz")
    loader = utils.DataLoader(REAL_DATA, cache_dir=tmp_path, seed=0, progress=False)
    assert len(loader.line_ids) == 10_779
    assert loader.bad_files == []
    assert loader.line_ids == sorted(set(loader.line_ids))
    lengths = np.array([len(a) for a in loader.raw_data])
    assert 1_000 < lengths.max() < 10_000  # a few thousand points at most
    assert lengths.min() >= 1
    assert all(a.dtype == np.int16 and a[0, :2].tolist() == [0, 0] and a[-1, 2] == 1
               for a in loader.raw_data)
    assert len(loader.valid_ids) == (len(loader.train_ids) + len(loader.valid_ids)) // 20
    x, y = loader.next_batch()
    assert x.shape == (loader.batch_size, loader.seq_length, 3)
    np.testing.assert_array_equal(x[:, 1:], y[:, :-1])
    # the cache written in tmp_path gives back the same lines
    forbid_parsing(monkeypatch)
    cached = utils.DataLoader(REAL_DATA, cache_dir=tmp_path, seed=0, progress=False)
    assert cached.line_ids == loader.line_ids
    assert all(np.array_equal(a, b) for a, b in zip(cached.raw_data, loader.raw_data))


def test_a_truncated_archive_names_the_file_and_says_to_download_again(tmp_path):
    rng = np.random.default_rng(9)
    lines_dir = xmlgen.write_data_folder(tmp_path / "src", xmlgen.random_lines(rng, [400] * 30))
    archive = xmlgen.pack_archive(lines_dir, tmp_path / "lineStrokes-all.tar.gz")
    blob = archive.read_bytes()
    archive.write_bytes(blob[: len(blob) // 2])  # an interrupted download
    with pytest.raises(ValueError, match="truncated or damaged") as info:
        utils.DataLoader(archive, cache_dir=tmp_path / "cache", progress=False)
    assert "lineStrokes-all.tar.gz" in str(info.value) and "again" in str(info.value)
    assert not (tmp_path / "cache" / "strokes_training_data.cpkl").exists()


# ---------------------------------------------------------------- lines given from outside


@pytest.mark.parametrize("strokes, message", [
    (np.zeros((1, 3)), "the line needs at least two points, not 1"),
    (np.zeros((5, 2)), r"shape \[T, 3\]"),
    (np.array([[0, 0, 0], [np.inf, 0, 1]]), "NaN or infinite"),
    (np.array([[0, 0, 0], [2e5, 0, 1]]), "larger than 100000 tablet units"),
    (np.array([[0, 0, 0], [1, 0, 2]]), "eos"),
])
def test_a_bad_line_is_refused_in_the_same_words_from_a_file_or_a_caller(tmp_path, strokes,
                                                                          message):
    with pytest.raises(ValueError, match=message):
        iam_ondb.checked_line(strokes)
    np.save(tmp_path / "line.npy", strokes)
    with pytest.raises(ValueError, match=message):
        iam_ondb.read_line_file(tmp_path / "line.npy")


def test_a_line_file_reads_as_the_parser_and_the_array_give_it(tmp_path, corpus):
    lid, strokes = next(iter(corpus.items()))
    path = xmlgen.write_line_strokes(tmp_path / f"{lid}.xml", strokes)
    np.testing.assert_array_equal(iam_ondb.read_line_file(path), expected_steps(strokes))
    np.save(tmp_path / "line.npy", expected_steps(strokes))
    np.testing.assert_array_equal(iam_ondb.read_line_file(tmp_path / "line.npy"),
                                  expected_steps(strokes))
    assert iam_ondb.checked_line([[0, 0, 0], [1.5, -2, 1]], max_points=2).dtype == np.float32
    with pytest.raises(ValueError, match="line 3 has 3 points; at most 2"):
        iam_ondb.checked_line(np.zeros((3, 3)), "line 3", max_points=2)
