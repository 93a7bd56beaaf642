"""A real browser on the page of app.py: headless Chromium (Debian's chromium and
chromium-driver) driven by selenium, and the app served in a subprocess on a free
port of 127.0.0.1 (webapp.harness.running). Used by tests/test_browser.py and
docs/make_app_screenshot.py."""

import shutil
import time

CHROMIUM = ("chromium", "chromium-browser", "google-chrome")
DRIVER = ("chromedriver",)


def missing():
    """Why no browser test can run here, or None."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -r requirements-dev.txt)"
    if not any(shutil.which(name) for name in CHROMIUM):
        return "Chromium is not installed (apt-get install chromium chromium-driver)"
    if not any(shutil.which(name) for name in DRIVER):
        return "chromedriver is not installed (apt-get install chromium-driver)"
    return None


def chrome(download_dir=None, width=1280, height=900):
    """Headless Chromium through Debian's chromedriver (never a driver downloaded by
    selenium). download_dir: where downloads go, without asking."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = next(shutil.which(n) for n in CHROMIUM if shutil.which(n))
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                f"--window-size={width},{height}", "--force-device-scale-factor=1",
                "--disable-extensions", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"):
        options.add_argument(arg)
    if download_dir is not None:
        options.add_experimental_option("prefs", {
            "download.default_directory": str(download_dir),
            "download.prompt_for_download": False,
            "safebrowsing.enabled": False})
    driver_path = next(shutil.which(n) for n in DRIVER if shutil.which(n))
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    if download_dir is not None:
        driver.execute_cdp_cmd("Page.setDownloadBehavior",
                               {"behavior": "allow", "downloadPath": str(download_dir)})
    return driver


def wait_for(driver, script, timeout=60, poll=0.1):
    """Run the JavaScript `return ...` script until it gives something true; return it."""
    deadline = time.monotonic() + timeout
    while True:
        value = driver.execute_script(script)
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"still false after {timeout} s: {script}")
        time.sleep(poll)


def write_on_pad(driver, strokes, pause=0.01):
    """Draw on the page's pad with pointer events, as a mouse would: strokes are lists
    of (x, y) in CSS pixels from the pad's top left corner."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    pad = driver.find_element(By.ID, "pad")
    size = pad.size
    for stroke in strokes:
        actions = ActionChains(driver, duration=10)
        # offsets are from the element's centre
        x0, y0 = stroke[0]
        actions.move_to_element_with_offset(pad, x0 - size["width"] / 2, y0 - size["height"] / 2)
        actions.click_and_hold()
        for (xa, ya), (xb, yb) in zip(stroke, stroke[1:]):
            actions.move_by_offset(xb - xa, yb - ya)
            actions.pause(pause)
        actions.release()
        actions.perform()
