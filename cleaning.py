"""Cleaning lines of handwriting: pure numpy functions of a line [T, 3] of (dx, dy, eos)
rows in tablet units (y down), without TensorFlow.

Two users: the pictures (drawing.as_drawn smooths and levels the lines it draws), and
the training data (utils.DataLoader's `clean`, train.py's --clean), where the steps are
asked for by name, STEPS, and only the training lines are cleaned: the validation lines
stay raw, so that the validation NLL stays comparable with every other run's.

Each step keeps the point count and the pen lifts (the eos column), and the first row;
dropping removes whole lines. The cleaning of a line goes smooth, level, slant whatever
order the steps are named in: smoothing is a weighted average of neighbouring points
with weights summing to 1, so it commutes with the turn and the shear, and the tilt and
the slant are estimated on the smoothed points, where the tablet's jitter no longer
turns the short steps. Which lines are broken is judged on the raw line.
"""

import numpy as np

# the steps of --clean, in the order the flag names them; "all" asks for every one
STEPS = ("level", "slant", "smooth", "drop")
DONE = {"level": "levelled", "slant": "slant-corrected", "smooth": "smoothed"}
NO_CLEANING = "none"

SMOOTHING_WINDOW = 7  # points of the Savitzky-Golay window (a cubic): as_drawn's, --clean's
SLANT_CONE = np.pi / 4  # steps within this angle of vertical show the slant
SLANT_PASSES = 2  # estimate, shear, estimate again: the cone ends up centred on the slant
# Dropping (docs/cleaning.md has the measurements behind the thresholds): a pen-down
# step this long in tablet units is, on IAM-OnDB, mostly a missed pen lift (a straight
# line joining two strokes), a crossing-out or a scribble; the data's pen-down steps
# have a median of 18 and a 99.9th percentile of 108, and 0.5% of its lines hold a
# longer one than this.
MAX_PEN_DOWN_STEP = 400.0
# fewer points a character than this and the strokes cannot hold the text: the text is
# not this line's (IAM-OnDB's lowest is 9.1)
MIN_POINTS_PER_CHAR = 8.0
BROKEN = {"step": f"a pen-down step over {MAX_PEN_DOWN_STEP:.0f} tablet units",
          "sparse": f"under {MIN_POINTS_PER_CHAR:.0f} points a character"}


# ---------------------------------------------------------------- the line's shape


def positions(line):
    """The pen's positions [T, 2] (float64), the steps summed from the first row."""
    return np.cumsum(np.asarray(line, np.float64)[:, :2], axis=0)


def pen_down(line):
    """[T] True where a row is a step drawn with the pen down: not the first row, and
    not the first point of a stroke (whose step is the jump with the pen lifted)."""
    eos = np.asarray(line)[:, 2] > 0.5
    return np.concatenate([[False], ~eos[:-1]])


def stroke_indices(line):
    """Point indices of each stroke of a line [T, 3]; a trailing stroke without eos is
    kept."""
    eos = np.asarray(line)[:, 2] > 0.5
    groups = np.split(np.arange(len(eos)), np.flatnonzero(eos) + 1)
    return [group for group in groups if len(group)]


def baseline_slope(xy):
    """The slope dy/dx of the least-squares line through a line's pen positions xy
    [T, 2]: how much its writing climbs or falls (y down), within -1 to 1; 0 for points
    that do not spread along x."""
    x, y = xy[:, 0], xy[:, 1]
    xc = x - x.mean()
    spread = float(xc @ xc)
    return float(np.clip(xc @ (y - y.mean()) / spread, -1, 1)) if spread > 0 else 0.0


def level_and_scale(xy):
    """(slope, height) of a line's points xy [T, 2]: the slope of the least-squares
    line through them (its baseline's tilt) and the spread of their heights above it
    between the 10th and 90th percentiles, about the height of the small letters
    (at least 1 tablet unit)."""
    slope = baseline_slope(xy)
    level = xy[:, 1] - slope * xy[:, 0]
    low, high = np.percentile(level, [10, 90])
    return slope, max(float(high - low), 1.0)


def along_path(xy):
    """How far along the path of points xy [n, 2] each point lies (0 at the first)."""
    return np.concatenate([[0], np.cumsum(np.hypot(*np.diff(xy, axis=0).T))])


def resampled(xy, spacing):
    """Points every `spacing` (or a little less) of arc length along a stroke's points xy
    [n, 2], its ends kept; a stroke of no length is its first point."""
    arc = along_path(xy)
    if arc[-1] == 0:
        return xy[:1]
    at = np.linspace(0, arc[-1], max(2, int(np.ceil(arc[-1] / spacing)) + 1))
    return np.column_stack([np.interp(at, arc, xy[:, 0]), np.interp(at, arc, xy[:, 1])])


def dequantized(xy, unit):
    """A stroke recorded on a grid unit tablet units wide, its staircase smoothed away:
    resampled every quarter unit of its path and averaged over two units of it, a
    staircase's period (a diagonal steps across, then up), its ends kept."""
    fine = resampled(xy, unit / 4)
    if len(fine) < 9:
        return fine
    box = np.ones(8) / 8
    padded = np.pad(fine, ((4, 3), (0, 0)), mode="edge")
    out = np.column_stack([np.convolve(padded[:, k], box, "valid") for k in (0, 1)])
    out[[0, -1]] = fine[[0, -1]]
    return out


def paced(path, raw, step):
    """A stroke resampled at even times, its mean step about `step`: raw [n, 2], its
    points as the tablet sampled them (at even times), says how far along the stroke the
    pen was when; path [m, 2] is the stroke as drawn (raw itself, or raw with a coarse
    grid's staircase smoothed away), whose points the result lies on. Slow where the pen
    was slow: a stroke resampled along its path alone moves at one speed throughout,
    which IAM-OnDB's writers never do. A stroke of no length is its first point."""
    along_raw, along = along_path(raw), along_path(path)
    if along_raw[-1] == 0 or along[-1] == 0:
        return path[:1]
    times = np.linspace(0, len(raw) - 1, max(2, int(round(along[-1] / step)) + 1))
    at = np.interp(times, np.arange(len(raw)), along_raw) / along_raw[-1] * along[-1]
    return np.column_stack([np.interp(at, along, path[:, 0]), np.interp(at, along, path[:, 1])])


def tilt(line, shear=0.0):
    """The angle (radians) of the line's baseline, the least-squares line through its
    points: positive when the writing falls to the right (y down). shear: the tangent
    of the writing's slant, if known; the points are then fitted stood upright (x +=
    shear * y) and the slope found mapped back, as the least-squares line of slanted
    writing leans with its tall letters (by more, the shorter the line)."""
    xy = positions(line)
    xy[:, 0] += shear * xy[:, 1]
    slope = baseline_slope(xy)
    return float(np.arctan2(slope, 1 - shear * slope))


def weighted_median(values, weights):
    """The value below which half of the weight lies."""
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cumulative, cumulative[-1] / 2)])


def slant(line):
    """The writing's slant (radians from vertical, positive leaning right): the median,
    weighted by length, of the directions of the pen-down steps within SLANT_CONE of
    vertical, the up- and downstrokes whose lean is the hand's slant (the joins and
    the horizontal strokes are left out). The cone starts on vertical and is centred
    on the slant found, SLANT_PASSES times. 0 when no step is steep."""
    steps = np.asarray(line, np.float64)[pen_down(line), :2]
    shear = 0.0  # tan of the slant found so far
    for _ in range(SLANT_PASSES):
        dx, dy = steps[:, 0] + shear * steps[:, 1], steps[:, 1]  # as upright() would shear
        steep = (np.abs(dx) < np.tan(SLANT_CONE) * np.abs(dy)) & (dy != 0)
        if not steep.any():
            break
        # a stroke leaning right goes right as it goes up (dy < 0), left as it goes down
        lean = np.arctan(-dx[steep] / dy[steep])
        shear += np.tan(weighted_median(lean, np.hypot(dx[steep], dy[steep])))
    return float(np.arctan(shear))


# ---------------------------------------------------------------- the cleaning steps


def savitzky_golay_weights(window, order=3):
    """The weights that give the value at the middle of `window` points of the
    least-squares polynomial of this order through them (Savitzky and Golay 1964):
    smoothing that keeps every polynomial of that order, and so the curves of letters,
    while it averages jitter away."""
    half = window // 2
    powers = np.arange(-half, half + 1)[:, None] ** np.arange(order + 1)
    return np.linalg.pinv(powers)[0]


def smooth(line, window=SMOOTHING_WINDOW):
    """Each stroke smoothed: a point is replaced by the value of the Savitzky-Golay cubic
    through the `window` (odd) points around it, all of its own stroke; the points
    nearer than window // 2 to either end of a stroke, and strokes shorter than the
    window, are kept. Why: the tablet records a unit or two of jitter that a network
    learns to write and a picture shows, while the letters' curves are cubic enough to
    stay. window 3 or less: the line as it is. Returns float64 rows."""
    out = np.array(line, np.float64)
    half = window // 2
    if window <= 3 or len(out) <= 2 * half:
        return out
    xy = positions(out)
    stroke = np.concatenate([[0], np.cumsum(out[:-1, 2] > 0.5)])  # each point's stroke
    inside = stroke[:-2 * half] == stroke[2 * half:]  # the window about point half + i
    weights = savitzky_golay_weights(2 * half + 1)[::-1]
    for axis in (0, 1):
        fitted = np.convolve(xy[:, axis], weights, "valid")
        xy[half:-half, axis] = np.where(inside, fitted, xy[half:-half, axis])
    out[1:, :2] = np.diff(xy, axis=0)
    return out


def level(line, shear=0.0):
    """The line turned about its first point so that its baseline, the least-squares
    line through its points, is horizontal (tilt; shear: the tangent of its slant, if
    known). Why: a writer's lines climb or fall by a few degrees, a tilt a network
    would learn to write and nothing in the text asks for. Returns float64 rows."""
    out = np.array(line, np.float64)
    if len(out) < 2:
        return out
    angle = tilt(out, shear)
    turn = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    out[1:, :2] = out[1:, :2] @ turn
    return out


def upright(line):
    """The line sheared along x (y is kept, and so is a level baseline) so that its
    slant is 0: dx += tan(slant) * dy. Why: hands lean by anything from upright to
    40 degrees; writing upright lines the network spends nothing on the lean. Returns
    float64 rows."""
    out = np.array(line, np.float64)
    out[1:, 0] += np.tan(slant(out)) * out[1:, 1]
    return out


def why_broken(line, text=None):
    """Why the raw line is too broken to train on, as a key of BROKEN, or None: a
    pen-down step longer than MAX_PEN_DOWN_STEP (a missed pen lift, a crossing-out, a
    scribble), or, with its text, fewer than MIN_POINTS_PER_CHAR points a character
    of it (the text is not this line's)."""
    steps = np.asarray(line, np.float64)
    down = pen_down(steps)
    if down.any() and np.hypot(*steps[down, :2].T).max() > MAX_PEN_DOWN_STEP:
        return "step"
    if text and len(steps) < MIN_POINTS_PER_CHAR * len(text):
        return "sparse"
    return None


# ---------------------------------------------------------------- what --clean asks for


def parse_steps(spec):
    """The steps a --clean value names, in STEPS' order: a comma-separated list of
    them, "all", or "none" (or empty). ValueError for anything else."""
    names = [n.strip() for n in str(spec or "").split(",") if n.strip()]
    if names == [NO_CLEANING]:
        return ()
    if names == ["all"]:
        return STEPS
    unknown = [n for n in names if n not in STEPS]
    if unknown:
        raise ValueError(f"unknown step {', '.join(map(repr, unknown))}: expected a "
                         f"comma-separated list of {', '.join(STEPS)}, or all, or "
                         f"{NO_CLEANING}")
    return tuple(s for s in STEPS if s in names)


def spec_of(steps):
    """The --clean value (and config.json's) for steps: 'level,slant', or 'none'."""
    return ",".join(steps) or NO_CLEANING


def clean_line(line, steps):
    """One line cleaned by the steps named (drop aside), float32 rows: smoothed, then
    levelled, then slant corrected (the shear keeps a level baseline level). With
    both, the tilt is measured on the line stood upright (tilt's shear), so that the
    tall letters of slanted writing do not tilt the fit."""
    out = smooth(line) if "smooth" in steps else np.asarray(line)
    if "level" in steps:
        out = level(out, np.tan(slant(out)) if "slant" in steps else 0.0)
    if "slant" in steps:
        out = upright(out)
    return out.astype(np.float32)


def clean_lines(lines, texts, steps):
    """(kept, cleaned, dropped) for lines [T, 3] and their texts (None where unknown):
    the indices of the lines kept, those lines cleaned (the lines themselves when no
    step changes a line), and {reason: count} of the lines dropped as broken."""
    kept, dropped = list(range(len(lines))), {}
    if "drop" in steps:
        reasons = [why_broken(line, text) for line, text in zip(lines, texts)]
        kept = [i for i, why in enumerate(reasons) if why is None]
        dropped = {why: reasons.count(why) for why in BROKEN if why in reasons}
    changing = [s for s in steps if s in DONE]
    cleaned = [clean_line(lines[i], changing) if changing else lines[i] for i in kept]
    return kept, cleaned, dropped


def describe(steps, dropped):
    """What cleaning did to the training lines, for the loader's summary: 'training
    lines cleaned: levelled, smoothed, 3 broken dropped (2 with a pen-down step over
    400 tablet units, 1 with under 8 points a character)'."""
    done = [DONE[s] for s in STEPS if s in steps and s in DONE]
    if "drop" in steps:
        why = ", ".join(f"{dropped.get(k, 0)} with {v}" for k, v in BROKEN.items())
        done.append(f"{sum(dropped.values())} broken dropped ({why})")
    return "training lines cleaned: " + ", ".join(done)
