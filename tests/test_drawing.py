"""drawing.py: the SVG drawings and matplotlib figures, against numpy computations."""

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import matplotlib
import numpy as np
import pytest

import cleaning
import drawing

matplotlib.use("Agg")

NS = "{http://www.w3.org/2000/svg}"
FACTOR = 2.0

# Three strokes of 3, 2 and 3 points.
STROKES = np.array(
    [
        [5, 5, 0],
        [10, 0, 0],
        [0, 10, 1],
        [20, -30, 0],
        [10, 10, 1],
        [-40, 20, 0],
        [5, 5, 0],
        [5, -5, 1],
    ],
    dtype=np.int16,
)
N_STROKES = 3


def parse(svg):
    return ET.fromstring(svg.data)


def paths(root):
    return root.findall(f"{NS}path")


def paths_in(path):
    return paths(ET.parse(path).getroot())


def seconds(value):
    assert value.endswith("s")
    return float(value[:-1])


def path_points(path):
    numbers = re.findall(r"-?\d+(?:\.\d+)?", path.get("d"))
    return np.array(numbers, dtype=float).reshape(-1, 2)


def canvas_offset(root, data, factor):
    """Shift from absolute positions to SVG coordinates, derived from the canvas size."""
    min_x, max_x, min_y, max_y = drawing.get_bounds(data, factor)
    margin_x = (float(root.get("width")) - (max_x - min_x)) / 2
    margin_y = (float(root.get("height")) - (max_y - min_y)) / 2
    assert margin_x > 0
    assert margin_x == pytest.approx(margin_y)
    return np.array([margin_x - min_x, margin_y - min_y])


def test_get_bounds_matches_numpy():
    absolute = np.vstack([[0, 0], np.cumsum(STROKES[:, :2], axis=0)]) / FACTOR
    expected = (
        absolute[:, 0].min(),
        absolute[:, 0].max(),
        absolute[:, 1].min(),
        absolute[:, 1].max(),
    )
    assert drawing.get_bounds(STROKES, FACTOR) == pytest.approx(expected)
    assert expected == pytest.approx((0.0, 22.5, -7.5, 10.0))  # origin sets min_x


def test_strokes_to_lines_keeps_trailing_stroke():
    data = STROKES.copy()
    data[-1, 2] = 0
    lines = drawing.strokes_to_lines(data, FACTOR)
    assert [len(line) for line in lines] == [3, 2, 3]
    np.testing.assert_allclose(
        lines[-1][-1], np.cumsum(data[:, :2], axis=0)[-1] / FACTOR
    )


def test_draw_strokes_one_path_per_stroke_at_cumsum():
    root = parse(drawing.draw_strokes(STROKES, factor=FACTOR))
    found = paths(root)
    assert len(found) == N_STROKES
    expected = np.cumsum(STROKES[:, :2], axis=0) / FACTOR + canvas_offset(
        root, STROKES, FACTOR
    )
    got = np.concatenate([path_points(p) for p in found])
    np.testing.assert_allclose(got, expected, atol=1e-3)
    assert root.find(f"{NS}rect").get("fill") == "white"


def test_draw_strokes_counts_trailing_stroke_without_eos():
    data = STROKES.astype(np.float32)
    data[-1, 2] = 0
    assert len(paths(parse(drawing.draw_strokes(data, factor=FACTOR)))) == N_STROKES


def test_single_point_stroke_is_drawn_as_dot():
    data = np.array([[1, 1, 1], [4, 0, 0], [4, 0, 1]])
    found = paths(parse(drawing.draw_strokes(data, factor=1)))
    assert len(found) == 2
    dot = path_points(found[0])
    assert len(dot) == 2 and np.all(dot[0] == dot[1])


def test_draw_strokes_writes_file_equal_to_returned_svg(tmp_path):
    target = tmp_path / "sample.svg"
    svg = drawing.draw_strokes(STROKES, factor=FACTOR, svg_filename=str(target))
    assert target.read_text(encoding="utf-8") == svg.data
    assert os.listdir(tmp_path) == ["sample.svg"]  # no temp file left behind
    ET.parse(target)


def test_a_terminal_is_told_where_the_drawing_is_or_how_to_save_it(tmp_path):
    """Only Jupyter can show an SVG: IPython in a terminal prints the plain-text form."""
    from IPython.core.formatters import PlainTextFormatter

    as_text = PlainTextFormatter()
    assert "svg_filename=" in as_text(drawing.draw_strokes(STROKES))
    saved = drawing.draw_strokes(STROKES, svg_filename=tmp_path / "x.svg")
    assert as_text(saved) == f"<SVG drawing, saved as {tmp_path / 'x.svg'}>"
    assert saved._repr_svg_() == (tmp_path / "x.svg").read_text()  # what Jupyter shows


def test_random_color_per_stroke_vs_per_segment():
    per_stroke = parse(drawing.draw_strokes_random_color(STROKES, FACTOR, seed=0))
    per_segment = parse(
        drawing.draw_strokes_random_color(STROKES, FACTOR, per_stroke_mode=False, seed=0)
    )
    assert len(paths(per_stroke)) == N_STROKES
    assert len(paths(per_segment)) == len(STROKES) - N_STROKES
    assert len({p.get("stroke") for p in paths(per_stroke)}) == N_STROKES


def test_random_color_is_reproducible_with_seed():
    a = drawing.draw_strokes_random_color(STROKES, FACTOR, seed=3).data
    b = drawing.draw_strokes_random_color(STROKES, FACTOR, seed=3).data
    c = drawing.draw_strokes_random_color(STROKES, FACTOR, seed=4).data
    assert a == b and a != c


def test_custom_color_uses_end_point_colour():
    colors = np.linspace(0, 1, len(STROKES))[:, None] * np.array([1.0, 0.0, 0.0])
    root = parse(drawing.draw_strokes_custom_color(STROKES, FACTOR, color_data=colors))
    found = paths(root)
    ends = [i for i in range(1, len(STROKES)) if STROKES[i - 1, 2] == 0]
    assert [p.get("stroke") for p in found] == [
        f"rgb({round(colors[i, 0] * 255)},0,0)" for i in ends
    ]
    offset = canvas_offset(root, STROKES, FACTOR)
    absolute = np.cumsum(STROKES[:, :2], axis=0) / FACTOR + offset
    for path, i in zip(found, ends):
        np.testing.assert_allclose(
            path_points(path), absolute[i - 1 : i + 1], atol=1e-3
        )


def make_param(seed=0, n_mix=2):
    rng = np.random.default_rng(seed)
    t = len(STROKES)
    return {
        "e": np.linspace(0.0, 1.0, t),
        "pi": np.full((t, n_mix), 1.0 / n_mix),
        "mu1": rng.normal(size=(t, n_mix)) * 5,
        "mu2": rng.normal(size=(t, n_mix)) * 5,
        "sigma1": rng.uniform(1, 3, size=(t, n_mix)),
        "sigma2": rng.uniform(1, 3, size=(t, n_mix)),
        "rho": rng.uniform(-0.9, 0.9, size=(t, n_mix)),
    }


def test_eos_weighted_colours_ordered_by_e():
    param = make_param()
    param["e"] = np.random.default_rng(1).permutation(param["e"])
    found = paths(parse(drawing.draw_strokes_eos_weighted(STROKES, param, factor=FACTOR)))
    ends = [i for i in range(1, len(STROKES)) if STROKES[i - 1, 2] == 0]
    greens = [int(re.findall(r"\d+", p.get("stroke"))[1]) for p in found]
    order = np.argsort(param["e"][ends])
    assert np.all(np.diff(np.array(greens)[order]) < 0)  # higher e -> darker, redder


def test_pdf_blob_centres_match_mixture():
    param = make_param()
    root = parse(drawing.draw_strokes_pdf(STROKES, param, factor=FACTOR))
    blobs = root.findall(f"{NS}ellipse")
    t, n_mix = param["pi"].shape
    assert len(blobs) == t * n_mix
    offset = canvas_offset(root, STROKES, FACTOR)
    before = np.cumsum(STROKES[:, :2], axis=0) - STROKES[:, :2]
    mu = np.stack([param["mu1"], param["mu2"]], axis=-1)
    expected = ((before[:, None, :] + mu) / FACTOR + offset).reshape(-1, 2)
    got = np.array([[float(b.get("cx")), float(b.get("cy"))] for b in blobs])
    np.testing.assert_allclose(got, expected, rtol=1e-9)
    assert float(blobs[0].get("fill-opacity")) == pytest.approx(0.5)


def test_pdf_ellipse_follows_covariance():
    param = make_param(n_mix=1)
    param["sigma1"][:] = 3.0
    param["sigma2"][:] = 3.0
    param["rho"][:] = 0.5
    blob = parse(drawing.draw_strokes_pdf(STROKES, param, factor=FACTOR)).find(
        f"{NS}ellipse"
    )
    # Equal sigmas with rho > 0: major axis along the diagonal, variances s^2 (1 +- rho).
    assert float(blob.get("rx")) == pytest.approx(3.0 * np.sqrt(1.5) / FACTOR)
    assert float(blob.get("ry")) == pytest.approx(3.0 * np.sqrt(0.5) / FACTOR)
    angle = float(re.findall(r"-?\d+(?:\.\d+)?", blob.get("transform"))[0])
    assert angle % 180 == pytest.approx(45.0)


def test_pdf_skips_unlikely_components():
    param = make_param()
    param["pi"][:, 0] = 0.001
    param["pi"][:, 1] = 0.999
    root = parse(drawing.draw_strokes_pdf(STROKES, param, factor=FACTOR))
    assert len(root.findall(f"{NS}ellipse")) == len(STROKES)


def test_plot_strokes_one_line_per_stroke():
    import matplotlib.pyplot as plt

    ax = drawing.plot_strokes(STROKES, factor=FACTOR)
    try:
        assert isinstance(ax, matplotlib.axes.Axes)
        lines = ax.get_lines()
        assert len(lines) == N_STROKES
        got = np.concatenate([line.get_xydata() for line in lines])
        np.testing.assert_allclose(got, np.cumsum(STROKES[:, :2], axis=0) / FACTOR)
        assert ax.yaxis_inverted()
        drawing.plot_strokes(STROKES, ax=ax)
        assert ax.yaxis_inverted() and len(ax.get_lines()) == 2 * N_STROKES
    finally:
        plt.close(ax.figure)


# strokes of 3 points, 1 point (a dot) and 2 points
ANIMATED = np.array([[0, 0, 0], [30, 0, 0], [0, 40, 1], [10, 10, 1], [5, 5, 0], [-30, 40, 1]])


def animations(path):
    """{attributeName: animate} of one path of an animated drawing."""
    return {a.get("attributeName"): a for a in path.findall(f"{NS}animate")}


def key_seconds(animate):
    """The times of an animate's keyTimes, in seconds."""
    return [float(k) * seconds(animate.get("dur")) for k in animate.get("keyTimes").split(";")]


def test_draw_strokes_animated_lengths_and_timing(tmp_path):
    drawing.draw_strokes_animated(ANIMATED, factor=10, svg_filename=tmp_path / "a.svg",
                                  points_per_second=50)
    found = paths_in(tmp_path / "a.svg")
    assert len(found) == 3
    assert [float(p.get("stroke-dasharray") or 0) for p in found] == pytest.approx([7, 0, 5])
    drawn = [animations(p) for p in found]
    assert [sorted(a) for a in drawn] == [["stroke-dashoffset", "visibility"],
                                          ["stroke-opacity", "visibility"],
                                          ["stroke-dashoffset", "visibility"]]
    # one clock for all: the whole drawing, 5 points' time, played once and kept
    for animate in (a for d in drawn for a in d.values()):
        assert seconds(animate.get("begin")) == 0 and seconds(animate.get("dur")) == 5 / 50
        assert animate.get("fill") == "freeze" and animate.get("repeatCount") == "1"
    reveal = [d.get("stroke-dashoffset", d.get("stroke-opacity")) for d in drawn]
    # hidden until the pen gets there, drawn over its points, then left drawn
    assert [t for a in reveal for t in key_seconds(a)[1:3]] == pytest.approx(
        [0, 2 / 50, 3 / 50, 4 / 50, 4 / 50, 5 / 50])
    assert reveal[0].get("values") == "7.000;7.000;0;0"
    assert reveal[1].get("values") == "0;0;1;1"
    # and invisible until its turn, so that a round cap shows no dot ahead of the pen
    for d, a in zip(drawn, reveal):
        assert d["visibility"].get("values") == "hidden;visible"
        assert key_seconds(d["visibility"]) == pytest.approx(key_seconds(a)[:2])


def test_draw_strokes_animated_shows_the_finished_drawing_without_animation(tmp_path):
    """A viewer without SMIL (rsvg, image viewers) draws what the attributes say."""
    drawing.draw_strokes_animated(ANIMATED, factor=10, svg_filename=tmp_path / "a.svg")
    drawing.draw_strokes(ANIMATED, factor=10, svg_filename=tmp_path / "still.svg")
    found = paths_in(tmp_path / "a.svg")
    assert [p.get("d") for p in found] == [p.get("d") for p in paths_in(tmp_path / "still.svg")]
    for path in found:
        assert path.get("visibility", "visible") == "visible"
        assert float(path.get("stroke-dashoffset", 0)) == 0
        assert float(path.get("stroke-opacity", 1)) == 1


def test_draw_strokes_animated_loops_with_a_pause_on_the_finished_line(tmp_path):
    drawing.draw_strokes_animated(ANIMATED, factor=10, svg_filename=tmp_path / "a.svg",
                                  points_per_second=50, loop=True, hold=2.0)
    reveal = animations(paths_in(tmp_path / "a.svg")[2])["stroke-dashoffset"]
    assert reveal.get("repeatCount") == "indefinite"
    assert seconds(reveal.get("dur")) == pytest.approx(5 / 50 + 2.0)
    assert key_seconds(reveal) == pytest.approx([0, 4 / 50, 5 / 50, 5 / 50 + 2.0], abs=1e-4)


def test_next_point_density_places_each_step_at_the_pen():
    strokes = np.array([[50.0, 0, 0], [50, 20, 1]])  # the pen before the steps: (0,0), (50,0)
    params = {"pi": np.ones((2, 1)), "mu1": np.full((2, 1), 25.0), "mu2": np.full((2, 1), 10.0),
              "sigma1": np.full((2, 1), 5.0), "sigma2": np.full((2, 1), 2.0),
              "rho": np.full((2, 1), 0.5)}
    density, (x0, x1, y0, y1) = drawing.next_point_density(strokes, params)
    rows, cols = density.shape
    cell = (x1 - x0) / cols
    assert (y1 - y0) / rows == pytest.approx(cell)
    assert density.sum() * cell**2 == pytest.approx(2.0, rel=0.01)  # one unit of mass a step

    xs, ys = x0 + (np.arange(cols) + 0.5) * cell, y0 + (np.arange(rows) + 0.5) * cell

    def at(x, y):
        return density[np.argmin(np.abs(ys - y)), np.argmin(np.abs(xs - x))]

    for cx in (25.0, 75.0):  # the pen position before each step plus mu
        near = np.abs(xs - cx) < 20
        row, col = np.unravel_index(np.argmax(density[:, near]), (rows, near.sum()))
        assert xs[near][col] == pytest.approx(cx, abs=cell)
        assert ys[row] == pytest.approx(10.0, abs=cell)
        assert at(cx + 3, 13) > 2 * at(cx + 3, 7)  # rho > 0: dx and dy rise together


def test_sample_figure_has_the_three_plots(tmp_path):
    param = make_param()
    fig = drawing.sample_figure(STROKES, param)
    assert [ax.get_title() for ax in fig.axes if ax.get_title()] == [
        "sample", "density of the next point, summed over steps", "end-of-stroke probability"]
    drawing.write_png(STROKES, param, tmp_path / "f.png")
    assert (tmp_path / "f.png").read_bytes().startswith(b"\x89PNG")


def test_utils_loads_no_drawing_library():
    """Importing the data pipeline for training does not load IPython, svgwrite or matplotlib."""
    code = ("import sys, utils; print(sorted(m for m in ('IPython', 'svgwrite', 'matplotlib') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_the_attention_picture_is_scaled_to_the_window_s_usual_peak_not_a_spike():
    phi = np.zeros((200, 8))
    phi[np.arange(200), np.arange(200) // 25] = 0.8  # the peak moving along the text
    phi[17, 2] = 16.0  # alpha spikes for one step
    fig = drawing.attention_figure([phi], ["abcdefgh"])
    assert fig.axes[0].images[0].get_clim() == pytest.approx((0.0, 0.8))


# ---------------------------------------------------------------- a page of lines


# the heights a made-up letter's pen passes through, in x-heights above (-) or below
# (+) the baseline: its turns
LETTERS = {"a": [-0.6, -1, -0.5, 0, -1, 0, -0.2],  # a bowl and a stem, on the baseline
           "l": [-0.3, -2.3, 0, -0.2],  # an ascender
           "g": [-0.6, -1, -0.5, 0, -1, 1.2, 0.9],  # a bowl, and a descender below it
           ".": [0]}


def made_up_line(letters, x_height, baseline, seed):
    """A line of made-up writing [T, 3] whose baseline lies `baseline` below where its
    pen starts: one stroke a letter of LETTERS, six points from one turn to the next,
    with a little tremor."""
    rng = np.random.default_rng(seed)
    points, ends, x = [], [], 0.0
    for letter in letters:
        if letter != " ":
            turns = baseline + x_height * np.array(LETTERS[letter], np.float64)
            ys = np.concatenate([np.linspace(a, b, 6, endpoint=False)
                                 for a, b in zip(turns, turns[1:])] + [turns[-1:]])
            xs = x + np.linspace(0.0, 0.8 * x_height, len(ys))
            points += zip(xs, ys + rng.normal(0, 0.02 * x_height, len(ys)))
            ends.append(len(points) - 1)
        x += x_height
    points = np.array(points)
    rows = np.zeros((len(points), 3))
    rows[:, :2] = np.diff(points, axis=0, prepend=np.zeros((1, 2)))
    rows[ends, 2] = 1
    return rows.astype(np.float32)


def placed(page, lines):
    """Each line's shift on the page: where its points are, less where they were alone."""
    at = np.cumsum(page[:, :2].astype(np.float64), axis=0)
    firsts = np.cumsum([0] + [len(line) for line in lines[:-1]])
    return [at[first] - line[0, :2] for first, line in zip(firsts, lines)]


def body_box(line, shift):
    """The 5th to 95th percentile of a line's y on the page."""
    y = np.cumsum(line[:, 1].astype(np.float64)) + shift[1]
    return np.percentile(y, [5, 95])


# lines of different sizes, each starting at another height from its baseline (as a
# synthesis model's lines do), and with other ascenders and descenders
PAGE = [made_up_line("ggg lag gag. gall", 110, 160, 1),  # large, starts high above its baseline
        made_up_line("aaa lll aaa lala", 60, -90, 2),  # small, starts below its baseline
        made_up_line("gaga gaag", 80, 10, 3),
        made_up_line("la", 70, 40, 4)]
BASELINES = [160, -90, 10, 40]


def test_a_page_s_lines_sit_on_evenly_spaced_baselines_without_overlapping():
    page = drawing.join_lines(PAGE)
    assert len(page) == sum(map(len, PAGE)) and page.dtype == np.float32
    shifts = placed(page, PAGE)
    assert all(shift[0] == pytest.approx(0, abs=1e-3) for shift in shifts)  # at the left
    baselines = np.array([b + shift[1] for b, shift in zip(BASELINES, shifts)])
    spacing = np.diff(baselines)
    assert spacing.min() > 0
    np.testing.assert_allclose(spacing, spacing.mean(), atol=0.03 * spacing.mean())
    assert baselines[0] == pytest.approx(160, abs=5)  # the first line stays where it was
    boxes = [body_box(line, shift) for line, shift in zip(PAGE, shifts)]
    for (_, low), (high, _) in zip(boxes, boxes[1:]):
        assert low < high, boxes  # line i's descenders end above line i + 1's ascenders
    # and not spread out either: from the lowest descender (110 * 1.2 below the
    # baseline) to the highest ascender (60 * 2.3 above it), and a little more
    assert spacing.mean() < 1.5 * (110 * 1.2 + 110 * 2.3)
    assert np.all(page[np.cumsum([len(line) for line in PAGE]) - 1, 2] == 1)


def test_the_page_s_baselines_ignore_a_stray_mark_and_keep_an_empty_line_s_place():
    stray = made_up_line("aaa aaa aaa", 80, 0, 5)
    stray[12, 1] += 2000  # one point far below the line, and back
    stray[13, 1] -= 2000
    lines = [made_up_line("aaa aaa", 80, 0, 6), stray, np.zeros((0, 3)),
             made_up_line("a", 80, 0, 7)]
    page = drawing.join_lines(lines)
    shifts = placed(page, [line for line in lines if len(line)])
    baselines = np.array([shift[1] for shift in shifts])
    spacing = np.diff(baselines)
    assert spacing[0] == pytest.approx(spacing[1] / 2, rel=0.03)  # the empty line's place
    assert spacing[0] < 3 * 80  # one stray point does not spread the page
    line_alone = drawing.join_lines([lines[0]])
    np.testing.assert_array_equal(line_alone, lines[0])  # a page of one line is that line


# ---------------------------------------------------------------- as_drawn


def wobbly_line(rng, tilt=0.0):
    """Three strokes of a level line with a unit or two of jitter, turned by tilt
    radians about its first point: (steps [T, 3], the points before the jitter, placed
    as the steps place the jittered ones)."""
    strokes, x = [], 0.0
    for n in (30, 12, 45):
        t = np.arange(n)
        points = np.column_stack([x + 6 * t, 40 * np.sin(t / 3)])
        strokes.append(points)
        x += 6 * n + 60
    clean = np.concatenate(strokes)
    turn = np.array([[np.cos(tilt), np.sin(tilt)], [-np.sin(tilt), np.cos(tilt)]])
    clean = clean @ turn
    noisy = clean + rng.normal(0, 1.5, clean.shape)
    steps = np.zeros((len(clean), 3))
    steps[1:, :2] = np.diff(noisy, axis=0)
    steps[np.cumsum([30, 12, 45]) - 1, 2] = 1
    return steps, clean - (noisy[0] - clean[0])  # where the clean points are, from the start


def test_as_drawn_keeps_points_pen_lifts_and_the_start():
    rng = np.random.default_rng(0)
    steps, _ = wobbly_line(rng)
    drawn = drawing.as_drawn(steps)
    assert drawn.shape == steps.shape
    np.testing.assert_array_equal(drawn[:, 2], steps[:, 2])
    np.testing.assert_allclose(drawn[0], steps[0])
    # each stroke's ends stay where they were, relative to the start
    ends = np.flatnonzero(steps[:, 2])
    unlevelled = drawing.as_drawn(steps, level=False)
    np.testing.assert_allclose(drawing.as_drawn(steps, window=1, level=False), steps, atol=1e-4)
    np.testing.assert_allclose(np.cumsum(unlevelled[:, :2], 0)[ends],
                               np.cumsum(steps[:, :2], 0)[ends], atol=1e-3)
    assert len(drawing.as_drawn(steps[:1])) == 1


def test_as_drawn_smooths_the_jitter_away():
    rng = np.random.default_rng(1)
    steps, clean = wobbly_line(rng)
    error = lambda s: np.abs(np.cumsum(s[:, :2], 0) - clean).mean()  # noqa: E731
    assert error(drawing.as_drawn(steps, level=False)) < 0.75 * error(steps)


def test_as_drawn_levels_a_tilted_line():
    rng = np.random.default_rng(2)
    level, _ = wobbly_line(rng)
    tilted, _ = wobbly_line(np.random.default_rng(2), tilt=np.radians(8))
    slope = lambda s: cleaning.baseline_slope(np.cumsum(s[:, :2], 0))  # noqa: E731
    assert abs(slope(tilted)) > 0.1
    assert abs(slope(drawing.as_drawn(tilted))) < 0.01  # least squares is not turned exactly
    # and the levelled line is the level one, turned back (the same shape)
    position = lambda s: np.cumsum(s[:, :2], 0)  # noqa: E731
    np.testing.assert_allclose(position(drawing.as_drawn(tilted)),
                               position(drawing.as_drawn(level)), atol=2.0)  # of 600 wide
