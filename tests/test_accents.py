"""Accented letters: the text split into base letters and marks (text.split_marks), and
the marks drawn onto written strokes where the window put their letters
(accents.add_marks), checked on lines whose letters are known by construction."""

import numpy as np
import pytest

import accents
from text import as_written, split_marks, unwritable

X_HEIGHT = 100.0


def test_a_typed_line_splits_into_letters_and_marks():
    line = as_written("Cafe\u0301 Ærø, straße, Łódź")  # a decomposed é, as some keyboards type
    letters, marks = split_marks(line)
    assert line.startswith("Café AErø")  # composed, the ligature folded
    assert letters == "Cafe AEro, strasse, Lodz"
    assert marks == [(3, "acute"), (8, "stroke"), (20, "stroke"), (21, "acute"), (23, "acute")]
    assert split_marks("ï ñ ç ő") == ("i n c o", [(0, "diaeresis"), (2, "tilde"),
                                                  (4, "cedilla"), (6, "double_acute")])


def test_what_has_no_base_letter_in_the_alphabet_is_still_refused():
    alphabet = "abcdefghijklmnopqrstuvwxyz "
    assert unwritable("café naïve", alphabet) == []
    assert unwritable("Café \U0001f600 \u0436", alphabet) == ["C", "\u0436", "\U0001f600"]


def stroke(x0, x1, bottom, top, points=12):
    """A pen-down stroke zigzagging over [x0, x1] x [bottom, top] (y up), absolute."""
    x = np.linspace(x0, x1, points)
    y = np.where(np.arange(points) % 2, top, bottom)
    return np.stack([x, -y], 1)  # strokes are y down


def line_of(*strokes_xy):
    """(strokes [T, 3] as the writer returns them, the stroke each point belongs to)."""
    xy = np.concatenate(strokes_xy)
    eos = np.concatenate([np.r_[np.zeros(len(s) - 1), 1.0] for s in strokes_xy])
    steps = np.concatenate([xy[:1], np.diff(xy, axis=0)])
    owner = np.concatenate([np.full(len(s), k) for k, s in enumerate(strokes_xy)])
    return np.column_stack([steps, eos]).astype(np.float32), owner


def window(owner, letters, lead=0):
    """phi [T, U] peaking on each point's letter, `lead` points early (the window
    runs ahead of the pen)."""
    ahead = np.minimum(np.r_[owner[lead:], np.full(lead, owner[-1])], letters - 1)
    return np.eye(letters)[ahead]


@pytest.mark.parametrize("lead", [0, 4])
def test_an_acute_sits_above_its_own_letter_and_nothing_else_moves(lead):
    letters = [stroke(0, 80, 0, X_HEIGHT), stroke(120, 200, 0, X_HEIGHT),
               stroke(240, 320, 0, X_HEIGHT)]
    strokes, owner = line_of(*letters)
    out, source = accents.add_marks(strokes, window(owner, 3, lead), [(1, "acute")], "aea")
    xy, new_xy = np.cumsum(strokes[:, :2], 0), np.cumsum(out[:, :2], 0)
    kept = np.r_[True, np.diff(source) != 0]  # the rows that are the line's own points
    np.testing.assert_allclose(new_xy[kept], xy, atol=1e-3)
    assert out[:, 2].sum() == strokes[:, 2].sum() + 1  # one stroke more: the acute
    mark = new_xy[~kept]
    assert len(mark) >= 2 and out[~kept][-1, 2] == 1
    assert (-mark[:, 1] > X_HEIGHT).all()  # above the letter's top
    assert 120 <= mark[:, 0].mean() <= 200  # over the middle letter, not a neighbour
    # drawn right after its letter's stroke, before the next letter
    assert np.all(source[~kept] == np.flatnonzero(owner == 1)[-1])


def test_an_i_given_a_diaeresis_loses_its_dot_and_a_cedilla_hangs_below():
    body, dot = stroke(0, 20, 0, X_HEIGHT), stroke(8, 12, 1.4 * X_HEIGHT, 1.45 * X_HEIGHT, 3)
    c = stroke(60, 140, 0, X_HEIGHT)
    strokes, owner = line_of(body, dot, c, stroke(180, 260, 0, X_HEIGHT))
    owner = np.where(owner >= 1, owner - 1, owner)  # the dot is the i's
    out, _ = accents.add_marks(strokes, window(owner, 3), [(0, "diaeresis"), (1, "cedilla")],
                               "ica")
    old, new = np.cumsum(strokes[:, :2], 0), np.cumsum(out[:, :2], 0)
    near = lambda a, b: np.abs(a[:, None] - b[None]).sum(-1).min(1) < 1e-3  # noqa: E731
    dot = old[len(body):len(body) + len(dot)]
    assert not near(dot, new).any()  # the i's own dot is gone, the rest is where it was
    others = np.delete(old, np.arange(len(body), len(body) + len(dot)), axis=0)
    assert near(others, new).all()
    marks = new[~near(new, old)]
    over_i, under_c = marks[marks[:, 0] < 40], marks[(marks[:, 0] >= 40) & (marks[:, 0] < 160)]
    assert len(over_i) == 4 and (-over_i[:, 1] > X_HEIGHT).all()  # two dots, above the body
    assert len(under_c) >= 3 and (-under_c[:, 1] <= 0.01).all()  # the cedilla hangs below
    assert out[:, 2].sum() == strokes[:, 2].sum() - 1 + 3  # a dot less, three marks more


def test_a_line_without_marks_comes_back_as_it_was():
    strokes, owner = line_of(stroke(0, 80, 0, X_HEIGHT))
    out, source = accents.add_marks(strokes, window(owner, 1), [], "a")
    np.testing.assert_array_equal(out, strokes)
    np.testing.assert_array_equal(source, np.arange(len(strokes)))
