"""Accented letters written as a hand writes them: the network writes the base letter
(e for é), and the mark is added afterwards as a pen adds it, a stroke or two of its
own above the letter (below it for a cedilla or an ogonek, through it for ø and ł),
where the writer's window says the letter was written. Pure numpy.

text.split_marks turns a typed line into its base letters and its marks; add_marks
draws the marks onto the strokes written for the base letters.
"""

import numpy as np

from cleaning import level_and_scale, resampled, stroke_indices

# Each mark: where it sits ("above" the letter's top, "below" its bottom, or "through"
# its body, measured from its bottom) and its strokes, polylines of (x, y) in x-heights
# from the letter's centre, y up. Drawn at a small slant, as most hands add them.
MARKS = {
    "acute": ("above", [[(-0.10, 0.22), (0.16, 0.62)]]),
    "grave": ("above", [[(-0.16, 0.62), (0.10, 0.22)]]),
    "circumflex": ("above", [[(-0.24, 0.22), (0.0, 0.55), (0.24, 0.22)]]),
    "caron": ("above", [[(-0.24, 0.55), (0.0, 0.22), (0.24, 0.55)]]),
    "diaeresis": ("above", [[(-0.20, 0.30), (-0.16, 0.34)], [(0.16, 0.30), (0.20, 0.34)]]),
    "dot": ("above", [[(-0.02, 0.30), (0.02, 0.34)]]),
    "ring": ("above", [[(0.16 * np.cos(a), 0.42 + 0.16 * np.sin(a))
                        for a in np.linspace(-np.pi / 2, 1.5 * np.pi, 11)]]),
    "tilde": ("above", [[(-0.28, 0.28), (-0.16, 0.42), (-0.04, 0.40), (0.06, 0.32),
                         (0.16, 0.30), (0.28, 0.44)]]),
    "macron": ("above", [[(-0.26, 0.36), (0.26, 0.38)]]),
    "breve": ("above", [[(-0.22, 0.56), (-0.12, 0.36), (0.12, 0.36), (0.22, 0.56)]]),
    "double_acute": ("above", [[(-0.24, 0.22), (-0.06, 0.60)], [(0.06, 0.22), (0.24, 0.60)]]),
    "cedilla": ("below", [[(0.0, 0.0), (0.04, -0.18), (0.18, -0.28), (0.10, -0.44),
                           (-0.08, -0.46)]]),
    "ogonek": ("below", [[(0.20, 0.02), (0.02, -0.18), (0.08, -0.40), (0.26, -0.38)]]),
    "stroke": ("through", [[(-0.45, 0.05), (0.45, 0.85)]]),
    "bar": ("through", [[(-0.05, 1.35), (0.45, 1.35)]]),
}
POINTS_PER_XHEIGHT = 8  # the marks' pen steps: about the data's 18.6 tablet units
WORD_GAP = 0.45  # x-heights between two strokes: a space between two words
DOT_HEIGHT = 0.35  # x-heights: a stroke this small above the body is an i's or a j's dot


def ink_words(xy, strokes, x_height):
    """The strokes of a line ([indices] each, cleaning.stroke_indices) grouped into words,
    [indices] each, left to right:
    a stroke that starts more than WORD_GAP x-heights right of the word before begins a
    new one; one inside an earlier word's span (a dot or a bar added late) joins it."""
    words, spans = [], []
    for stroke in strokes:
        left, right = xy[stroke, 0].min(), xy[stroke, 0].max()
        inside = [k for k, (a, b) in enumerate(spans) if a <= (left + right) / 2 <= b]
        if inside:
            k = inside[-1]
        elif spans and left <= spans[-1][1] + WORD_GAP * x_height:
            k = len(spans) - 1
        else:
            words.append([])
            spans.append((left, right))
            k = len(spans) - 1
        words[k].append(stroke)
        spans[k] = (min(spans[k][0], left), max(spans[k][1], right))
    return [np.concatenate(w) for w in words]


def letter_of_points(phi, xy, strokes, letters, x_height):
    """The letter each point writes [T] (its position in letters, -1 for none), from the
    window: within each word of ink, the window's expected position over the word's
    letters stretched to span them, which takes out its lead over the pen (it runs
    ahead within a word, by up to a letter). None when the ink's words and the text's
    do not pair up one to one."""
    starts = [k for k, c in enumerate(letters) if c != " " and (k == 0 or letters[k - 1] == " ")]
    words = ink_words(xy, strokes, x_height)
    if len(words) != len(starts):
        return None
    expected = (phi * np.arange(phi.shape[1])).sum(1) / np.maximum(phi.sum(1), 1e-9)
    out = np.full(len(xy), -1)
    for start, points in zip(starts, words):
        end = letters.find(" ", start)
        length = (len(letters) if end < 0 else end) - start
        low, high = np.percentile(expected[points], [2, 98])
        along = (expected[points] - low) / max(high - low, 1e-9)
        out[points] = start + np.clip((along * length).astype(int), 0, length - 1)
    return out


def letter_points(letter, peaks, xy, strokes, position, x_height):
    """The points [indices] that write the letter at position of the text: by
    letter_of_points when the words pair up; else the strokes that are mostly its (the
    window on it for more of their points than on any other letter), dots and other
    specks aside; failing those, the points the window peaks on it for."""
    if letter is not None and (letter == position).any():
        return np.flatnonzero(letter == position)
    own = []
    for stroke in strokes:
        if len(stroke) > 2 and np.bincount(peaks[stroke]).argmax() == position \
                and np.ptp(xy[stroke], axis=0).max() >= DOT_HEIGHT * x_height:
            own.append(stroke)
    return np.concatenate(own) if own else np.flatnonzero(peaks == position)


def mark_strokes(name, xy, x_height):
    """The mark's strokes, absolute (x, y) polylines in tablet units (y down, as
    strokes are), for a letter whose points are xy [N, 2]."""
    where, lines = MARKS[name]
    up = -xy[:, 1]
    top, bottom = up.max(), up.min()
    # the centre of the letter's upper half: slanted writing leans its top rightwards
    upper = xy[up >= (top + bottom) / 2]
    centre = np.median(upper[:, 0] if where == "above" else xy[:, 0])
    base = {"above": top, "below": bottom, "through": bottom}[where]
    out = []
    for line in lines:
        line = np.asarray(line, np.float64) * x_height
        x = centre + line[:, 0] + 0.15 * line[:, 1]  # a hand's slant
        y = -(base + line[:, 1])
        out.append(resampled(np.stack([x, y], 1), x_height / POINTS_PER_XHEIGHT))
    return out


def add_marks(strokes, phi, marks, text):
    """strokes [T, 3] (dx, dy, eos; tablet units) written for text, with phi [T, U] the
    window over it at every step, and marks [(position, name)] (text.split_marks) ->
    (the strokes with each mark drawn after the stroke that finishes its letter, and for
    each of their points the index of the point of strokes it is or follows: what keeps
    the window and the mixture of each step beside it). An i or a j given a mark loses
    its own dot. The other points stay where they were."""
    strokes = np.asarray(strokes, np.float64)
    if not marks or len(strokes) < 2:
        return strokes.astype(np.float32), np.arange(len(strokes))
    xy = np.cumsum(strokes[:, :2], 0)
    eos = strokes[:, 2] > 0.5
    peaks = np.asarray(phi).argmax(axis=1)
    _, x_height = level_and_scale(xy * [1, -1])
    pen_strokes = stroke_indices(strokes)
    keep = np.ones(len(xy), bool)
    inserts = {}  # after point t: the mark strokes that follow it
    letter = letter_of_points(np.asarray(phi), xy, pen_strokes, text, x_height)
    for position, name in marks:
        points = letter_points(letter, peaks, xy, pen_strokes, position, x_height)
        if len(points) == 0:
            continue
        if text[position] in "ij" and MARKS[name][0] == "above":
            _drop_dot(points, xy, pen_strokes, keep, x_height)
        after = points.max()
        while after < len(xy) - 1 and not eos[after]:
            after += 1
        inserts.setdefault(after, []).extend(mark_strokes(name, xy[points], x_height))
    rows, source = [], []  # absolute (x, y, eos), and the point each row is or follows
    for t in range(len(xy)):
        if keep[t]:
            rows.append((*xy[t], float(eos[t])))
            source.append(t)
        elif rows and eos[t]:
            rows[-1] = (*rows[-1][:2], 1.0)  # a dropped dot ended a stroke
        for line in inserts.get(t, []):
            rows += [(x, y, 0.0) for x, y in line[:-1]] + [(*line[-1], 1.0)]
            source += [t] * len(line)
    out = np.array(rows)
    out[1:, :2] = np.diff(out[:, :2], axis=0)
    return out.astype(np.float32), np.array(source)


def _drop_dot(points, xy, strokes, keep, x_height):
    """Leave out of the line (keep) the dot of the i or j among whose points are points:
    the speck of a stroke nearest above its body (the longest stroke of its points),
    written at once or after the word."""
    body = max((s for s in strokes if np.isin(s, points).any()), key=len)
    top, left, right = -xy[body, 1].max(), xy[body, 0].min(), xy[body, 0].max()
    best, nearest = None, np.inf
    for stroke in strokes:
        centre = xy[stroke].mean(axis=0)
        small = np.ptp(xy[stroke], axis=0).max() < DOT_HEIGHT * x_height
        over = left - 0.3 * x_height <= centre[0] <= right + 0.3 * x_height
        if stroke is not body and small and over \
                and -xy[stroke, 1].min() > top - 0.1 * x_height:
            distance = abs(centre[0] - (left + right) / 2)
            best, nearest = (stroke, distance) if distance < nearest else (best, nearest)
    if best is not None:
        keep[best] = False
