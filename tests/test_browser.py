"""The page in a real browser: headless Chromium opens it, writes a sentence and
watches it drawn, writes in a hand drawn on the pad with pointer events, writes
freely, and downloads the SVG and the PNG. Skips only where Chromium, its driver or
selenium is missing (.ci/run installs them)."""

import time
import xml.etree.ElementTree as ET

import browser
import pytest
import tiny

from webapp.harness import running

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(browser.missing() is not None,
                                 reason=f"no browser test: {browser.missing()}")]


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    """The page of app.py with tiny models, open in headless Chromium; downloads go to
    the driver's download_dir."""
    root = tmp_path_factory.mktemp("browser")
    tiny.save_tiny_model(root / "free")
    tiny.save_tiny_model(root / "synthesis", synthesis=True, alphabet="abc ", num_layers=2)
    downloads = root / "downloads"
    downloads.mkdir()
    with running("--model_dir", root / "free", "--synthesis_dir", root / "synthesis",
                        "--no_warmup") as url:
        driver = browser.chrome(download_dir=downloads)
        driver.download_dir = downloads
        try:
            driver.get(url)
            browser.wait_for(driver, "return document.body.dataset.ready")
            yield driver
        finally:
            driver.quit()


def paper(driver):
    return driver.execute_script("const p = document.getElementById('paper');"
                                 "return {...p.dataset};")


def ink_pixels(driver):
    """How many pixels of the paper canvas hold ink."""
    return driver.execute_script("""
        const c = document.getElementById('paper');
        const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
        return n;""")


def set_value(driver, element_id, value):
    driver.execute_script("const e = document.getElementById(arguments[0]);"
                          "e.value = arguments[1];"
                          "e.dispatchEvent(new Event('input', {bubbles: true}));",
                          element_id, value)


def click(driver, element_id):
    driver.execute_script("document.getElementById(arguments[0]).click()", element_id)


def write_and_watch(driver):
    """Click Write; see the drawing under way, then finished. Returns the paper's state."""
    before = driver.execute_script("return window.writeRnn.state.result")
    click(driver, "write")
    # drawn point by point: caught part-way, then done
    seen = browser.wait_for(driver, """
        const d = document.getElementById('paper').dataset;
        return d.state === 'drawing' && Number(d.drawn) < Number(d.points) ? {...d} : null;""",
                            timeout=60, poll=0.005)
    assert int(seen["drawn"]) < int(seen["points"])
    browser.wait_for(driver, "return document.getElementById('paper').dataset.state === 'done'",
                     timeout=60)
    assert driver.execute_script("return window.writeRnn.state.result") is not before
    status = driver.execute_script("return document.getElementById('status').className")
    assert "error" not in status
    return paper(driver)


def test_a_sentence_is_written_stroke_by_stroke_and_replayed(page):
    set_value(page, "speed", "20")  # about 50 points a second: slow enough to watch
    set_value(page, "text", "a cab\nbabc")
    set_value(page, "seed", "12")
    done = write_and_watch(page)
    answer = page.execute_script("return window.writeRnn.state.result.answer")
    assert answer["seed"] == 12 and [line["text"] for line in answer["lines"]] == ["a cab", "babc"]
    assert int(done["drawn"]) == int(done["points"]) == len(answer["strokes"])
    assert int(done["strokes"]) == sum(row[2] for row in answer["strokes"]) + \
        (answer["strokes"][-1][2] == 0)
    assert ink_pixels(page) > 100
    assert page.find_element("id", "seed").get_attribute("value") == "12"
    click(page, "replay")
    browser.wait_for(page, "return document.getElementById('paper').dataset.state === "
                           "'drawing'", poll=0.005)
    browser.wait_for(page, "return document.getElementById('paper').dataset.state === 'done'")
    assert ink_pixels(page) > 100


def test_writing_in_a_hand_drawn_on_the_pad(page):
    set_value(page, "speed", "60")
    page.find_element("css selector", 'input[name="style"][value="hand"]').click()
    assert page.find_element("id", "pad").is_displayed()
    strokes = [[(20, 60), (30, 40), (40, 60), (50, 40)],  # a zigzag
               [(70, 40), (70, 70), (90, 70)],  # an L
               [(110, 50), (130, 50)]]  # a dash
    browser.write_on_pad(page, strokes)
    assert page.execute_script("return window.writeRnn.pad.strokes.length") == 3
    page.find_element("id", "pad-text").send_keys("abc")
    set_value(page, "text", "cab")
    write_and_watch(page)
    sent = page.execute_script("return window.writeRnn.state.lastRequest.style")
    rows = sent["strokes"]
    assert sent["text"] == "abc" and len(rows) > 10
    assert rows[0][:2] == [0, 0]  # as the data: the line starts with a zero step
    assert sum(row[2] for row in rows) == 3 and rows[-1][2] == 1  # three strokes
    # brought to the data's size: the zigzag's 20 pixels become a good part of a line
    ys = [sum(r[1] for r in rows[: i + 1]) for i in range(len(rows))]
    assert 150 < max(ys) - min(ys) < 1500
    assert ink_pixels(page) > 100
    page.find_element("css selector", 'input[name="style"][value="model"]').click()
    assert not page.find_element("id", "pad").is_displayed()


def test_free_writing_draws_the_points_asked_for(page):
    click(page, "mode-free")
    set_value(page, "speed", "60")
    set_value(page, "points", "150")
    done = write_and_watch(page)
    assert int(done["points"]) == 150 == int(done["drawn"])
    click(page, "mode-write")


def wait_for_file(folder, suffix, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        files = [p for p in folder.iterdir() if p.name.endswith(suffix)]
        if files:
            return files[0]
        time.sleep(0.1)
    raise TimeoutError(f"no *{suffix} in {folder} after {timeout} s")


def test_the_writing_downloads_as_svg_and_png(page):
    set_value(page, "text", "abc")
    set_value(page, "ink", "#aa2200")
    write_and_watch(page)
    strokes = int(paper(page)["strokes"])
    click(page, "download-svg")
    svg = wait_for_file(page.download_dir, ".svg")
    time.sleep(0.3)  # written whole
    root = ET.fromstring(svg.read_bytes())
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    paths = root.findall(".//{http://www.w3.org/2000/svg}path")
    assert len(paths) == strokes
    groups = root.findall(".//{http://www.w3.org/2000/svg}g")
    assert groups[-1].get("stroke") == "#aa2200"
    click(page, "download-png")
    png = wait_for_file(page.download_dir, ".png")
    time.sleep(0.3)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_no_errors_in_the_console(page):
    errors = [e for e in page.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors
