"""docs/app.png, the page of app.py as the README shows it, taken by the machinery of the
browser test (tests/browser.py): app.py on a free port of 127.0.0.1, headless Chromium.

    python docs/make_app_screenshot.py

With a synthesis model in save/synthesis the page writes a sentence; without one it
writes freely, carrying on from a line written on its pad with pointer events (a line
the shipped model wrote, so that no picture holds a line of IAM-OnDB).
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import browser  # noqa: E402
import numpy as np  # noqa: E402

from config import FREE_MODEL_DIR, SYNTHESIS_DIR  # noqa: E402
from webapp.harness import running  # noqa: E402


def pad_strokes(width, height, seed=3):
    """A line of the shipped model's free writing, as pixel strokes that fit the pad."""
    from model import load_model

    strokes, _ = load_model(ROOT / FREE_MODEL_DIR).sample(220, seed=seed, bias=1.5)
    points = np.cumsum(strokes[:, :2], axis=0)
    low, high = points.min(axis=0), points.max(axis=0)
    scale = min((width - 50) / (high - low)[0], (height - 40) / (high - low)[1])
    pixels = np.round((points - low) * scale + [15, 20]).astype(int)
    ends = np.flatnonzero(strokes[:, 2] > 0.5) + 1
    return [list(map(tuple, s)) for s in np.split(pixels, ends) if len(s)]


def main(out=ROOT / "docs" / "app.png"):
    if browser.missing():
        sys.exit(f"cannot take the screenshot: {browser.missing()}")
    os.chdir(ROOT)  # the page names the folders as the README does
    with running("--model_dir", FREE_MODEL_DIR, "--synthesis_dir", SYNTHESIS_DIR,
                 "--no_warmup") as url:
        driver = browser.chrome(width=1280, height=760)
        try:
            driver.get(url)
            browser.wait_for(driver, "return document.body.dataset.ready")
            writing = driver.execute_script("return window.writeRnn.state.health.writing")
            set_value = ("const e = document.getElementById(arguments[0]); e.value = arguments[1];"
                         "e.dispatchEvent(new Event('input', {bubbles: true}));")
            driver.execute_script("document.getElementById('fresh-seed').checked = false")
            driver.execute_script(set_value, "seed", "7")
            driver.execute_script(set_value, "speed", "100")
            if writing:
                driver.execute_script(set_value, "text", "A page for writing:\nany text, "
                                                         "in any hand you like.")
            else:
                driver.execute_script("document.getElementById('carry-on').click()")
                pad = driver.find_element("id", "pad")
                browser.write_on_pad(driver, pad_strokes(pad.size["width"], pad.size["height"]))
            driver.execute_script("document.getElementById('write').click()")
            browser.wait_for(driver, "return document.getElementById('paper').dataset.state "
                                     "=== 'done'", timeout=300)
            driver.execute_script(set_value, "speed", "50")  # back to the default
            # the whole page: the window as tall as the page, past the browser's own bars
            bars = 760 - driver.execute_script("return window.innerHeight")
            tall = driver.execute_script("return document.documentElement.scrollHeight")
            driver.set_window_size(1280, tall + bars)
            driver.save_screenshot(str(out))
        finally:
            driver.quit()
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
