"""Textbook glyphs (glyphs.py): their shapes, and drawn before or after a line."""

import numpy as np
import pytest
import xmlgen

from glyphs import UNIT_GLYPHS, glyph_strokes, with_glyph


def crossing(a, b, c, d):
    """Where the segments a-b and c-d cross (closed form, 2 x 2 solve)."""
    t, _ = np.linalg.solve(np.column_stack([b - a, c - d]), c - a)
    return a + t * (b - a)


@pytest.mark.parametrize("glyph", sorted(UNIT_GLYPHS))
def test_a_glyph_fills_its_box_and_no_more(glyph):
    left, baseline, height, width, slant = 100.0, 500.0, 200.0, 0.6, 0.25
    strokes = glyph_strokes(glyph, left, baseline, height, width, slant, step=5)
    points = np.vstack(strokes)
    y = (baseline - points[:, 1]) / height  # 0 at the baseline, 1 at the top
    # unslanted, every point lies in the width x height box
    x = (points[:, 0] - left - slant * height * y) / height
    assert y.min() > -1e-9 and y.max() < 1 + 1e-9 and y.max() - y.min() > 0.9
    assert x.min() > -1e-9 and x.max() < width + 1e-9 and x.max() - x.min() > 0.5 * width
    for stroke in strokes:  # no step longer than asked
        assert np.hypot(*np.diff(stroke, axis=0).T).max() <= 5 + 1e-9


def test_an_x_is_two_strokes_crossing_at_the_middle_of_its_box():
    first, second = glyph_strokes("X", 0.0, 100.0, 100.0, width=0.7)
    middle = crossing(first[0], first[-1], second[0], second[-1])
    np.testing.assert_allclose(middle, [35.0, 50.0])
    np.testing.assert_allclose(first[[0, -1]], [[0, 0], [70, 100]])  # top left to bottom right


def test_an_eight_is_one_closed_stroke_crossing_itself_at_half_height():
    (eight,) = glyph_strokes("8", 0.0, 100.0, 100.0, width=0.7)
    np.testing.assert_allclose(eight[0], eight[-1], atol=1e-9)  # it ends where it began
    at_middle = np.isclose(eight[:, 0], 35.0, atol=1.0)
    assert np.isclose(eight[at_middle, 1], 50.0, atol=3.0).any()


def test_an_unknown_glyph_is_refused_with_the_list():
    with pytest.raises(ValueError, match="no textbook glyph 'Q'.*X"):
        glyph_strokes("Q", 0, 0, 1)


def test_with_glyph_keeps_the_line_and_lifts_the_pen_after_each_stroke():
    rng = np.random.default_rng(0)
    line = xmlgen.steps_of(xmlgen.random_line(rng, 60)).astype(np.float32)
    for size in (0.9, 1.2):
        drawn = with_glyph("E", line, size=size)
        added = len(drawn) - len(line)
        assert drawn.dtype == line.dtype and added > 10
        # the line's own moves and pen lifts follow the glyph's unchanged
        np.testing.assert_allclose(drawn[added + 1:], line[1:], rtol=1e-6)
        assert drawn[:added, 2].sum() == len(UNIT_GLYPHS["E"])  # one lift a stroke
        assert drawn[added - 1, 2] == 1
        points = np.cumsum(drawn[:, :2], axis=0)
        # the glyph stands left of the line, a gap between them
        assert points[:added, 0].max() < points[added:, 0].min()
        np.testing.assert_allclose(drawn[0, :2], line[0, :2])  # begins where the line did
    # after the line: the line first, as it was, then the glyph right of it
    drawn = with_glyph("E", line, after=True)
    np.testing.assert_array_equal(drawn[:len(line), :2], line[:, :2])
    np.testing.assert_array_equal(drawn[:len(line) - 1, 2], line[:-1, 2])
    assert drawn[len(line) - 1, 2] == 1 and drawn[len(line):, 2].sum() == 2
    points = np.cumsum(drawn[:, :2], axis=0)
    assert points[len(line):, 0].min() > points[:len(line), 0].max()
