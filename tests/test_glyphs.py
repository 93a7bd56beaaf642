"""Textbook glyphs (glyphs.py): their shapes, drawn before a line, and the training
batches that carry them (train.py --glyphs)."""

import numpy as np
import pytest
import xmlgen
from test_texts import load, make_corpus, write_both

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
    for kind in (None, np.random.default_rng(1)):
        drawn = with_glyph("E", line, rng=kind)
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


def test_a_random_glyph_differs_from_draw_to_draw_and_repeats_for_a_seed():
    line = xmlgen.steps_of(xmlgen.random_line(np.random.default_rng(0), 60)).astype(np.float32)
    a, b = (with_glyph("8", line, rng=np.random.default_rng(s)) for s in (1, 2))
    again = with_glyph("8", line, rng=np.random.default_rng(1))
    np.testing.assert_array_equal(a, again)
    assert a.shape != b.shape or not np.allclose(a, b)


def glyph_corpus(tmp_path):
    strokes, texts = make_corpus(np.random.default_rng(3), forms=12, lines_per_form=5)
    for k, form in enumerate(sorted(texts)[:6]):  # X in enough lines to be written
        texts[form][0] = f"aX b{k}"[:4]
    return write_both(tmp_path, strokes, texts)


def test_glyph_batches_write_the_glyph_before_or_after_a_share_of_the_lines(tmp_path):
    root = glyph_corpus(tmp_path)
    plain = load(root, batch_size=8)
    x_code = plain.alphabet.index("X") + 1
    every = load(root, batch_size=8, glyphs="X", glyph_share=1.0)
    assert "a glyph of 'X' drawn by program before or after 100% of the training lines" \
        in every.summary()
    before = 0
    for _ in range(3):
        twin = np.random.default_rng()
        twin.bit_generator.state = every.rng.bit_generator.state
        rows = every.batches.next_lines(twin)  # the lines next_batch is about to draw
        x, y, mask, chars = every.next_batch()
        for row, line in enumerate(rows):
            own = every.train_chars[line]
            written = chars[row][chars[row] >= 0]
            space = every.alphabet.index(" ") + 1
            assert (np.array_equal(written, [x_code, space, *own])
                    or np.array_equal(written, [*own, space, x_code])), written
            before += written[0] == x_code and written[1] == space
            n = int(mask[row].sum()) + 1  # the line's points: more than its own
            assert n > len(every.data[line]) + 10
    assert 4 <= before <= 20  # before the line or after it, about as often
    # a share of lines only, and none without --glyphs
    some = load(root, batch_size=8, glyphs="X", glyph_share=0.3)
    texts = np.concatenate([some.next_batch()[3] for _ in range(40)])
    share = np.mean((texts == x_code).sum(1) > (texts == x_code).sum(1).min())
    assert 0.2 < share < 0.45, share
    assert "drawn by program" not in plain.summary()


def test_glyphs_must_be_written_characters_of_a_model_with_texts(tmp_path):
    from config import Config, FieldError

    with pytest.raises(FieldError, match="glyphs"):
        Config(glyphs="X")  # the unconditional model
    with pytest.raises(FieldError, match="no textbook glyph for 'Q'"):
        Config(synthesis=True, glyphs="XQ")
    with pytest.raises(FieldError, match="glyph_share"):
        Config(synthesis=True, glyphs="X", glyph_share=1.5)
    root = write_both(tmp_path, *make_corpus(np.random.default_rng(0)))
    with pytest.raises(ValueError, match="glyphs: 'X' holds characters no training text"):
        load(root, glyphs="X")
