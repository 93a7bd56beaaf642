"""Textbook glyphs: characters drawn by program, as a schoolbook draws them (an X as two
crossing strokes, an 8 as a figure of eight), put beside a line of handwriting, so that
docs/read_drawn_glyphs.py can ask whether the recogniser reads a character at all when it
is drawn plainly. (The networks learn the characters IAM-OnDB lacks from real pens:
UNIPEN's, composing.py.) No TensorFlow here.
"""

import numpy as np

from cleaning import resampled

# each glyph's strokes in a unit box: x from 0 (left) to 1 (right), y from 0 (baseline)
# to 1 (top), each stroke a list of corners joined by straight lines, or a curve
_ARC = np.linspace(0, 2 * np.pi, 40)
_BELLY = np.linspace(2.6, -2.7, 30)  # the 5's belly: from upper left, clockwise to lower left
UNIT_GLYPHS = {
    "X": [[(0, 1), (1, 0)], [(1, 1), (0, 0)]],
    "+": [[(0, 0.5), (1, 0.5)], [(0.5, 1), (0.5, 0)]],
    "E": [[(1, 1), (0, 1), (0, 0), (1, 0)], [(0, 0.5), (0.75, 0.5)]],
    # a figure of eight in one stroke from the top, crossing at half height
    "8": [np.column_stack([0.5 - 0.4 * np.sin(2 * _ARC), 0.5 + 0.5 * np.cos(_ARC)])],
    # the stem and the belly in one stroke, then the bar
    "5": [np.vstack([[(0.15, 1), (0.1, 0.55)],
                     np.column_stack([0.45 + 0.4 * np.cos(_BELLY), 0.3 + 0.3 * np.sin(_BELLY)])]),
          [(0.15, 1), (0.9, 1)]],
    # the loop from its right side round to it, then the stem down to the baseline
    "9": [np.vstack([np.column_stack([0.5 + 0.4 * np.cos(_ARC), 0.72 + 0.28 * np.sin(_ARC)]),
                     [(0.8, 0)]])],
}


def _along(corners, step):
    """Points every `step` (or a little less) along the straight lines joining corners,
    the corners kept."""
    points = [corners[:1]]
    for a, b in zip(corners[:-1], corners[1:]):
        n = max(1, int(np.ceil(np.hypot(*(b - a)) / step)))
        points.append(a + (b - a) * np.arange(1, n + 1)[:, None] / n)
    return np.vstack(points)


def glyph_strokes(glyph, left, baseline, height, width=0.7, slant=0.0, step=None):
    """The strokes of a textbook glyph as absolute (x, y) points, y growing downwards as
    on the tablet: its box from left, and from baseline up by height, width x height
    wide, leaning right by slant (x moves slant x height across the box's height).
    step: the distance between points (default: a twentieth of the height)."""
    if glyph not in UNIT_GLYPHS:
        raise ValueError(f"no textbook glyph {glyph!r}: there are {''.join(UNIT_GLYPHS)}")
    step = step or height / 20
    strokes = []
    for stroke in UNIT_GLYPHS[glyph]:
        unit = np.asarray(stroke, np.float64)
        drawn = np.column_stack([left + height * (width * unit[:, 0] + slant * unit[:, 1]),
                                 baseline - height * unit[:, 1]])
        # a list of corners is drawn straight between them; an array is a curve
        strokes.append(resampled(drawn, step) if isinstance(stroke, np.ndarray)
                       else _along(drawn, step))
    return strokes


def with_glyph(glyph, line, size=0.9, after=False):
    """line ((dx, dy, end of stroke) steps [T, 3], any units) with the glyph drawn before
    it (after it, if after), a space's width apart, on the line's baseline there (the
    80th percentile in y of the points of the third of the line beside it): the glyph's
    height is size x the height of the line's ink above its baseline (from the 5th
    percentile), its points as far apart as the line's median step."""
    line = np.asarray(line)
    points = np.cumsum(line[:, :2], axis=0)
    # the ink's top, and its baseline: most points lie above it, the descenders below;
    # the baseline where the glyph goes, the third of the line beside it (lines slope)
    low, high = np.percentile(points[:, 1], [5, 80])
    height = size * max(high - low, 1e-6)
    x = points[:, 0]
    side = x >= np.quantile(x, 2 / 3) if after else x <= np.quantile(x, 1 / 3)
    high = np.percentile(points[side, 1], 80)
    width, slant = 0.7, 0.0
    steps = np.hypot(line[:, 0], line[:, 1])
    step = float(np.median(steps[steps > 0])) if (steps > 0).any() else height / 20
    left = (points[:, 0].max() + 0.6 * height if after
            else points[:, 0].min() - (width + slant + 0.5) * height)
    strokes = glyph_strokes(glyph, left, high, height, width, slant, step=min(step, height / 8))
    pen_up = [np.eye(1, len(s), len(s) - 1)[0] for s in strokes]  # each stroke ends lifted
    lifts = line[:, 2].copy()
    if after:
        lifts[-1] = 1  # the pen leaves the line for the glyph
    absolute = np.vstack([points, *strokes] if after else [*strokes, points])
    moves = np.diff(absolute, axis=0, prepend=absolute[:1])
    moves[0] = line[0, :2]  # the drawing starts where the line did
    eos = np.concatenate([lifts, *pen_up] if after else [*pen_up, lifts])
    return np.column_stack([moves, eos]).astype(line.dtype)
