"""The page in a real browser: headless Chromium opens it, writes a sentence and
watches it drawn, writes in a hand drawn on the pad with pointer events, reads a line
of the tests' font drawn on the pad into the style's text box (never over what was
typed), writes freely, and downloads the SVG and the PNG; it counts a text's lines and
characters as the server does, draws a page of three long lines at a readable size,
redraws at once for a new stroke width or ink, and keeps Write in view with the pad
open (at 1280 x 900). Skips only where Chromium, its driver or selenium is missing
(.ci/run installs them)."""

import json
import re
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path

import browser
import numpy as np
import pytest
import tiny
import xmlgen
from conftest import FONT_FLAGS

import sample
import train
from config import PAGE_BIAS, save_styles
from drawing import page_as_drawn
from model import load_model
from webapp.harness import running

# the tiny synthesis model's named hands: two lines of the tests' font
NAMED_HANDS = {f"hand-{k}": (xmlgen.steps_of(xmlgen.font_line(text, np.random.default_rng(k))),
                              text) for k, text in ((1, "abca"), (2, "cab"))}

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(browser.missing() is not None,
                                 reason=f"no browser test: {browser.missing()}")]


def font_as_the_pad_records_it(root, rng, forms=70, lines_per_form=6):
    """lineStrokes/ and ascii/ under root: lines of random texts of 2 to 7 characters in
    xmlgen.FONT, each glyph resampled to 7 to 16 points along its stroke, its steps of
    uneven length (up to 3 to 1, as the pen's speed varies). The pad samples what is
    drawn in time and as densely as IAM-OnDB's tablet (a pen-down step about 1/17 of the
    line's height), which makes a glyph of the font some 10 points, not font_line's 5
    even ones: conftest's font_reader, which knows only those, misreads the pad."""
    strokes, texts = {}, {}
    for f in range(forms):
        form = xmlgen.form_of(xmlgen.line_id(f * 6))
        texts[form] = []
        for n in range(1, lines_per_form + 1):
            text = "".join(rng.choice(list(xmlgen.FONT), size=rng.integers(2, 8)))
            texts[form].append(text)
            glyphs = []
            for glyph in xmlgen.font_line(text, rng):
                along = np.cumsum([0, *rng.uniform(0.5, 1.5, rng.integers(6, 16))])
                along = (along / along[-1])[:, None]
                glyphs.append(np.rint(glyph[0] + along * (glyph[-1] - glyph[0])).astype(int))
            strokes[f"{form}-{n:02d}"] = glyphs
    xmlgen.write_data_folder(root, strokes)
    xmlgen.write_ascii_folder(root, texts)


@pytest.fixture(scope="module")
def pad_reader(tmp_path_factory):
    """A tiny recogniser that reads xmlgen.FONT as the pad records it, trained by train.py
    as conftest's font_reader is (a few seconds): its model_dir."""
    data_dir = tmp_path_factory.mktemp("pad_font")
    font_as_the_pad_records_it(data_dir, np.random.default_rng(0))
    model_dir = tmp_path_factory.mktemp("pad_reader")
    train.main([*FONT_FLAGS, "--data_dir", str(data_dir), "--model_dir", str(model_dir)])
    return model_dir


@pytest.fixture(scope="module")
def page(tmp_path_factory, pad_reader):
    """The page of app.py with tiny models (the recogniser: pad_reader), open in headless
    Chromium; downloads go to the driver's download_dir."""
    root = tmp_path_factory.mktemp("browser")
    tiny.save_tiny_model(root / "free")
    tiny.save_tiny_model(root / "synthesis", synthesis=True, alphabet="abc ", num_layers=2)
    save_styles(root / "synthesis", NAMED_HANDS)
    downloads = root / "downloads"
    downloads.mkdir()
    with running("--model_dir", root / "free", "--synthesis_dir", root / "synthesis",
                 "--recognizer_dir", pad_reader, "--no_warmup") as url:
        driver = browser.chrome(download_dir=downloads)
        driver.download_dir, driver.models_dir = downloads, root
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
    # under the writing, what the recogniser reads of each line
    readings = [line["reading"] for line in answer["lines"]]
    assert all(isinstance(r, str) for r in readings)
    assert [line["read_right"] for line in answer["lines"]] == \
        [r.replace(" ", "") == line["text"].replace(" ", "")
         for r, line in zip(readings, answer["lines"])]
    assert page.find_element("id", "readings").text == "Read back: " + ", ".join(
        f"“{line['reading']}”" + ("" if line["read_right"] else " (misread)")
        for line in answer["lines"])
    assert int(done["drawn"]) == int(done["points"]) == len(answer["strokes"])
    assert int(done["strokes"]) == sum(row[2] for row in answer["strokes"]) + \
        (answer["strokes"][-1][2] == 0)
    assert ink_pixels(page) > 100
    assert page.find_element("id", "seed").get_attribute("value") == "12"
    # the largest seed shows whole in its box
    set_value(page, "seed", "2147483647")
    assert page.execute_script("const s = document.getElementById('seed');"
                               "return s.scrollWidth <= s.clientWidth;")
    set_value(page, "seed", "12")
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
    set_value(page, "pad-text", "abc")  # typed: whatever the recogniser reads, this stays
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


def test_the_pad_s_hand_downloads_for_sample_py_and_is_kept_between_visits(page, tmp_path):
    page.find_element("css selector", 'input[name="style"][value="hand"]').click()
    click(page, "pad-clear")
    assert page.find_element("id", "pad-download").get_attribute("disabled")
    strokes = [[(20, 60), (30, 40), (40, 60), (50, 40)], [(70, 40), (70, 70), (90, 70)]]
    browser.write_on_pad(page, strokes)
    set_value(page, "pad-text", "ab")
    click(page, "pad-download")
    hand = json.loads(wait_for_file(page.download_dir, ".json").read_text())
    assert hand["text"] == "ab" and sum(row[2] for row in hand["strokes"]) == 2
    assert hand["strokes"] == page.execute_script(
        "return window.writeRnn.toSteps(window.writeRnn.pad.strokes, 'ab', "
        "window.writeRnn.state.health.limits.max_style_points)")
    # the file is a style the command line writes in, as the page does
    (tmp_path / "hand.json").write_text(json.dumps(hand))
    models = Path(page.models_dir)
    written = sample.main(["--model_dir", str(models / "synthesis"), "--text", "cab",
                           "--style", str(tmp_path / "hand.json"), "--seed", "3", "--tries", "1",
                           "--filename", str(tmp_path / "out")])
    writer = load_model(models / "synthesis")
    lines, _ = writer.write_page(["cab"], bias=PAGE_BIAS, seed=3,
                                 style=(np.asarray(hand["strokes"], np.float32), "ab"))
    np.testing.assert_allclose(written.strokes, page_as_drawn(lines), atol=1e-3)
    # a new visit finds the hand and its text where they were
    page.refresh()
    browser.wait_for(page, "return document.body.dataset.ready")
    page.find_element("css selector", 'input[name="style"][value="hand"]').click()
    assert page.execute_script("return window.writeRnn.pad.strokes.length") == 2
    assert page.find_element("id", "pad-text").get_attribute("value") == "ab"
    assert not page.find_element("id", "pad-download").get_attribute("disabled")
    # the file loads back onto a cleared pad, fitted to it: the same hand, the same text
    click(page, "pad-clear")
    page.find_element("id", "pad-text").clear()
    page.find_element("id", "pad-file").send_keys(str(tmp_path / "hand.json"))
    browser.wait_for(page, "return window.writeRnn.pad.strokes.length === 2")
    assert page.find_element("id", "pad-text").get_attribute("value") == "ab"
    loaded = page.execute_script(
        "return window.writeRnn.toSteps(window.writeRnn.pad.strokes, 'ab', "
        "window.writeRnn.state.health.limits.max_style_points)")
    assert sum(row[2] for row in loaded) == 2
    (tmp_path / "other.json").write_text('{"text": "ab"}')  # not a hand: said so
    page.find_element("id", "pad-file").send_keys(str(tmp_path / "other.json"))
    browser.wait_for(page, "return document.getElementById('status').textContent"
                           ".includes('not a hand file')")
    click(page, "pad-clear")  # the tests after this one start from an empty pad


def test_a_named_hand_from_the_menu_writes_the_page(page):
    page.refresh()  # as a user first sees it
    browser.wait_for(page, "return document.body.dataset.ready")
    set_value(page, "speed", "60")
    # the menu lists the model's hands, the first chosen: a page in one hand by default
    options = page.execute_script(
        "return [...document.getElementById('hand-name').options].map(o => o.value)")
    assert options == ["hand-1", "hand-2"]
    assert page.find_element("css selector", 'input[name="style"][value="named"]') \
        .is_selected()
    picker = page.find_element("id", "hand-name")
    assert picker.is_displayed() and picker.get_attribute("value") == "hand-1"
    page.find_element("css selector", 'input[name="style"][value="model"]').click()
    # picking a hand picks the named hands again
    page.find_element("css selector", '#hand-name option[value="hand-2"]').click()
    assert page.find_element("css selector", 'input[name="style"][value="named"]') \
        .is_selected()
    set_value(page, "text", "ab cab")
    set_value(page, "seed", "5")
    write_and_watch(page)
    sent = page.execute_script("return window.writeRnn.state.lastRequest")
    assert sent["hand"] == "hand-2" and "style" not in sent
    # what the page drew is what the API writes in that hand, and not the other's
    shown = page.execute_script("return window.writeRnn.state.result.answer.strokes")
    status, same = post(page, "/api/write", sent)
    assert status == 200 and same["strokes"] == shown
    status, other = post(page, "/api/write", {**sent, "hand": "hand-1"})
    assert status == 200 and other["strokes"] != shown
    page.find_element("css selector", 'input[name="style"][value="model"]').click()


def font_strokes(text, left=20, middle=75):
    """The strokes of text in xmlgen.FONT as a mouse draws them on the pad, in CSS
    pixels: each glyph a straight stroke of 5 points, 24 pixels long (half the font's
    tablet units), glyphs 20 pixels apart, from x = left on the line y = middle."""
    return [[(left + (x - 1000) // 2, middle + (y - 1000) // 2) for x, y in glyph.tolist()]
            for glyph in xmlgen.font_line(text, np.random.default_rng(0), jitter=0)]


def pad_status(driver):
    return driver.execute_script("const s = document.getElementById('pad-status');"
                                 "return {state: s.dataset.state || '', text: s.textContent,"
                                 "        error: s.classList.contains('error')};")


def wait_for_box(driver, text):
    browser.wait_for(driver, "return document.getElementById('pad-text').value === "
                             + json.dumps(text))


def open_empty_pad(driver):
    driver.execute_script("window.scrollTo(0, 0)")
    driver.find_element("css selector", 'input[name="style"][value="hand"]').click()
    click(driver, "pad-clear")
    set_value(driver, "pad-text", "")
    assert driver.execute_script("return window.writeRnn.pad.strokes.length") == 0


def test_a_line_drawn_on_the_pad_is_read_into_the_text_box(page):
    set_value(page, "speed", "100")
    open_empty_pad(page)
    try:
        assert page.execute_script("return window.writeRnn.state.health.reading") is True
        cab = font_strokes("cab")
        browser.write_on_pad(page, cab[:2])
        wait_for_box(page, "ca")
        assert pad_status(page) == {"state": "read", "error": False,
                                    "text": "Read by the recogniser: correct it if needed."}
        # more on the pad: a reading nobody edited follows it
        browser.write_on_pad(page, cab[2:])
        wait_for_box(page, "cab")
        # and what Write sends as the style's text is the reading
        set_value(page, "text", "abc")
        write_and_watch(page)
        sent = page.execute_script("return window.writeRnn.state.lastRequest.style")
        assert sent["text"] == "cab" and sum(row[2] for row in sent["strokes"]) == 3
        # Clear takes the reading with the line
        click(page, "pad-clear")
        assert page.find_element("id", "pad-text").get_attribute("value") == ""
        assert pad_status(page)["text"] == ""
    finally:
        page.find_element("css selector", 'input[name="style"][value="model"]').click()


def test_a_reading_never_overwrites_what_was_typed(page):
    open_empty_pad(page)
    try:
        box = page.find_element("id", "pad-text")
        box.send_keys("abc")
        browser.write_on_pad(page, font_strokes("fade"))
        browser.wait_for(page, "return document.getElementById('pad-status').dataset.state "
                               "=== 'kept'")
        assert pad_status(page)["text"] == "The recogniser reads “fade”; your text is kept."
        assert box.get_attribute("value") == "abc"
        click(page, "pad-clear")  # the pad is cleared, the typed text stays
        assert box.get_attribute("value") == "abc"
        # a reading corrected by hand is the user's text too
        set_value(page, "pad-text", "")
        cae = font_strokes("cae")
        browser.write_on_pad(page, cae[:2])
        wait_for_box(page, "ca")
        box.send_keys("b")
        browser.write_on_pad(page, cae[2:])
        # the whole line read again, whatever the reading (the pad's points follow the
        # pointer's timing, so a busy machine may make it "cac"): the typed text stays
        browser.wait_for(page, "return document.getElementById('pad-status').dataset.state "
                               "=== 'kept'")
        assert re.fullmatch("The recogniser reads “[^”]+”; your text is kept.",
                            pad_status(page)["text"])
        assert box.get_attribute("value") == "cab"
    finally:
        click(page, "pad-clear")
        set_value(page, "pad-text", "")
        page.find_element("css selector", 'input[name="style"][value="model"]').click()


def test_without_a_recogniser_the_pad_says_why(page):
    open_empty_pad(page)
    why = "reading handwriting needs the recogniser, and there is none here"
    page.execute_script("Object.assign(window.writeRnn.state.health, "
                        "{reading: false, why_not_reading: arguments[0]})", why)
    try:
        browser.write_on_pad(page, font_strokes("ab"))
        browser.wait_for(page, "return document.getElementById('pad-status').dataset.state "
                               "=== 'off'")
        assert pad_status(page)["text"] == why[0].upper() + why[1:] + "."
        time.sleep(0.6)  # past the moment a reading would have been asked for
        assert page.find_element("id", "pad-text").get_attribute("value") == ""
    finally:
        page.execute_script("Object.assign(window.writeRnn.state.health, "
                            "{reading: true, why_not_reading: null})")
        click(page, "pad-clear")
        page.find_element("css selector", 'input[name="style"][value="model"]').click()


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


def post(driver, path, body):
    """The server's (status, JSON answer) to a request made by the test, not the page."""
    request = urllib.request.Request(driver.current_url.rstrip("/") + path,
                                     data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=120) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as err:
        return err.code, json.load(err)


def test_the_page_counts_lines_and_characters_as_the_server_does(page):
    limits = page.execute_script("return window.writeRnn.state.health.limits")
    width, most = limits["line_length"], limits["max_lines"]
    # every character allowed, wrapped into one line too many: the page says so at once,
    # in the server's words, and does not send it
    text = ("abcab " * limits["max_text_length"])[: limits["max_text_length"]]
    status, answer = post(page, "/api/write", {"text": text})
    assert status == 422
    assert answer["detail"] == (f"the text makes {most + 1} lines of at most {width} "
                                f"characters; at most {most} are written")
    set_value(page, "text", text)
    hint = page.find_element("id", "text-hint")
    assert "error" in hint.get_attribute("class")
    assert hint.text == answer["detail"][0].upper() + answer["detail"][1:] + "."
    assert hint.get_attribute("data-lines") == str(most + 1)
    assert hint.get_attribute("data-characters") == str(limits["max_text_length"])
    sent = page.execute_script("return window.writeRnn.state.lastRequest")
    click(page, "write")
    status_line = page.find_element("id", "status")
    assert status_line.text == answer["detail"] and "error" in status_line.get_attribute("class")
    assert page.execute_script("return window.writeRnn.state.lastRequest") == sent
    # white space, tabs, line breaks, words longer than a line: the same count of lines
    # (each text ends in more lines than are written, so the server only counts them)
    more = "\na" * most
    for start in ["a" * (2 * width + 20) + " bc " + "a" * (width + 10),
                  "ab   " * (width // 4), "\tab\t\tc  \t" * 6, " " * (width + 9) + "a",
                  "a\r\nb\rc\x0bd\x0ce\x1cf\u2028g", "a\u00a0b " * 20,
                  "x" * width + " " + "y" * width, "a " * width + "\n\n   \n"]:
        status, answer = post(page, "/api/write", {"text": start + more})
        assert status == 422, answer
        lines = int(re.search(r"makes (\d+) lines", answer["detail"]).group(1))
        counted = page.execute_script("return window.writeRnn.measureText(arguments[0])",
                                      start + more)
        assert counted["lines"] == lines, repr(start)
        assert counted["characters"] == len(start + more)
    # and a text within the limits: the lines the page counts are the lines written
    text = "  a  b\t c \n\n \u00a0\n cab   "
    status, answer = post(page, "/api/write", {"text": text, "seed": 1})
    assert status == 200
    assert page.execute_script("return window.writeRnn.pageLines(arguments[0], arguments[1])",
                               text, width) == [line["text"] for line in answer["lines"]]
    set_value(page, "text", "a cab\nbabc")
    assert "error" not in hint.get_attribute("class")
    assert hint.text == (f"2 of {most} lines of up to {width} characters; 10 of "
                         f"{limits['max_text_length']} characters.")


def write_typed(page, typed):
    """Type a text, see that the page takes it, write it: (the hint, the API's answer)."""
    set_value(page, "text", typed)
    hint = page.find_element("id", "text-hint")
    assert "error" not in hint.get_attribute("class")
    write_and_watch(page)
    return hint, page.execute_script("return window.writeRnn.state.result.answer")


def test_typed_typography_is_folded_as_the_server_folds_it(page):
    # invisible marks a word processor leaves (a zero-width space, a soft hyphen) fold
    # to nothing: written, and the status line says how the text was written
    hint, answer = write_typed(page, "a\u200bb c\u00adab")
    assert [line["text"] for line in answer["lines"]] == ["ab cab"]
    assert answer["note"] and answer["note"] in page.find_element("id", "status").text
    # a curly apostrophe is a straight one, which this model cannot write: the page says
    # so before sending, naming the character the server would name
    set_value(page, "text", "a\u2019b")
    assert "error" in hint.get_attribute("class") and "\"'\"" in hint.text
    status, refused = post(page, "/api/write", {"text": "a\u2019b"})
    assert status == 422 and "\"'\"" in refused["detail"]


def test_an_accented_letter_is_written_with_its_mark(page):
    # "ä" (typed as a and a combining diaeresis) is the model's a with a mark added: no
    # warning before sending, and the line comes back as typed, a stroke longer
    hint, answer = write_typed(page, "ca\u0308b")
    assert [line["text"] for line in answer["lines"]] == ["c\u00e4b"]
    set_value(page, "text", "c\u00e4b \u0436")  # what has no letter in the alphabet is named
    assert "error" in hint.get_attribute("class") and "\u0436" in hint.text


def made_up_page(lines=3, letters=50, pitch=480):
    """A page of writing with IAM-OnDB's proportions, as /api/write answers: each letter
    a loop 120 tablet units high (a small letter), 150 from the next, lines `pitch` apart."""
    angles = np.linspace(0, 2 * np.pi, 13)
    loop = np.stack([50 * np.sin(angles), -60 + 60 * np.cos(angles)], axis=1)
    rows = []
    for i in range(lines):
        points = np.concatenate([loop + [150 * k, pitch * i] for k in range(letters)])
        eos = np.tile(np.arange(len(loop)) == len(loop) - 1, letters)
        rows.append(np.column_stack([points, eos]))
    page_points = np.concatenate(rows)
    steps = np.diff(page_points[:, :2], axis=0, prepend=np.zeros((1, 2)))
    strokes = np.column_stack([steps, page_points[:, 2]]).round(1).tolist()
    return {"strokes": strokes, "seed": 1, "stop": "end",
            "lines": [{"text": "a" * letters, "strokes": [], "seed": 1 + i, "stop": "end"}
                      for i in range(lines)]}


def test_a_page_of_three_long_lines_is_drawn_at_a_readable_size(page):
    page.execute_script("window.scrollTo(0, 0)")
    set_value(page, "speed", "100")
    set_value(page, "text", "\n".join(["a" * 50] * 3))
    browser.answer_with(page, "/api/write", made_up_page())
    try:
        click(page, "write")
        browser.wait_for(page, "return document.getElementById('paper').dataset.state "
                               "=== 'done'")
    finally:
        browser.answer_with(page, "/api/write", None)
    lines = browser.bands(browser.ink_rows(page))
    assert len(lines) == 3, lines
    # a small letter at least 16 pixels high (the page's own text has 8), ink included
    assert all(last - first + 1 >= 16 for first, last in lines), lines
    # and the paper as tall as the lines need: neither cut off nor padded out
    height = page.execute_script("return document.getElementById('paper').height")
    assert 0 < lines[0][0] and lines[-1][1] < height - 1
    assert height < 1.4 * (lines[-1][1] - lines[0][0]) + 60


def test_a_new_width_or_ink_redraws_the_writing_at_once(page):
    set_value(page, "speed", "60")
    set_value(page, "text", "abc cab")
    write_and_watch(page)
    set_value(page, "speed", "0")  # the slowest: writing it out again would take a while
    thin = ink_pixels(page)
    change = ("const e = document.getElementById(arguments[0]); e.value = arguments[1];"
              "for (const t of ['input', 'change']) e.dispatchEvent(new Event(t, {bubbles: true}));"
              "const d = document.getElementById('paper').dataset; return {...d};")
    for element, value in (("width", "6"), ("ink", "#ff0000")):
        now = page.execute_script(change, element, value)
        assert now["state"] == "done" and now["drawn"] == now["points"], now
        time.sleep(0.3)
        assert paper(page)["state"] == "done" and paper(page)["drawn"] == now["points"]
    assert ink_pixels(page) > 1.5 * thin  # drawn whole, and thicker
    red = page.execute_script("""
        const c = document.getElementById('paper');
        const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 0; i < data.length; i += 4) {
          if (data[i + 3] > 200 && data[i] > 200 && data[i + 1] < 60) n++;
        }
        return n;""")
    assert red > 100
    for element, value in (("width", "2"), ("ink", "#1d2b64"), ("speed", "50")):
        page.execute_script(change, element, value)


def test_on_a_small_screen_the_writing_comes_into_view_as_it_is_drawn(page):
    size = page.get_window_size()
    page.set_window_size(500, 700)  # a phone's width: the paper is under the controls
    try:
        page.execute_script("window.scrollTo(0, 0)")
        page.find_element("css selector", 'input[name="style"][value="model"]').click()
        set_value(page, "text", "ab cab")
        assert page.execute_script("return document.getElementById('paper')"
                                   ".getBoundingClientRect().top") >= \
            page.execute_script("return window.innerHeight")
        write_and_watch(page)
        top, bottom, height = page.execute_script(
            "const r = document.getElementById('paper').getBoundingClientRect();"
            "return [r.top, r.bottom, window.innerHeight];")
        assert 0 <= top < height and bottom > 0
    finally:
        page.set_window_size(size["width"], size["height"])


def test_write_stays_in_view_with_the_pad_open(page):
    page.execute_script("window.scrollTo(0, 0)")
    page.find_element("css selector", 'input[name="style"][value="hand"]').click()
    try:
        assert page.find_element("id", "pad").is_displayed()
        top, bottom, height = page.execute_script(
            "const b = document.getElementById('write').getBoundingClientRect();"
            "return [b.top, b.bottom, window.innerHeight];")
        assert 0 <= top and bottom <= height, (top, bottom, height)
    finally:
        page.find_element("css selector", 'input[name="style"][value="model"]').click()


def test_the_page_says_the_server_writes(page):
    assert page.find_element("id", "backend").text == "Written by the server (app.py)."
    assert page.find_element("id", "mode-free").is_displayed()


def test_no_errors_in_the_console(page):
    errors = [e for e in page.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors


def test_a_text_on_paper_shows_its_pages_with_progress_and_downloads_them(page):
    pypdf = pytest.importorskip("pypdf")
    set_value(page, "text", "abc cab bca " * 40)
    click(page, "on-paper")
    assert page.execute_script("""
        const shown = (id) => document.getElementById(id).offsetParent !== null;
        return !shown('paper') && shown('paper-size') && !shown('download-png');""")
    hint = page.find_element("id", "text-hint").text
    assert hint.startswith("480 of 6000 characters"), hint  # the paper's limit, not 400
    page.execute_script("""
        const size = document.getElementById('paper-size');
        size.value = 'a6';
        size.dispatchEvent(new Event('change', {bubbles: true}));""")
    set_value(page, "margins", "8")
    set_value(page, "size", "3")
    click(page, "write")
    # the progress bar while the lines are written, then the pages
    seen = browser.wait_for(page, """
        const bar = document.getElementById('paper-progress');
        return !bar.hidden && bar.value > 0 ? [bar.value, bar.max] : null;""",
                            timeout=120, poll=0.005)
    assert 0 < seen[0] <= seen[1]
    browser.wait_for(page, "return document.getElementById('sheets').dataset.state === 'done'",
                     timeout=120)
    pages = int(page.execute_script("return document.getElementById('sheets').dataset.pages"))
    assert pages >= 2
    assert page.execute_script("""
        const imgs = [...document.querySelectorAll('#sheets img')];
        return imgs.length === Number(arguments[0]) && imgs.every((i) => i.complete &&
            i.naturalWidth > 0 && i.naturalHeight / i.naturalWidth > 1.3);""", pages)
    status = page.find_element("id", "status").text
    assert f"Written on {pages} pages" in status
    for old in page.download_dir.iterdir():
        old.unlink()
    click(page, "download-pdf")
    pdf = wait_for_file(page.download_dir, ".pdf")
    time.sleep(0.5)  # written whole
    read = pypdf.PdfReader(pdf)
    assert len(read.pages) == pages
    assert float(read.pages[0].mediabox.width) == pytest.approx(105 / 25.4 * 72, abs=0.01)
    page.execute_script("document.querySelector('#sheets .page-svg').click()")
    svg = wait_for_file(page.download_dir, ".page-1.svg")
    time.sleep(0.3)
    root = ET.fromstring(svg.read_bytes())
    assert (root.get("width"), root.get("height")) == ("105mm", "148mm")
    # ticked off: the canvas and its buttons again
    click(page, "on-paper")
    assert page.execute_script("""
        const shown = (id) => document.getElementById(id).offsetParent !== null;
        return shown('paper') && !shown('sheets') && !shown('paper-size');""")
