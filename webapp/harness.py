"""app.py in a subprocess on a free port of 127.0.0.1, as a user would start it: for the
tests (tests/test_browser.py), bench.py's figures under load and docs/'s screenshot."""

import contextlib
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

APP = Path(__file__).resolve().parents[1] / "app.py"


@contextlib.contextmanager
def running(*flags, timeout=120):
    """`python app.py FLAGS` in a subprocess on a free port of 127.0.0.1, for tests and
    bench.py: yields its address once /api/health answers, and stops it afterwards.
    Its output goes to a temporary file, shown if it does not start."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile("w+") as output:
        process = subprocess.Popen(
            [sys.executable, str(APP), "--port", str(port),
             *map(str, flags)], stdout=output, stderr=subprocess.STDOUT, text=True)
        try:
            deadline = time.monotonic() + timeout
            while not answers(url + "/api/health"):
                if process.poll() is not None or time.monotonic() > deadline:
                    output.seek(0)
                    raise RuntimeError(f"app.py did not start on {url} (exit code "
                                       f"{process.poll()}):\n{output.read()[-3000:]}")
                time.sleep(0.2)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def answers(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return answer.status == 200
    except OSError:
        return False
