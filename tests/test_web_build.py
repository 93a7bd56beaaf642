"""The page as a static site (export.py --web): built from the shipped models, served as
plain files with no app.py, it writes a three-line text and reads a line drawn on its pad
in headless Chromium, every request staying inside the folder; the build's models fit
in 8 MB; a folder that is not a build is never written over."""

import json
import shutil
from pathlib import Path

import browser
import numpy as np
import pytest

import webexport
from measures import edit_distance
from model import load_model

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(browser.missing() is not None, reason=str(browser.missing())),
    pytest.mark.skipif(not (shutil.which("node") and shutil.which("npm")),
                       reason="no node and npm to build the WebAssembly kernel"),
]
TEXT = "Quiz: 42 boxes.\nThe page writes alone,\nwithout a server."


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("build") / "site"
    sizes = webexport.build_web(folder, ROOT / "save" / "synthesis", ROOT / "save" / "recognizer")
    return folder, sizes


@pytest.fixture(scope="module")
def page(site):
    with browser.serving(site[0]) as (url, requests):
        driver = browser.chrome(proxy=url)
        try:
            driver.get(url)
            browser.wait_for(driver, "return document.body.dataset.ready === 'true'")
            # the worker and its models were fetched through the recording server
            assert {url + "models/writer.bin", url + "static/kernel.wasm"} <= set(requests)
            yield driver, url, requests
        finally:
            driver.quit()


def test_the_build_holds_the_page_its_scripts_and_models_under_8_mb(site):
    folder, sizes = site
    page = (folder / "index.html").read_text()
    assert page == (ROOT / "static" / "index.html").read_text().replace(
        '<meta charset="utf-8">', '<meta charset="utf-8">\n<meta name="backend" content="browser">')
    assert (folder / "static" / "kernel.wasm").is_file()
    for script in (ROOT / "static").glob("*.js"):
        assert (folder / "static" / script.name).read_bytes() == script.read_bytes()
    assert sum(sizes.values()) <= 8e6
    assert sizes == {f.name: f.stat().st_size for f in (folder / "models").iterdir()}
    facts = json.loads((folder / "site.json").read_text())
    writer = load_model(ROOT / "save" / "synthesis")
    assert facts["alphabet"] == writer.alphabet and facts["styles"] == sorted(writer.styles)
    hands = json.loads((folder / "models" / "hands.json").read_text())
    assert hands["hand-1"]["text"] == writer.styles["hand-1"][1]
    np.testing.assert_allclose(hands["hand-1"]["strokes"], writer.styles["hand-1"][0], atol=0.05)


def test_site_json_has_what_the_page_reads_of_api_health(site, tiny_models):
    """The page reads site.json where a server gives /api/health: the same fields."""
    from fastapi.testclient import TestClient

    from webapp.service import create_app

    facts = json.loads((site[0] / "site.json").read_text())
    with TestClient(create_app(*tiny_models)) as client:
        health = client.get("/api/health").json()
    missing = set(health) - set(facts) - {"queue", "model_calls", "rows_written", "busy_s"}
    assert not missing


ANSWER_SEEDS = """
const {answerOf} = await import(process.argv[1]);
const line = {text: "a", strokes: [[1, 2, 1]], stop: "end", reading: "a", read_right: true};
const range = Number(process.argv[2]);
const answer = answerOf([line, line, line], range - 2, range);
console.log(JSON.stringify(answer.lines.map((l) => l.seed)));
"""


def test_a_page_s_line_seeds_wrap_at_the_seed_range_as_python_s_do():
    """inbrowser.js reports each line's seed as writepage.js drew it: text.line_seeds."""
    import subprocess

    from text import SEED_RANGE, line_seeds

    script = (ROOT / "static" / "inbrowser.js").as_uri()
    out = subprocess.run(["node", "--input-type=module", "-e", ANSWER_SEEDS, script,
                          str(SEED_RANGE)], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == list(line_seeds(SEED_RANGE - 2, 3)) == \
        [SEED_RANGE - 2, SEED_RANGE - 1, 0]


def test_an_interrupted_wabt_install_is_not_used_and_two_builds_at_once_share_one(
        tmp_path, monkeypatch):
    import subprocess
    from concurrent.futures import ThreadPoolExecutor

    cache, wat = tmp_path / "npm", ROOT / "static" / "kernel.wat"
    real_run = subprocess.run

    def interrupted(args, **kwargs):
        """npm stopped by Ctrl-C half-way: a package folder without its files."""
        if args[0] == "npm":
            (Path(args[args.index("--prefix") + 1]) / "node_modules" / "wabt").mkdir(
                parents=True)
            raise KeyboardInterrupt
        return real_run(args, **kwargs)

    monkeypatch.setattr(webexport.subprocess, "run", interrupted)
    with pytest.raises(KeyboardInterrupt):
        webexport.compile_kernel(wat, tmp_path / "x.wasm", cache)
    monkeypatch.undo()
    with ThreadPoolExecutor(2) as pool:
        built = list(pool.map(lambda k: webexport.compile_kernel(wat, tmp_path / f"{k}.wasm",
                                                                 cache), range(2)))
    assert built[0].read_bytes()[:4] == b"\0asm"
    assert built[0].read_bytes() == built[1].read_bytes()
    assert [p.name for p in cache.iterdir()] == ["node_modules"]  # no half installs left


def test_a_folder_that_is_not_a_build_is_left_alone(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match=str(tmp_path)):
        webexport.build_web(tmp_path, ROOT / "save" / "synthesis", ROOT / "save" / "recognizer")
    assert [f.name for f in tmp_path.iterdir()] == ["notes.txt"]
    with pytest.raises(SystemExit):
        webexport.main(["--web", str(tmp_path)])


def outside(url, requests):
    """The page's requests that were not for a file of the folder served at url."""
    return [r for r in browser.pages_own(requests) if not r.startswith(url)]


def test_the_static_page_writes_three_lines_in_the_browser_alone(page):
    driver, url, requests = page
    footer = driver.find_element("id", "backend").text
    assert footer.startswith("Written in this browser") and "slowly" not in footer
    assert not driver.find_element("id", "mode-free").is_displayed()
    driver.execute_script("document.getElementById('text').value = arguments[0];"
                          "document.getElementById('write').click()", TEXT)
    browser.wait_for(driver, "return document.getElementById('paper').dataset.state === "
                             "'done'", timeout=240)
    answer = driver.execute_script("return window.writeRnn.state.result.answer")
    assert [line["text"] for line in answer["lines"]] == TEXT.split("\n")
    assert all(line["stop"] == "end" for line in answer["lines"])
    # the reader in the browser read each line, and the best of the tries was kept
    readings = [line["reading"] for line in answer["lines"]]
    assert readings[1].replace(" ", "") == "Thepagewritesalone,"
    drawn = driver.execute_script("return document.getElementById('paper').dataset.drawn")
    assert int(drawn) == len(answer["strokes"]) > 300
    svg = driver.execute_script("return window.writeRnn.svgText()")
    assert svg.count("<path") >= 3
    # the seed shown writes the same page again (noise.js: the same draws in any browser)
    driver.execute_script("document.getElementById('fresh-seed').checked = false;"
                          "document.getElementById('write').click()")
    # (Write marks the paper "waiting" at once, so "done" is the new page's)
    browser.wait_for(driver, "return document.getElementById('paper').dataset.state === "
                             "'done'", timeout=240)
    again = driver.execute_script("return window.writeRnn.state.result.answer")
    # written anew: this time the page sent the seed it showed
    assert driver.execute_script("return window.writeRnn.state.lastRequest.seed") == \
        answer["seed"]
    assert again["seed"] == answer["seed"] and again["strokes"] == answer["strokes"]
    assert not outside(url, requests)


def test_a_line_drawn_on_the_static_page_s_pad_is_read_there(page):
    driver, url, requests = page
    writer = load_model(ROOT / "save" / "synthesis")
    line, _ = writer.write("hello", bias=2.0, seed=1)
    # the line as a mouse draws it on the pad: 60 CSS pixels high, every other point
    xy = np.cumsum(line[:, :2], axis=0)
    xy = (xy - xy.min(axis=0)) * 60 / np.ptp(xy[:, 1]) + [20, 20]
    strokes = [xy[s:e + 1:2].round().astype(int).tolist()
               for s, e in zip(np.r_[0, np.flatnonzero(line[:-1, 2]) + 1],
                               np.r_[np.flatnonzero(line[:-1, 2]), len(line) - 1])]
    driver.execute_script("window.scrollTo(0, 0)")
    driver.find_element("css selector", 'input[name="style"][value="hand"]').click()
    browser.write_on_pad(driver, [s for s in strokes if len(s) > 1], pause=0.005)
    read = browser.wait_for(driver, "return document.getElementById('pad-text').value",
                            timeout=60)
    # drawn in real time, sampled as the pad samples a hand: a letter may go astray
    assert edit_distance(read.replace(" ", ""), "hello") <= 1, read
    # and a text written in that hand, primed with the pad's line in the browser
    driver.execute_script("document.getElementById('text').value = 'a new line';"
                          "document.getElementById('write').click()")
    browser.wait_for(driver, "return document.getElementById('paper').dataset.state === "
                             "'done'", timeout=240)
    sent = driver.execute_script("return window.writeRnn.state.lastRequest.style")
    assert sent["text"] == read and len(sent["strokes"]) > 100
    answer = driver.execute_script("return window.writeRnn.state.result.answer")
    assert [line["text"] for line in answer["lines"]] == ["a new line"]
    assert answer["lines"][0]["stop"] == "end"
    assert not outside(url, requests)


def test_a_request_outside_the_folder_would_be_seen(page):
    """The recording is not blind: a fetch elsewhere is recorded (and refused)."""
    driver, url, requests = page
    driver.execute_async_script("fetch('http://example.com/x.js').catch(() => 0)"
                                ".then(arguments[0])")
    assert outside(url, requests) == ["http://example.com/x.js"]
    requests.pop()
