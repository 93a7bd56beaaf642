"""The page's layout in plain JavaScript, in headless Chromium (tests/browser.py), against
Python: static/pagelayout.js smooths and levels a line as drawing.as_drawn does, finds
its guides as drawing.line_guides does, and lays a page out as drawing.page_as_drawn
does, so that a page written in the browser looks as the server's pictures."""

import shutil
from pathlib import Path

import browser
import numpy as np
import pytest

import drawing
from cleaning import SMOOTHING_WINDOW

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(browser.missing() is not None, reason=str(browser.missing()))]

# every line as drawn and its guides, raw and as drawn, and each page laid out
LAYOUT = """
const [lines, pages, done] = arguments;
(async () => {
  const layout = await import('/pagelayout.js');
  return {
    drawn: lines.map(layout.asDrawn),
    guides: lines.map(layout.lineGuides),
    drawnGuides: lines.map((line) => layout.lineGuides(layout.asDrawn(line))),
    pages: pages.map((page) => layout.pageAsDrawn(page.map((i) => i === null ? [] : lines[i]))),
    spaced: layout.joinLines(lines, 500),
  };
})().then(done, (err) => done({error: String(err)}));
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A folder served over HTTP on 127.0.0.1 (ES modules do not load from file://), with
    pagelayout.js, and a headless Chromium on its empty page: the driver."""
    folder = tmp_path_factory.mktemp("web")
    shutil.copy(ROOT / "static" / "pagelayout.js", folder)
    (folder / "index.html").write_text("<!doctype html><title>layout</title>")

    with browser.serving(folder) as (url, _):
        driver = browser.chrome()
        try:
            driver.get(url + "index.html")
            yield driver
        finally:
            driver.quit()


def rows(points, eos):
    """Relative rows [T, 3] (float32, as the writer's) from absolute points and pen lifts."""
    points = np.asarray(points, np.float64)
    steps = np.diff(points, axis=0, prepend=[[0.0, 0.0]])
    return np.column_stack([steps, eos]).astype(np.float32)


def short_line():
    """Fewer points than the smoothing window: kept as it is, only levelled."""
    return rows([[3, 40], [20, 10], [35, 45], [50, 5], [70, 30]], [0, 0, 0, 0, 1])


def dashes():
    """Strokes of two points, too short to have turns (the guides fall back to
    percentiles of y), sloping and long enough a line to be smoothed and levelled."""
    points = [[30 * i + 12 * k, 0.4 * i + 17 * ((i + k) % 3)] for i in range(8) for k in (0, 1)]
    return rows(points, [0, 1] * 8)


@pytest.fixture(scope="module")
def lines():
    """Three lines of the shipped writer and the hand-made ones."""
    from model import load_model

    writer = load_model(ROOT / "save" / "synthesis")
    written, _ = writer.write(["a dog", "Hello there.", "jumpy fox"], bias=0.75, seed=[1, 2, 3])
    return [np.asarray(line, np.float32) for line in written] + [short_line(), dashes()]


# pages of line indices, None for an empty line: one page of everything, a blank between
# two lines, a page starting with a blank, and a page with nothing on it
PAGES = [[0, 1, 2, 3, 4], [1, None, 0], [None, 4, 2], [None]]


@pytest.fixture(scope="module")
def mine(served, lines):
    got = served.execute_async_script(LAYOUT, [line.tolist() for line in lines], PAGES)
    assert "error" not in got, got
    return got


def close(mine, want):
    np.testing.assert_allclose(np.reshape(mine, np.shape(want)), want, rtol=1e-6, atol=1e-4)


def test_the_hand_made_lines_are_the_edge_cases_they_are_meant_to_be():
    assert len(short_line()) < SMOOTHING_WINDOW
    down = drawing.as_drawn(dashes())
    y = np.cumsum(down[:, 1].astype(np.float64))
    assert drawing.line_guides(down)[0] == np.percentile(y, 80)  # no turns: percentiles
    assert not np.allclose(down, dashes())  # levelled


def test_a_line_is_drawn_as_python_draws_it(lines, mine):
    for i, (line, drawn) in enumerate(zip(lines, mine["drawn"], strict=True)):
        want = drawing.as_drawn(line)
        assert np.shape(drawn) == want.shape, f"line {i}"
        close(drawn, want)


def test_a_line_s_guides_are_python_s(lines, mine):
    for line, guides, drawn_guides in zip(lines, mine["guides"], mine["drawnGuides"],
                                          strict=True):
        close(guides, drawing.line_guides(line))
        close(drawn_guides, drawing.line_guides(drawing.as_drawn(line)))


def test_a_page_is_laid_out_as_python_lays_it_out(lines, mine):
    empty = np.zeros((0, 3), np.float32)
    for page, got in zip(PAGES, mine["pages"], strict=True):
        want = drawing.page_as_drawn([empty if i is None else lines[i] for i in page])
        assert np.shape(got) == (want.shape if len(want) else (0,)), page
        close(got, want)
    close(mine["spaced"], drawing.join_lines(lines, line_height=500))
