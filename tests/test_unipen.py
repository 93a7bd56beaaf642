"""unipen.py: UNIPEN's isolated characters read from small releases the tests write, and
from the real one where UNIPEN points (else skipped)."""

import os
from pathlib import Path

import numpy as np
import pytest
import unipengen
from unipengen import O_STROKE, X_STROKES, label_file, pen_file, write_release

import cleaning
import unipen

REAL = os.environ.get("UNIPEN")


def read(root, files, archive=False, **kwargs):
    source = write_release(root, files, archive)
    return unipen.Characters(source, cache_dir=Path(root) / "cache", **kwargs)


def ink(steps):
    """Absolute (x, y) of a character's points, from its origin."""
    return np.cumsum(steps[:, :2], 0)


def test_every_reference_form_picks_its_blocks_and_points():
    blocks = [(True, np.array([(i, 0), (i, 1), (i, 2), (i, 3)])) for i in range(6)]
    files = {"include/s/pen.dat": pen_file(blocks),
             "data/1b/s/l.dat": label_file(["s/pen.dat"], [])}
    stream_blocks, _ = unipen.stream(files, "data/1b/s/l.dat")
    cases = {"2": [2], "1-3": [1, 2, 3], "0,4": [0, 4], "1:2-2:1": [1, 2], "1-2:1": [1, 2],
             "1:3-2": [1, 2], "5:1": [5]}
    for ref, wanted in cases.items():
        strokes = unipen.strokes_of(stream_blocks, unipen.parse_reference(ref), "l.dat")
        assert [int(s[0, 0]) for s in strokes] == wanted, ref
    points = unipen.strokes_of(stream_blocks, unipen.parse_reference("1:2-2:1"), "l.dat")
    assert [len(s) for s in points] == [2, 2]  # block 1 points 2..3, block 2 points 0..1
    one = unipen.strokes_of(stream_blocks, unipen.parse_reference("5:1"), "l.dat")
    assert one[0].tolist() == [[5, 1]]


def test_coord_order_is_read_by_name_and_pen_up_blocks_are_numbered_but_not_ink():
    blocks = [(True, X_STROKES[0]), (False, np.array([(500, 500), (600, 600)])),
              (True, X_STROKES[1])]
    for coord in (("X", "Y"), ("X", "Y", "T"), ("T", "Y", "X")):
        files = {"include/s/pen.dat": pen_file(blocks, coord),
                 "data/1b/s/l.dat": label_file(["s/pen.dat"], [("0-2", "X")])}
        found, skipped = unipen.characters_of_file(files, "data/1b/s/l.dat")
        (label, strokes, writer), = found
        assert label == "X" and writer == "s/pen.dat" and not skipped
        # the hovering block between them is dropped: two strokes, as written
        assert [s.tolist() for s in strokes] == [s.tolist() for s in X_STROKES], coord


def test_nested_include_numbers_blocks_across_files(tmp_path):
    files = {"include/s/header.doc": ".COORD Y X\n",
             "include/s/pen.dat": ".INCLUDE s/header.doc\n"
                                  + pen_file([(True, X_STROKES[0][:, ::-1]),
                                              (True, X_STROKES[1][:, ::-1])], header=None),
             "include/s/more.dat": pen_file([(True, O_STROKE)]),
             "data/1b/s/l.dat": label_file(["s/pen.dat", "s/more.dat"],
                                           [("0-1", "X"), ("2", "O")])}
    chars = read(tmp_path, files)
    # the O is block 2, the first of the second file: its writer is that file
    assert dict(zip(chars.labels, chars.writers)) == {"X": "s/pen.dat", "O": "s/more.dat"}
    x = ink(chars.arrays[chars.labels.index("X")])
    # the header's .COORD Y X, read in the file that includes it: X's first stroke still
    # runs from its top left down to its bottom right, y now growing downwards
    first = x[: int(np.flatnonzero(chars.arrays[chars.labels.index("X")][:, 2])[0]) + 1]
    assert first[0, 0] < first[-1, 0] and first[0, 1] < first[-1, 1]


def test_y_is_flipped_scaled_to_iam_height_placed_on_the_baseline_and_resampled(tmp_path):
    # the same X at two resolutions comes out the same size: scaled by its own height
    big = [s * 7 for s in X_STROKES]
    files = {"include/s/a.dat": pen_file([(True, s) for s in X_STROKES]),
             "include/s/b.dat": pen_file([(True, s) for s in big]),
             "data/1b/s/a.dat": label_file(["s/a.dat"], [("0-1", "X")]),
             "data/1b/s/b.dat": label_file(["s/b.dat"], [("0-1", "X")])}
    chars = read(tmp_path, files)
    top, bottom = unipen.span_of("X")
    for steps in chars.arrays:
        xy = ink(steps)
        height = xy[:, 1].max() - xy[:, 1].min()
        assert height == pytest.approx((top - bottom) * unipen.XHEIGHT, rel=1e-5)
        # its bottom on the baseline (y = 0 is the origin's, y down), its left at x = 0
        assert xy[:, 1].max() == pytest.approx(-bottom * unipen.XHEIGHT, abs=1e-3)
        assert xy[:, 0].min() == pytest.approx(0, abs=1e-3)
        # the first point written is the top left: y flipped (UNIPEN's y grows upwards)
        assert xy[0, 1] == pytest.approx(xy[:, 1].min(), abs=1e-3)
        # pen-down steps of IAM-OnDB's mean length (a stroke's whole steps, rounded),
        # and the strokes' ends kept
        down = np.flatnonzero(steps[:-1, 2] == 0) + 1
        assert np.hypot(*steps[down, :2].T).mean() == pytest.approx(unipen.MEAN_STEP, rel=0.1)
        assert steps[:, 2].sum() == 2
    np.testing.assert_allclose(chars.arrays[0], chars.arrays[1], atol=1e-3)


def test_a_stroke_is_resampled_at_the_pace_the_pen_kept():
    # a curve sampled at even times, the pen slow at first and fast at the end
    rng = np.random.default_rng(0)
    t = np.linspace(0, 1, 40) ** 2
    raw = np.column_stack([300 * t, 80 * np.sin(6 * t)]) + rng.normal(0, 0.5, (40, 2))
    out = cleaning.paced(raw, raw, 20.0)
    length = np.hypot(*np.diff(raw, axis=0).T).sum()
    times = np.linspace(0, 39, int(round(length / 20.0)) + 1)  # even times, as many
    want = np.column_stack([np.interp(times, np.arange(40), raw[:, k]) for k in (0, 1)])
    np.testing.assert_allclose(out, want, atol=1e-9)
    steps = np.hypot(*np.diff(out, axis=0).T)
    assert steps[:3].mean() < steps[-3:].mean() / 3  # slow, then fast
    # a smoothed path of the same stroke is followed at the same pace, its ends kept
    path = cleaning.resampled(raw, 1.0)
    on_path = cleaning.paced(path, raw, 20.0)
    assert len(on_path) == len(out) and np.allclose(on_path[[0, -1]], raw[[0, -1]])
    assert np.abs(on_path - out).max() < 2.0
    assert len(cleaning.paced(raw[:1].repeat(3, 0), raw[:1].repeat(3, 0), 20.0)) == 1


def test_low_characters_take_their_writers_scale(tmp_path):
    dash = np.array([(0, 50), (60, 52)])
    files = {"include/s/a.dat": pen_file([(True, s) for s in X_STROKES] + [(True, dash)]),
             "data/1d/s/a.dat": label_file(["s/a.dat"], [("0-1", "X"), ("2", "-")])}
    chars = read(tmp_path, files)
    x, dash_steps = chars.arrays
    scale = np.ptp(ink(x)[:, 1]) / 200  # the X's: 200 file units high
    assert np.ptp(ink(dash_steps)[:, 0]) == pytest.approx(60 * scale, rel=1e-4)


def test_duplicates_fragments_and_labels_that_are_no_character_are_left_out(tmp_path):
    blocks = [(True, s) for s in X_STROKES] + [(True, X_STROKES[0])] + [(True, O_STROKE)]
    files = {"include/s/a.dat": pen_file(blocks),
             "data/1b/s/a.dat": label_file(["s/a.dat"], [
                 ("0-1", "X"), ("0-1", "X"),  # the same sample twice
                 ("2", "X"),  # one stroke of an X: a fragment
                 ("2", "/"),  # a straight stroke is a slash
                 ("3", "\\@"),  # kai's ligature
                 ("3", '\\"')])}  # an escaped quote is a quote
    chars = read(tmp_path, files)
    assert chars.labels == ["X", "/", '"']
    assert chars.skipped == {"duplicate": 1, "fragment": 1, "not_a_character": 1,
                             "bad_file": 0}
    assert "1 duplicates" in chars.summary() and "X1" in chars.summary()


def test_a_broken_reference_is_refused_naming_the_file_or_skipped_and_counted(tmp_path):
    files = {"include/s/a.dat": pen_file([(True, s) for s in X_STROKES]),
             "data/1b/s/good.dat": label_file(["s/a.dat"], [("0-1", "X")]),
             "data/1b/s/bad.dat": label_file(["s/a.dat"], [("0-7", "X")])}
    with pytest.raises(unipen.UnipenError, match="data/1b/s/bad.dat.*block 7"):
        read(tmp_path / "strict", files, strict=True)
    chars = read(tmp_path / "lax", files)
    assert chars.labels == ["X"] and chars.bad[0][0] == "data/1b/s/bad.dat"
    assert "1 unreadable label file" in chars.summary()
    files["data/1b/s/bad.dat"] = label_file(["s/missing.dat"], [("0", "X")])
    with pytest.raises(unipen.UnipenError, match="bad.dat.*include/s/missing.dat"):
        read(tmp_path / "missing", files, strict=True)
    files["data/1b/s/bad.dat"] = label_file(["s/a.dat"], [("0-1", "X")]) + ".PEN_DOWN\n1 x\n"
    with pytest.raises(unipen.UnipenError, match="bad.dat, line 5: .*not numbers"):
        read(tmp_path / "rows", files, strict=True)


@pytest.mark.parametrize("data", [
    "\n10 20 1\n11 21 2\n\n12 22 3\n",  # three columns, a blank row
    "\n10 20 1\n11 21\n12 22 3 9\n",  # rows of different lengths
    "\n10 20\n11 21 5 6\n",  # 6 values in 2 rows, yet no row of 3
    "\n  10\t20  \n-1.5e1 2.\n",  # tabs, signs, exponents
])
@pytest.mark.parametrize("columns", [["X", "Y"], ["Y", "X"]])
def test_a_pen_block_s_rows_are_read_as_one_row_at_a_time_reads_them(data, columns):
    x, y = columns.index("X"), columns.index("Y")
    rows = [[float(v) for v in line.split()] for line in data.splitlines() if line.strip()]
    want = [(r[x], r[y]) for r in rows]
    np.testing.assert_array_equal(unipen.block_points(data, columns, "f.dat", 3), want)


def test_a_pen_block_row_too_short_for_its_coord_is_refused_naming_the_file():
    with pytest.raises(unipen.UnipenError, match="f.dat: .*T X Y columns"):
        unipen.block_points("\n1 2 3\n4 5\n6 7 8\n", ["T", "X", "Y"], "f.dat", 3)
    with pytest.raises(unipen.UnipenError, match="f.dat, line 5: .*'4 y'"):
        unipen.block_points("\n1 2\n4 y\n", ["X", "Y"], "f.dat", 3)


def test_archive_and_folder_read_alike_and_the_cache_is_used_and_rebuilt(tmp_path):
    files = {"include/s/a.dat": pen_file([(True, s) for s in X_STROKES] + [(True, O_STROKE)]),
             "data/1b/s/a.dat": label_file(["s/a.dat"], [("0-1", "X"), ("2", "O")]),
             "data/6/s/a.dat": label_file(["s/a.dat"], [("2", "Q")])}  # not a 1x category
    folder = read(tmp_path / "f", files)
    packed = read(tmp_path / "a", files, archive=True)
    assert folder.labels == packed.labels and sorted(folder.labels) == ["O", "X"]
    for a, b in zip(folder.arrays, packed.arrays):
        np.testing.assert_array_equal(a, b)
    # read again: from the cache, with the same characters; a changed file is read anew
    again = unipen.Characters(tmp_path / "f", cache_dir=tmp_path / "f" / "cache")
    assert again.labels == folder.labels
    label = tmp_path / "f" / "train_r01_v07" / "data" / "1b" / "s" / "a.dat"
    label.write_text(label_file(["s/a.dat"], [("2", "O")]))
    assert unipen.Characters(tmp_path / "f", cache_dir=tmp_path / "f" / "cache").labels == ["O"]


def test_a_folder_without_a_release_is_refused_naming_it(tmp_path):
    with pytest.raises(FileNotFoundError, match=str(tmp_path)):
        unipen.Characters(tmp_path)


def test_writers_are_held_out_whole():
    chars = unipen.Characters.__new__(unipen.Characters)
    chars.writers = [f"site{k % 7}/w{k % 40}.dat" for k in range(400)]
    held = chars.held_out(0.25)
    by_writer = {}
    for writer, out in zip(chars.writers, held):
        by_writer.setdefault(writer, set()).add(bool(out))
    assert all(len(v) == 1 for v in by_writer.values())  # a writer is in or out, whole
    assert 0 < held.mean() < 0.6


@pytest.mark.slow
@pytest.mark.skipif(not REAL, reason="UNIPEN is not set: no real release to read")
def test_the_real_release_holds_hundreds_of_each_rare_character(tmp_path):
    chars = unipen.Characters(REAL, cache_dir=tmp_path)
    print(chars.summary())
    for c in "XZQ0123456789&!?":
        assert chars.counts[c] >= 200, c
    assert not chars.bad
    assert chars.skipped["duplicate"] > 0 and chars.skipped["fragment"] > 0
    assert unipengen  # the helpers' module, imported for its names


def test_a_coarse_grid_staircase_is_smoothed_and_a_fine_grid_left_as_it_is(tmp_path):
    # a diagonal drawn on a grid 20 file units from end to end, one step at a time:
    # scaled to a slash's height, a file unit is many tablet units, and the steps would show
    stair = np.array([(k // 2 + k % 2, k // 2) for k in range(41)])
    fine = stair * 50  # the same diagonal recorded 50 times finer: no grid to smooth
    files = {"include/s/a.dat": pen_file([(True, stair), (True, fine)]),
             "data/1d/s/a.dat": label_file(["s/a.dat"], [("0", "/"), ("1", "/")])}
    chars = read(tmp_path, files)
    coarse, smooth = (ink(a) for a in chars.arrays)
    unit = np.ptp(coarse[:, 1]) / 20  # tablet units a file unit

    def off_diagonal(xy):
        """How far the stroke strays from the straight line fitted through it, the two
        grid units at either end aside (a stroke's ends keep their place)."""
        chord = (xy[-1] - xy[0]) / np.hypot(*(xy[-1] - xy[0]))
        along = (xy - xy[0]) @ chord
        inside = xy[(along > 2 * unit) & (along < along[-1] - 2 * unit)]
        across = np.cross(chord, inside - xy[0])
        return np.abs(across - across.mean()).max()

    assert unit > unipen.COARSE
    assert off_diagonal(coarse) < 0.05 * unit
    assert off_diagonal(np.cumsum(unipen.character_steps([stair], "/", unit)[:, :2], 0)) \
        == pytest.approx(off_diagonal(coarse), abs=1e-3 * float(unit))
    # the raw staircase, resampled alone, strays further
    raw = cleaning.resampled(stair * (unit, -unit), unipen.MEAN_STEP)
    assert off_diagonal(raw) > 0.3 * unit
    assert len(smooth) > 2  # the fine one was read too
