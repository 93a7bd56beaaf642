"""A real browser on the page of app.py: headless Chromium (Debian's chromium and
chromium-driver) driven by selenium, and the app served in a subprocess on a free
port of 127.0.0.1 (webapp.harness.running). Used by tests/test_browser.py and
docs/make_app_screenshot.py."""

import contextlib
import http.server
import shutil
import threading
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


def chrome(download_dir=None, width=1280, height=900, proxy=None):
    """Headless Chromium through Debian's chromedriver (never a driver downloaded by
    selenium). download_dir: where downloads go, without asking. proxy: a URL that
    every request goes through, to this machine's too (serving's server records them)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = next(shutil.which(n) for n in CHROMIUM if shutil.which(n))
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                f"--window-size={width},{height}", "--force-device-scale-factor=1",
                "--disable-extensions", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"):
        options.add_argument(arg)
    if proxy is not None:
        options.add_argument(f"--proxy-server={proxy.split('/')[2]}")  # host:port
        options.add_argument("--proxy-bypass-list=<-loopback>")
        options.add_argument("--disable-features=NetworkTimeServiceQuerying")
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


# Chromium's own calls home (component updates, sign-in, autofill, network time) go to
# Google's hosts whatever page is open, and the page never does: what a test of a page's
# requests leaves out
BROWSER_OWN = (".google.com", ".googleapis.com")


def pages_own(requests):
    """The requests a page made, of those serving's server recorded."""
    host = lambda url: url.split("/")[2].split(":")[0]  # noqa: E731
    return [r for r in requests if not host(r).endswith(BROWSER_OWN)]


@contextlib.contextmanager
def serving(folder):
    """folder served as static files over HTTP on a free port of 127.0.0.1, as
    `python -m http.server` serves it (ES modules do not load from file://). The server
    is a proxy too: a browser from chrome(proxy=url) sends it every request, its workers'
    as well, and what lies outside the folder is refused. Yields (its URL, the requests
    it was sent: absolute URLs, a list that grows)."""
    requests = []

    class Recording(http.server.SimpleHTTPRequestHandler):
        def parse_request(self):
            if not super().parse_request():
                return False
            requests.append(self.path if self.path.startswith("http")
                            else f"{origin}{self.path.lstrip('/')}"
                            if self.command != "CONNECT" else f"https://{self.path}/")
            if self.path.startswith(origin):  # asked as a proxy
                self.path = "/" + self.path[len(origin):]
            elif self.path.startswith("http"):
                self.send_error(403, "outside the folder")
                return False
            return True

        def do_CONNECT(self):
            self.send_error(403, "outside the folder")

        def log_message(self, *args):
            pass

    handler = lambda *a: Recording(*a, directory=str(folder))  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    origin = f"http://127.0.0.1:{server.server_port}/"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield origin, requests
    finally:
        server.shutdown()
        server.server_close()


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
    of (x, y) in CSS pixels from the pad's top left corner, each segment drawn in about
    the same time (the pen rests `pause` s after it comes down, as between moves, so
    that the first segment does not come at once: the page samples strokes in time)."""
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
        actions.pause(pause)
        for (xa, ya), (xb, yb) in zip(stroke, stroke[1:]):
            actions.move_by_offset(xb - xa, yb - ya)
            actions.pause(pause)
        actions.release()
        actions.perform()


def answer_with(driver, path, answer):
    """The page's requests to `path` get `answer` (JSON, status 200) instead of the
    server's, until answer_with(driver, path, None): for a test that needs writing of a
    known shape, which a tiny untrained model does not write."""
    driver.execute_script("""
        const [path, answer] = arguments;
        window.serverFetch = window.serverFetch || window.fetch;
        window.cannedAnswers = window.cannedAnswers || {};
        if (answer === null) delete window.cannedAnswers[path];
        else window.cannedAnswers[path] = answer;
        window.fetch = (url, options) => url in window.cannedAnswers
          ? Promise.resolve(new Response(JSON.stringify(window.cannedAnswers[url]), {
              status: 200, headers: {"Content-Type": "application/json"}}))
          : window.serverFetch(url, options);""", path, answer)


def ink_rows(driver, canvas_id="paper"):
    """How many pixels of each row of a canvas hold ink (device pixels)."""
    return driver.execute_script("""
        const c = document.getElementById(arguments[0]);
        const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        const rows = new Array(c.height).fill(0);
        for (let i = 3; i < data.length; i += 4) {
          if (data[i] > 0) rows[Math.floor(i / 4 / c.width)]++;
        }
        return rows;""", canvas_id)


def bands(rows):
    """(first, last) row of each run of rows that hold ink."""
    runs, start = [], None
    for i, count in enumerate(list(rows) + [0]):
        if count and start is None:
            start = i
        elif not count and start is not None:
            runs.append((start, i - 1))
            start = None
    return runs
