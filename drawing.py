"""Pictures of handwriting: the original's SVG drawings, and matplotlib figures.

A line is an array of rows (dx, dy, eos) in tablet units, as utils.DataLoader's
raw_data and model.sample return it. `factor` divides tablet units for drawing
(sample.py's --scale_factor): smaller means a bigger picture. The SVG functions
return an IPython SVG (Drawing), which a notebook shows inline and a terminal names,
and save it if given a file.
"""

import io
from xml.dom import minidom

import numpy as np
import svgwrite
from IPython.display import SVG

import cleaning
from cleaning import SMOOTHING_WINDOW
from files import write_atomic

# the five drawings of the original, by file suffix
SVG_KINDS = ("normal", "color", "multi_color", "eos_pdf", "pdf")
PRIME_GREY = 0.6  # a priming line's colour in .normal.svg, on a 0-1 scale

# ---------------------------------------------------------------- pen positions


def _absolute_points(data, factor):
    """Absolute pen positions [T, 2] in drawing units: the one place steps are summed."""
    steps = np.asarray(data, dtype=np.float64)[:, :2]
    return np.cumsum(steps, axis=0) / factor


def _pen_before(data, factor):
    """Where the pen was before each point [T, 2]: where the model put that point's mixture."""
    after = _absolute_points(data, factor)
    return np.vstack([np.zeros((1, 2)), after[:-1]])


def as_drawn(strokes, window=SMOOTHING_WINDOW, level=True):
    """A line of writing [T, 3] as the pictures of written text draw it: the same
    points, pen lifts and units, each stroke smoothed and the line levelled.

    Smoothing (cleaning.smooth): each point of a stroke is replaced by the value of the
    Savitzky-Golay cubic through the `window` points around it: the jitter of a unit or
    two that the tablet records and the network learnt goes, the letters' curves stay.
    Levelling (cleaning.level): the line is turned about its first point so that the
    least-squares line through its points is horizontal, as a writer's lines climb or
    fall a little. model.write returns the network's own points; this is for drawing
    them. window 1 and level=False draw them as they are."""
    out = cleaning.smooth(strokes, window)
    return (cleaning.level(out) if level else out).astype(np.float32)


def strokes_to_lines(data, factor=10):
    """One [N, 2] array of absolute positions per stroke, divided by factor."""
    points = _absolute_points(data, factor)
    return [points[idx] for idx in cleaning.stroke_indices(data)]


def get_bounds(data, factor=10):
    """(min_x, max_x, min_y, max_y) of the pen path, including its start at the origin."""
    points = np.vstack([np.zeros((1, 2)), _absolute_points(data, factor)])
    (min_x, min_y), (max_x, max_y) = points.min(axis=0), points.max(axis=0)
    return float(min_x), float(max_x), float(min_y), float(max_y)


# ---------------------------------------------------------------- SVG


def _canvas(data, factor, margin=25):
    """White drawing fitted to the strokes, and the shift that moves positions into it."""
    min_x, max_x, min_y, max_y = get_bounds(data, factor)
    size = (max_x - min_x + 2 * margin, max_y - min_y + 2 * margin)
    # debug=False skips svgwrite's per-attribute validation, which dominates on long samples.
    dwg = svgwrite.Drawing(size=size, debug=False)
    dwg.add(dwg.rect(insert=(0, 0), size=size, fill="white"))
    return dwg, np.array([margin - min_x, margin - min_y])


class Drawing(SVG):
    """What the drawing functions return: an IPython SVG, which Jupyter shows inline.
    A terminal (IPython or python) cannot show it, so there it prints the file it was
    saved to, or how to save one."""

    def __init__(self, data, saved_as=None):
        super().__init__(data=data)
        self.saved_as = saved_as and str(saved_as)

    def __repr__(self):
        if self.saved_as:
            return f"<SVG drawing, saved as {self.saved_as}>"
        return ("<SVG drawing: Jupyter shows it inline; to see it from a terminal, save it "
                "with svg_filename='name.svg' and open that>")


def svg_markup(dwg):
    """A drawing's markup as a notebook shows it (IPython re-serialises the <svg>
    element): what the files hold, and what the web page gets."""
    return minidom.parseString(dwg.tostring()).documentElement.toxml()


def _finish(dwg, svg_filename):
    """The drawing as a Drawing, saved first if a file is named."""
    markup = svg_markup(dwg)
    if svg_filename:
        write_atomic(svg_filename, markup.encode())
    return Drawing(markup, svg_filename)


def _rgb(color):
    """SVG colour from RGB in [0, 1]."""
    r, g, b = (round(float(c) * 255) for c in np.clip(color, 0.0, 1.0))
    return f"rgb({r},{g},{b})"


def _path_data(points):
    """Polyline path; a lone point becomes a zero-length line so round caps show it as a dot."""
    if len(points) == 1:
        points = np.repeat(points, 2, axis=0)
    return "M" + " L".join(f"{x:.3f},{y:.3f}" for x, y in points)


def _draw_polylines(data, factor, svg_filename, polylines, colors, stroke_width):
    """Shared SVG builder: one path per polyline, each in its own colour."""
    return _finish(_polylines(data, factor, polylines, colors, stroke_width), svg_filename)


def _polylines(data, factor, polylines, colors, stroke_width):
    """The svgwrite drawing of _draw_polylines."""
    dwg, offset = _canvas(data, factor)
    for points, color in zip(polylines, colors):
        dwg.add(
            dwg.path(
                d=_path_data(points + offset),
                stroke=color,
                stroke_width=stroke_width,
                stroke_linecap="round",
                stroke_linejoin="round",
                fill="none",
            )
        )
    return dwg


def _segments(data, factor):
    """Pen-down segments and the index of each one's end point (which picks its colour)."""
    segments, ends = [], []
    for idx, line in zip(cleaning.stroke_indices(data), strokes_to_lines(data, factor)):
        if len(line) == 1:
            segments.append(line)
            ends.append(idx[0])
        for j in range(1, len(line)):
            segments.append(line[j - 1 : j + 1])
            ends.append(idx[j])
    return segments, ends


def draw_strokes(data, factor=10, svg_filename=None, stroke_width=1, color="black"):
    """Draw strokes as one SVG path each; return an IPython SVG, saving it if a file is named."""
    lines = strokes_to_lines(data, factor)
    return _draw_polylines(
        data, factor, svg_filename, lines, [color] * len(lines), stroke_width
    )


def draw_strokes_custom_color(
    data, factor=10, svg_filename=None, color_data=None, stroke_width=1
):
    """Draw each segment in the colour of its end point; color_data is [T, 3] RGB in [0, 1]."""
    segments, ends = _segments(data, factor)
    if color_data is None:
        colors = ["black"] * len(segments)
    else:
        color_data = np.asarray(color_data, dtype=np.float64)
        colors = [_rgb(color_data[i]) for i in ends]
    return _draw_polylines(data, factor, svg_filename, segments, colors, stroke_width)


def draw_strokes_random_color(
    data, factor=10, svg_filename=None, per_stroke_mode=True, seed=None
):
    """Random colours per stroke (or per segment) to make stroke boundaries visible."""
    rng = np.random.default_rng(seed)
    if not per_stroke_mode:
        color_data = rng.random((len(data), 3)) * (240 / 255)  # avoid near-white
        return draw_strokes_custom_color(
            data, factor, svg_filename, color_data=color_data, stroke_width=2
        )
    lines = strokes_to_lines(data, factor)
    colors = [_rgb(c) for c in rng.random((len(lines), 3)) * (240 / 255)]
    return _draw_polylines(data, factor, svg_filename, lines, colors, stroke_width=2)


def draw_strokes_eos_weighted(stroke, param, factor=10, svg_filename=None):
    """Shade each segment from light grey to red by the eos probability at its end point.

    Shows where the model expected the pen to lift.
    """
    e = np.clip(np.ravel(param["e"]).astype(np.float64), 0.0, 1.0)[:, None]
    grey, red = np.full(3, 0.85), np.array([1.0, 0.0, 0.0])
    color_data = (1 - e) * grey + e * red
    return draw_strokes_custom_color(
        stroke, factor, svg_filename, color_data=color_data, stroke_width=3
    )


def _covariance_ellipses(param, factor):
    """1-sigma ellipse radii (major, minor) and major-axis angle in degrees, per [T, M].

    Uses the eigen-decomposition of each component's covariance so rho sets the tilt.
    """
    s1 = np.asarray(param["sigma1"], dtype=np.float64) / factor
    s2 = np.asarray(param["sigma2"], dtype=np.float64) / factor
    cross = np.asarray(param["rho"], dtype=np.float64) * s1 * s2
    cov = np.stack([np.stack([s1**2, cross], -1), np.stack([cross, s2**2], -1)], -2)
    eigval, eigvec = np.linalg.eigh(cov)  # ascending eigenvalues
    radii = np.sqrt(np.clip(eigval, 0.0, None))
    major = eigvec[..., :, 1]
    angle = np.degrees(np.arctan2(major[..., 1], major[..., 0]))
    return radii[..., 1], radii[..., 0], angle


def draw_strokes_pdf(data, param, factor=10, svg_filename=None, min_pi=0.01):
    """Draw each step's mixture as red 1-sigma ellipses, opacity = pi, where the model put them.

    Component k of step t is centred at the pen position before point t plus (mu1, mu2),
    scaled by factor like the strokes; components with pi < min_pi are skipped to keep
    the SVG small.
    """
    dwg, offset = _canvas(data, factor)
    mu = np.stack([param["mu1"], param["mu2"]], axis=-1).astype(np.float64) / factor
    centres = _pen_before(data, factor)[:, None, :] + mu + offset
    rx, ry, angle = _covariance_ellipses(param, factor)
    pi = np.asarray(param["pi"], dtype=np.float64)
    for t, k in zip(*np.nonzero(pi >= min_pi)):
        centre = (float(centres[t, k, 0]), float(centres[t, k, 1]))
        blob = dwg.ellipse(
            center=centre,
            r=(float(rx[t, k]), float(ry[t, k])),
            fill="red",
            fill_opacity=float(min(pi[t, k], 1.0)),
        )
        blob.rotate(float(angle[t, k]), center=centre)
        dwg.add(blob)
    return _finish(dwg, svg_filename)


def draw_strokes_animated(data, factor=10, svg_filename=None, points_per_second=100,
                          loop=False, hold=1.0):
    """An SVG that a browser writes stroke by stroke, at the pen's pace.

    IAM-OnDB was recorded at a constant rate, so giving every point, pen-up steps
    included, the same 1 / points_per_second replays the writer's (or the model's)
    timing. Plain SMIL, no script: every stroke's animations run from 0 for the whole
    drawing; a stroke stays hidden until its turn (keyTimes), then is revealed from
    its start by stroke-dashoffset going from the path's length to 0, and a one-point
    stroke (a dot) fades in. The attributes themselves draw the finished line, so a
    viewer without SMIL (rsvg, most image viewers) shows that. loop=True plays the
    drawing again and again, with `hold` seconds on the finished line in between.
    """
    if not points_per_second > 0:
        raise ValueError(f"points_per_second must be positive, not {points_per_second}")
    dwg, offset = _canvas(data, factor)
    lines = strokes_to_lines(data, factor)
    # each stroke's start and end, in points: one point's time each, a dot one too
    starts = np.cumsum([0] + [len(line) for line in lines[:-1]])
    ends = starts + [max(len(line) - 1, 1) for line in lines]
    total = ends.max() / points_per_second + (hold if loop else 0.0)
    timing = {"begin": "0s", "dur": f"{total:.4f}s", "fill": "freeze",
              "repeatCount": "indefinite" if loop else "1"}
    for line, first, last in zip(lines, starts, ends):
        points = np.round(line + offset, 3)  # the length of the path as written
        length = float(np.hypot(*np.diff(points, axis=0).T).sum()) if len(points) > 1 else 0.0
        turn, done = (f"{n / points_per_second / total:.6f}" for n in (first, last))
        path = dwg.path(d=_path_data(points), stroke="black", stroke_width=1,
                        stroke_linecap="round", stroke_linejoin="round", fill="none")
        # hidden until its turn: a round cap would otherwise show a dot at the start
        path.add(dwg.animate(attributeName="visibility", values="hidden;visible",
                             keyTimes=f"0;{turn}", calcMode="discrete", **timing))
        if length > 0:
            path.update({"stroke-dasharray": f"{length:.3f}"})
            hidden, shown = f"{length:.3f}", "0"
            attribute = "stroke-dashoffset"
        else:
            hidden, shown, attribute = "0", "1", "stroke-opacity"
        path.add(dwg.animate(attributeName=attribute, values=f"{hidden};{hidden};{shown};{shown}",
                             keyTimes=f"0;{turn};{done};1", **timing))
        dwg.add(path)
    return _finish(dwg, svg_filename)


def plot_strokes(data, ax=None, factor=1, color="black", linewidth=1, **kw):
    """Plot each stroke as a line on a matplotlib Axes, y inverted so writing is upright."""
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(8, 2))
    for line in strokes_to_lines(data, factor):
        ax.plot(line[:, 0], line[:, 1], color=color, linewidth=linewidth, **kw)
    if not ax.yaxis_inverted():  # idempotent when drawing several samples on one Axes
        ax.invert_yaxis()
    ax.set_aspect("equal")
    ax.set_axis_off()
    return ax


# ---------------------------------------------------------------- figures


def next_point_density(strokes, params, pixels=800, min_pi=1e-3):
    """The density of the next point, summed over the steps of a sample, on a grid.

    Step t's mixture is over the step (dx, dy) from the pen position before t, so it
    is placed there. strokes and params in tablet units, as model.sample returns them.
    Each step is evaluated only on a patch of 4 sigma around its components (pi >=
    min_pi), so a long sample stays fast. Returns (density [rows, cols], extent
    (x0, x1, y0, y1) of the grid in tablet units); row 0 is y0.
    """
    pi, mu1, mu2, s1, s2, rho = (np.asarray(params[k], np.float64)
                                 for k in ("pi", "mu1", "mu2", "sigma1", "sigma2", "rho"))
    before = _pen_before(strokes, 1)
    cx, cy = before[:, :1] + mu1, before[:, 1:] + mu2  # component centres [T, M]
    used = pi >= min_pi
    spread = float(np.median(np.minimum(s1, s2)[used]))
    # cells no smaller than a third of a typical sigma: a component covers a few
    # hundred cells, however far the line wanders
    min_x, max_x, min_y, max_y = get_bounds(strokes, 1)
    x0, y0 = min_x - 3 * spread, min_y - 3 * spread
    cell = max(max(max_x - min_x, max_y - min_y, spread) / pixels, spread / 3)
    cols = int(np.ceil((max_x + 3 * spread - x0) / cell))
    rows = int(np.ceil((max_y + 3 * spread - y0) / cell))
    xs, ys = x0 + (np.arange(cols) + 0.5) * cell, y0 + (np.arange(rows) + 0.5) * cell
    # a cell's average of a component: its variance widened by that of the cell
    # (cell^2 / 12), so a narrow peak between grid points still counts fully
    v1, v2, v12 = s1**2 + cell**2 / 12, s2**2 + cell**2 / 12, rho * s1 * s2
    det = v1 * v2 - v12**2
    weight = pi / (2 * np.pi * np.sqrt(det))
    density = np.zeros((rows, cols))
    for t in range(len(pi)):
        k = np.flatnonzero(used[t])
        if not k.size:
            continue
        r1, r2 = 4 * np.sqrt(v1[t, k]), 4 * np.sqrt(v2[t, k])
        i0, i1 = np.searchsorted(xs, [(cx[t, k] - r1).min(), (cx[t, k] + r1).max()])
        j0, j1 = np.searchsorted(ys, [(cy[t, k] - r2).min(), (cy[t, k] + r2).max()])
        if i0 >= i1 or j0 >= j1:
            continue  # the whole patch lies off the grid
        dx = xs[None, None, i0:i1] - cx[t, k, None, None]
        dy = ys[None, j0:j1, None] - cy[t, k, None, None]
        a, b, c = (v[t, k, None, None] for v in (v1, v2, v12))
        quad = (b * dx**2 - 2 * c * dx * dy + a * dy**2) / det[t, k, None, None]
        density[j0:j1, i0:i1] += np.tensordot(weight[t, k], np.exp(-0.5 * quad), 1)
    return density, (x0, x0 + cols * cell, y0, y0 + rows * cell)


def sample_figure(strokes, params):
    """The three plots of the original blog post, as one matplotlib Figure: the sample,
    the density of the next point at every step, and the path coloured by the
    end-of-stroke probability. Built without pyplot, so no display or backend is touched."""
    from matplotlib.collections import LineCollection
    from matplotlib.colors import Normalize, PowerNorm
    from matplotlib.figure import Figure

    density, (x0, x1, y0, y1) = next_point_density(strokes, params)
    height = float(np.clip(10 * (y1 - y0) / (x1 - x0), 1.0, 4.0))
    fig = Figure(figsize=(10, 3 * height + 1), layout="constrained")
    # a narrow column for the colour bars, empty in the first row, keeps the panels aligned
    grid = fig.subplots(3, 2, width_ratios=[40, 1])
    axes = grid[:, 0]
    grid[0, 1].set_visible(False)
    plot_strokes(strokes, ax=axes[0])
    axes[0].set_title("sample")
    # square-root scale: the peaks of confident steps would hide everything else
    image = axes[1].imshow(density, origin="lower", extent=(x0, x1, y0, y1), cmap="inferno",
                           norm=PowerNorm(0.5), interpolation="nearest")
    fig.colorbar(image, cax=grid[1, 1], label="density")
    axes[1].set_title("density of the next point, summed over steps")
    # each segment in the colour of e at its end point, as draw_strokes_eos_weighted
    segments, ends = _segments(strokes, 1)
    e = np.asarray(params["e"], np.float64)[ends]
    dot = np.array([len(segment) == 1 for segment in segments])
    norm = Normalize(0.0, 1.0)
    lines = LineCollection([s for s, d in zip(segments, dot) if not d], cmap="plasma", norm=norm,
                           linewidths=1.5)
    lines.set_array(e[~dot])
    axes[2].add_collection(lines)
    if dot.any():
        points = np.array([s[0] for s, d in zip(segments, dot) if d])
        axes[2].scatter(*points.T, c=e[dot], cmap="plasma", norm=norm, s=4)
    fig.colorbar(lines, cax=grid[2, 1], label="P(end of stroke)")
    axes[2].set_title("end-of-stroke probability")
    for ax in axes:
        ax.set_xlim(x0, x1)
        ax.set_ylim(y1, y0)  # tablet y points down: upright writing
        ax.set_aspect("equal")
        ax.set_axis_off()
    return fig


def write_png(strokes, params, png_filename):
    """Save sample_figure(strokes, params) as a PNG file."""
    buffer = io.BytesIO()
    sample_figure(strokes, params).savefig(buffer, format="png", dpi=100)
    write_atomic(png_filename, buffer.getvalue())


# ---------------------------------------------------------------- files


def write_sample(name, strokes, params, factor, prime=None, png=False, animate=False, seed=None,
                 loop=False, kinds=SVG_KINDS):
    """The original's five SVGs for one sample, or those of `kinds` (and the PNG and
    animation if asked; loop: the animation replays). seed fixes the random colours.
    Returns the paths written."""
    unknown = set(kinds) - set(SVG_KINDS)
    if unknown:
        raise ValueError(f"no such drawing: {sorted(unknown)}; the kinds are {SVG_KINDS}")
    files = {kind: f"{name}.{kind}.svg" for kind in SVG_KINDS if kind in kinds}
    if "normal" in files and prime is None:
        draw_strokes(strokes, factor=factor, svg_filename=files["normal"])
    elif "normal" in files:
        # the priming line in grey, then the continuation in black
        line = np.concatenate([prime, strokes])
        colors = np.zeros((len(line), 3))
        colors[: len(prime)] = PRIME_GREY
        draw_strokes_custom_color(line, factor=factor, svg_filename=files["normal"],
                                  color_data=colors)
    if "color" in files:
        draw_strokes_random_color(strokes, factor=factor, svg_filename=files["color"], seed=seed)
    if "multi_color" in files:
        draw_strokes_random_color(strokes, factor=factor, svg_filename=files["multi_color"],
                                  per_stroke_mode=False, seed=seed)
    if "eos_pdf" in files:
        draw_strokes_eos_weighted(strokes, params, factor=factor, svg_filename=files["eos_pdf"])
    if "pdf" in files:
        draw_strokes_pdf(strokes, params, factor=factor, svg_filename=files["pdf"])
    written = list(files.values())
    if png:
        write_png(strokes, params, f"{name}.png")
        written.append(f"{name}.png")
    if animate:
        draw_strokes_animated(strokes, factor=factor, svg_filename=f"{name}.animated.svg",
                              loop=loop)
        written.append(f"{name}.animated.svg")
    return written


# ---------------------------------------------------------------- written text


def _turns(y, down):
    """Indices where a stroke's y turns from going down to going up (down=True: a low
    point, y pointing down the page), or the other way round; a flat stretch counts once."""
    inner = y[1:-1]
    if down:
        turn = (inner >= y[:-2]) & (inner > y[2:])
    else:
        turn = (inner <= y[:-2]) & (inner < y[2:])
    return np.flatnonzero(turn) + 1


def line_guides(line):
    """Where a line of writing [T, 3] sits, in its own units (y down the page, from where
    the pen starts): (baseline, body top, top, bottom).

    The baseline is the median of the low points of its pen-down strokes that lie below
    the line's median height: the bottoms of the letters, which a descender, a comma or a
    stray stroke does not move. The body top (where the small letters end) is the same
    from the high points above the median. top and bottom are the 2nd and 98th
    percentiles of y: room for ascenders and descenders, without a stray mark. A line
    too short to have turns falls back to percentiles of y."""
    line = np.asarray(line, np.float64)
    y = np.cumsum(line[:, 1])
    middle = float(np.median(y))
    lows, highs = [], []
    for idx in cleaning.stroke_indices(line):
        stroke = y[idx]
        lows.append(stroke[_turns(stroke, down=True)])
        highs.append(stroke[_turns(stroke, down=False)])
    lows, highs = np.concatenate(lows), np.concatenate(highs)
    lows, highs = lows[lows > middle], highs[highs < middle]
    baseline = float(np.median(lows)) if len(lows) else float(np.percentile(y, 80))
    body_top = float(np.median(highs)) if len(highs) else float(np.percentile(y, 20))
    top, bottom = np.percentile(y, [2, 98])
    return baseline, body_top, float(top), float(bottom)


LINE_GAP = 1.2  # a page's line height over the tallest ascender and descender seen


def join_lines(lines, line_height=None):
    """Lines of writing [T_i, 3] -> one page [sum T_i, 3] in the same units.

    The lines sit on evenly spaced baselines (line_guides): the first line where it
    would be alone, line i's baseline line_height below line i - 1's (an empty line
    leaves its place blank), each line starting at the left. The default line_height
    has room for the tallest ascender of the page's lines above a baseline and their
    longest descender below it, and a gap (LINE_GAP), so that no two lines overlap
    whatever their sizes or where each began. The pen is lifted at the end of every
    line."""
    lines = [np.asarray(line, np.float64) for line in lines]
    guides = [line_guides(line) if len(line) else None for line in lines]
    known = [g for g in guides if g is not None]
    if not known:
        return np.zeros((0, 3), np.float32)
    if line_height is None:
        ascent = max(baseline - top for baseline, _, top, _ in known)
        descent = max(bottom - baseline for baseline, _, _, bottom in known)
        line_height = LINE_GAP * max(ascent + descent, 0.0)
    first = next(i for i, g in enumerate(guides) if g is not None)
    page, end = [], np.zeros(2)
    for i, (line, guide) in enumerate(zip(lines, guides)):
        if guide is None:
            continue
        line = line.copy()
        line[-1, 2] = 1.0
        # the baseline of this line where it belongs, and so where its pen starts
        start = np.array([0.0, (i - first) * line_height + known[0][0] - guide[0]])
        line[0, :2] += start - end  # from the end of the last line to this line's start
        end = end + line[:, :2].sum(axis=0)
        page.append(line)
    return np.concatenate(page).astype(np.float32)


def page_as_drawn(lines):
    """A page of written lines as its pictures show it: every line as_drawn, then
    join_lines. What sample.py --text, the web page and the docs' pictures draw."""
    return join_lines([as_drawn(line) for line in lines])


def attention_figure(phis, texts):
    """The soft window over the text at every pen step, phi(t, u) (Graves fig. 13):
    one panel per line, its characters down the side. Built without pyplot."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 1.2 + 0.16 * sum(len(t) for t in texts) + 0.4 * len(texts)),
                 layout="constrained")
    axes = np.atleast_1d(fig.subplots(len(texts), 1, height_ratios=[len(t) for t in texts]))
    for ax, phi, text in zip(axes, phis, texts):
        phi = np.asarray(phi)
        # the scale of the window's usual peak: alpha = exp(alpha^) spikes for a step now
        # and then (at a pen lift), and would otherwise leave the rest of the picture white
        ax.imshow(phi.T, aspect="auto", cmap="Greys", interpolation="nearest", vmin=0,
                  vmax=max(float(np.quantile(phi.max(axis=1), 0.95)), 1e-6))
        ax.set_yticks(range(len(text)), [repr(c)[1:-1] if c != " " else "␣" for c in text],
                      fontsize=7, family="monospace")
        ax.set_xlabel("pen step")
    axes[0].set_title("where the window is: phi(t, u) over the characters u")
    return fig


def write_attention_png(phis, texts, png_filename):
    """Save attention_figure(phis, texts) as a PNG file."""
    buffer = io.BytesIO()
    attention_figure(phis, texts).savefig(buffer, format="png", dpi=100)
    write_atomic(png_filename, buffer.getvalue())
