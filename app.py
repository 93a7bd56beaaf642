"""A web page for writing: type a text, choose its legibility and style (your own hand
too), watch it drawn, download it; or let the unconditional model write freely.

    python app.py                      # then open http://127.0.0.1:8000

serves the page (static/: plain HTML, CSS and JavaScript, nothing fetched from
elsewhere), the JSON API it uses (POST /api/write, POST /api/sample, GET /api/health,
GET /api/style) and the API's docs at /docs, which work offline too. Concurrent
requests are gathered into batched model calls: see Batcher.
"""

import argparse
import asyncio
import concurrent.futures
import contextlib
import dataclasses
import hashlib
import ipaddress
import logging
import queue
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from fastapi import HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel, ConfigDict, Field

from drawing import draw_strokes, join_lines
from flags import add_flags, check_fields, flag, given
from utils import (
    SEED_RANGE,
    DataLoader,
    add_verbose_flag,
    check_writable,
    fresh_seed,
    line_seeds,
    quiet_tensorflow,
    wrap_text,
)

STATIC_DIR = Path(__file__).parent / "static"
MAX_BIAS = 10.0  # beyond this every mixture has collapsed to its mean anyway
MAX_STEP = 100_000.0  # |dx|, |dy| of a given stroke, tablet units (the model clamps at 500)
PAGE_TEXT = "Type a few words"  # what the page's text box holds at first (static/index.html)
SVG_FACTOR = 10  # tablet units per SVG unit, as sample.py's default --scale_factor

log = logging.getLogger("app")


@dataclasses.dataclass
class Limits:
    """What one request may ask for: the flags of app.py, shown by GET /api/health."""

    max_text_length: int = flag(400, "characters of text in one request", check="positive")
    line_length: int = flag(50, "wrap the text into lines of at most this many characters "
                            "(as sample.py --line_length)", check="positive")
    max_lines: int = flag(8, "lines of one request, after wrapping", check="positive")
    max_points: int = flag(2000, "points of free writing in one request", check="positive")
    max_style_points: int = flag(3000, "points of a style or a line to carry on from",
                                 check="positive")
    max_style_text: int = flag(100, "characters of a style's text", check="positive")
    max_body_bytes: int = flag(262144, "bytes of a request body", check="positive")
    max_batch: int = flag(16, "requests' lines written in one model call (1: one request at "
                          "a time, no batching)", check="positive")
    batch_wait_ms: float = flag(10.0, "how long the first request of a batch waits for others",
                                check="non-negative")
    max_queue: int = flag(256, "requests waiting for the model before new ones are turned "
                          "away (503)", check="positive")

    def __post_init__(self):
        check_fields(self)


# ---------------------------------------------------------------- requests and answers

Finite = Annotated[float, Field(strict=True, allow_inf_nan=False)]
Step = Annotated[list[Finite], Field(min_length=3, max_length=3,
                                     description="(dx, dy, eos) in tablet units, eos 0 or 1")]
Seed = Annotated[int, Field(strict=True, ge=0, lt=SEED_RANGE,
                            description="the same seed and inputs write the same; "
                                        "leave out for a fresh one")]
Bias = Annotated[float, Field(strict=True, ge=0.0, le=MAX_BIAS, allow_inf_nan=False,
                              description="legibility: 0 writes as the data, larger is "
                                          "neater (Graves eq. 61-62)")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Style(Strict):
    strokes: list[Step] = Field(description="a line of writing, [[dx, dy, eos], ...] in "
                                            "tablet units, as /api/write returns it")
    text: str = Field(description="what the strokes write")


class WriteRequest(Strict):
    text: str | None = Field(None, description="the text; long lines are wrapped")
    lines: list[str] | None = Field(None, description="or its lines (each wrapped if long)")
    bias: Bias = 0.0
    seed: Seed | None = None
    style: Style | None = Field(None, description="write in this hand (Graves section 5.5)")


class SampleRequest(Strict):
    num_points: Annotated[int, Field(strict=True, ge=1)] = 700
    bias: Bias = 0.0
    seed: Seed | None = None
    prime: list[Step] | None = Field(None, description="a line to carry on from, in its hand")


class Line(BaseModel):
    text: str
    strokes: list[list[float]]
    seed: int
    stop: Literal["end", "budget"]


class WriteAnswer(BaseModel):
    strokes: list[list[float]] = Field(description="the page, [[dx, dy, eos], ...] in tablet "
                                                   "units: its lines one below the other")
    svg: str
    seed: int = Field(description="the seed of the first line; line i has seed + i")
    stop: Literal["end", "budget"] = Field(description="end: every line ended by the stop "
                                                       "rule; budget: one ran out of points")
    lines: list[Line]


class SampleAnswer(BaseModel):
    strokes: list[list[float]]
    svg: str
    seed: int


class BadInput(ValueError):
    """A request the app will not run: a 422 with this message."""


# ---------------------------------------------------------------- checks


def check_steps(steps, name, limit):
    """Given strokes -> float32 [T, 3], or BadInput saying what is wrong."""
    if len(steps) < 2:
        raise BadInput(f"{name} needs at least two points, not {len(steps)}")
    if len(steps) > limit:
        raise BadInput(f"{name} has {len(steps)} points; at most {limit} are taken")
    array = np.asarray(steps, np.float64)
    if np.abs(array[:, :2]).max() > MAX_STEP:
        raise BadInput(f"{name}: a step is larger than {MAX_STEP:g} tablet units")
    if not np.isin(array[:, 2], (0.0, 1.0)).all():
        raise BadInput(f"{name}: eos (the third number of a point) must be 0 or 1")
    return array.astype(np.float32)


def check_alphabet(text, alphabet):
    try:
        check_writable(text, alphabet)
    except ValueError as err:
        raise BadInput(str(err)) from None


def lines_of(request, limits, alphabet):
    """The request's text as the lines to write, checked against the limits."""
    if (request.text is None) == (request.lines is None):
        raise BadInput("give either text or lines")
    parts = [request.text] if request.text is not None else request.lines
    length = sum(map(len, parts))
    if length > limits.max_text_length:
        raise BadInput(f"the text has {length} characters; at most {limits.max_text_length}")
    lines = [line for part in parts for line in wrap_text(part, limits.line_length)]
    lines = [" ".join(line.split()) for line in lines]
    lines = [line for line in lines if line]
    if not lines:
        raise BadInput("nothing to write: the text is empty")
    if len(lines) > limits.max_lines:
        raise BadInput(f"the text makes {len(lines)} lines of at most {limits.line_length} "
                       f"characters; at most {limits.max_lines} are written")
    check_alphabet("".join(lines), alphabet)
    return lines


def style_of(style, limits, alphabet):
    """(strokes, text) of a request's style, checked, or None."""
    if style is None:
        return None
    text = " ".join(style.text.split())
    if not text:
        raise BadInput("a style needs the text its strokes write (style.text is empty)")
    if len(text) > limits.max_style_text:
        raise BadInput(f"style.text has {len(text)} characters; at most "
                       f"{limits.max_style_text}")
    check_alphabet(text, alphabet)
    return check_steps(style.strokes, "style.strokes", limits.max_style_points), text


def rounded(strokes):
    """Strokes as JSON rows, to a tenth of a tablet unit (the data's are whole units)."""
    out = np.round(np.asarray(strokes, np.float64), 1)
    out[:, 2] = out[:, 2] > 0.5
    return out.tolist()


def svg_of(strokes):
    return draw_strokes(strokes, factor=SVG_FACTOR).data


def style_key(strokes, text):
    """Requests share a model call only if they share their style: this names it."""
    if strokes is None:
        return None
    return hashlib.sha256(np.ascontiguousarray(strokes).tobytes() + text.encode()).hexdigest()


# ---------------------------------------------------------------- batching


@dataclasses.dataclass
class Job:
    """Rows for one model call. key: what the rows of a call must share (kind, bias,
    style, point count); rows: a seed each, and a text for writing."""

    key: tuple
    rows: list
    run: object  # run(rows) -> one result per row, on the worker thread
    future: concurrent.futures.Future = dataclasses.field(
        default_factory=concurrent.futures.Future)


class Busy(Exception):
    """Too many requests wait for the model."""


class Batcher:
    """One worker thread runs every model call. A request's rows are queued as a Job;
    the worker takes the first job, waits up to wait_ms for more, and runs the jobs
    that share a key as one batched call of at most max_batch rows (a request larger
    than that runs alone). The event loop only awaits the futures, so the server
    answers other requests (GET /api/health) while the model writes.

    Every call has at least two rows and a power-of-two count (the last row is
    repeated, its result dropped): XLA compiles once per shape, and a row computes
    bit for bit the same in any batch of two or more rows, so with its own seed
    (model.batch_noise) a request writes the same whether batched or alone."""

    def __init__(self, max_batch=16, wait_ms=10.0, max_queue=256):
        self.max_batch, self.wait = max_batch, wait_ms / 1000
        self.max_queue = max_queue
        self.queue = queue.Queue()
        self.calls = self.rows = 0
        self.busy_since = None
        self.thread = threading.Thread(target=self._work, name="model", daemon=True)
        self.thread.start()

    async def submit(self, key, rows, run):
        if self.queue.qsize() >= self.max_queue:
            raise Busy()
        job = Job(key, rows, run)
        self.queue.put(job)
        return await asyncio.wrap_future(job.future)

    def close(self):
        self.queue.put(None)
        self.thread.join(timeout=30)

    def _collect(self, first):
        jobs, deadline = [first], time.monotonic() + self.wait
        while sum(len(j.rows) for j in jobs) < self.max_batch:
            try:
                job = self.queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if job is None:  # closing: finish what was taken first
                self.queue.put(None)
                break
            jobs.append(job)
        return jobs

    def _work(self):
        while True:
            first = self.queue.get()
            if first is None:
                return
            groups = {}
            for job in self._collect(first):
                groups.setdefault(job.key, []).append(job)
            for jobs in groups.values():
                call = []
                for job in jobs:
                    if call and sum(len(j.rows) for j in call) + len(job.rows) > self.max_batch:
                        self._run(call)
                        call = []
                    call.append(job)
                self._run(call)

    def _run(self, jobs):
        rows = [row for job in jobs for row in job.rows]
        padded = rows + [rows[-1]] * (max(2, 1 << (len(rows) - 1).bit_length()) - len(rows))
        self.busy_since = time.monotonic()
        try:
            results = jobs[0].run(padded)
        except Exception as err:
            if len(jobs) > 1:  # one request's failure is not the others': each alone
                for job in jobs:
                    self._run([job])
                return
            jobs[0].future.set_exception(err)  # the request answers for it
            return
        finally:
            self.busy_since = None
        self.calls += 1
        self.rows += len(rows)
        start = 0
        for job in jobs:
            job.future.set_result(results[start:start + len(job.rows)])
            start += len(job.rows)


# ---------------------------------------------------------------- models and data


@dataclasses.dataclass
class Models:
    free: object  # a HandwritingModel, for free writing
    synthesis: object = None  # a SynthesisModel, or None ...
    why_not: str = ""  # ... and then why not


def load_models(model_dir, synthesis_dir):
    """The free-writing model (which must load) and the synthesis model if there is one."""
    from model import load_model

    free = load_model(model_dir)
    if free.config.synthesis:
        raise ValueError(f"{model_dir} holds a synthesis model: give it as --synthesis_dir, "
                         f"and an unconditional model (such as save/) as --model_dir")
    path = Path(synthesis_dir)
    how = (f"train one with `python train.py --synthesis --model_dir {synthesis_dir}`; "
           f"until then the page writes freely only")
    if not (path / "config.json").is_file():
        return Models(free, None, f"writing a given text needs the synthesis model, and "
                                  f"{synthesis_dir} holds none yet: {how}")
    try:
        synthesis = load_model(path)
    except (OSError, ValueError) as err:
        return Models(free, None, f"the synthesis model in {synthesis_dir} cannot be loaded "
                                  f"({err}): {how}")
    if not synthesis.config.synthesis:
        return Models(free, None, f"{synthesis_dir} holds a model that writes freely, not a "
                                  f"synthesis model: {how}")
    return Models(free, synthesis)


class DataStyles:
    """Random IAM-OnDB lines with their texts, as styles (or lines to carry on from):
    loaded in the background, served only to this machine (the data set's terms forbid
    passing its lines on). alphabet: keep only the lines whose text it holds."""

    def __init__(self, data_dir, alphabet, max_points, max_text):
        self.lines, self.status = [], "loading"
        self.args = data_dir, alphabet, max_points, max_text
        threading.Thread(target=self._load, name="data", daemon=True).start()

    def _load(self):
        data_dir, alphabet, max_points, max_text = self.args
        try:
            loader = DataLoader(data_dir, texts=True, progress=False)
        except (OSError, ValueError) as err:
            self.status = f"not available: {err}"
            return
        self.lines = [(line_id, strokes, text) for line_id, strokes, text
                      in zip(loader.line_ids, loader.raw_data, loader.texts)
                      if text and len(text) <= max_text and 2 <= len(strokes) <= max_points
                      and (alphabet is None or set(text) <= set(alphabet))]
        self.status = "ready" if self.lines else "not available: no line fits the model"

    def pick(self):
        return random.choice(self.lines)


def is_local(request):
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host in ("localhost", "testclient")


# ---------------------------------------------------------------- the app


class BodyLimit:
    """ASGI middleware: a request body larger than max_bytes gets a 413 before any of
    it is parsed (whether it says its length or not)."""

    def __init__(self, app, max_bytes):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            return await self._refuse(scope, receive, send)
        body, more = b"", True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_bytes:
                return await self._refuse(scope, receive, send)
        sent = False

        async def replay():
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(self, scope, receive, send):
        response = JSONResponse({"detail": f"the request body is larger than "
                                           f"{self.max_bytes} bytes"}, status_code=413)
        await response(scope, receive, send)


def validation_message(errors):
    """Pydantic's errors as one line, without echoing the input back."""
    parts = []
    for error in errors[:5]:
        if error.get("type") == "json_invalid":
            reason = (error.get("ctx") or {}).get("error", "")
            parts.append(f"the body is not valid JSON ({reason})" if reason
                         else "the body is not valid JSON")
            continue
        loc = [str(p) for p in error.get("loc", ()) if p != "body"]
        where = ".".join(loc).replace(".[", "[")
        parts.append(f"{where}: {error.get('msg')}" if where else str(error.get("msg")))
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return "; ".join(parts) + more


def create_app(model_dir="save", synthesis_dir="save/synthesis", data_dir=None, limits=None,
               warmup=False):
    """The app, its models loaded. limits: a Limits. warmup: compile the default
    requests of the page in the background, so that the first Write is quick."""
    from model import MAX_TEXT_LENGTH

    limits = limits or Limits()
    if limits.line_length > MAX_TEXT_LENGTH:
        raise ValueError(f"line_length must be at most {MAX_TEXT_LENGTH}, the longest line the "
                         f"model writes, not {limits.line_length}")
    models = load_models(model_dir, synthesis_dir)
    batcher = Batcher(limits.max_batch, limits.batch_wait_ms, limits.max_queue)
    data = None
    if data_dir:
        alphabet = models.synthesis.alphabet if models.synthesis is not None else None
        data = DataStyles(data_dir, alphabet, limits.max_style_points, limits.max_style_text)
    app = FastAPIOffline(
        title="write-rnn", version="1.0",
        description="Handwriting generation (Graves 2013): write a text in a hand, or write "
                    "freely. Strokes are [[dx, dy, eos], ...] rows in tablet units, as "
                    "IAM-OnDB records them: the step from the previous point, and eos = 1 "
                    "on the last point of each stroke.")
    app.state.models, app.state.batcher, app.state.limits = models, batcher, limits
    app.router.add_event_handler("shutdown", batcher.close)
    app.add_middleware(BodyLimit, max_bytes=limits.max_body_bytes)

    @app.exception_handler(RequestValidationError)
    async def invalid(request, err):
        return JSONResponse({"detail": validation_message(err.errors())}, status_code=422)

    @app.exception_handler(BadInput)
    async def bad_input(request, err):
        return JSONResponse({"detail": str(err)}, status_code=422)

    @app.exception_handler(Busy)
    async def busy(request, err):
        return JSONResponse({"detail": "the model is busy: try again in a moment"},
                            status_code=503, headers={"Retry-After": "1"})

    @app.exception_handler(Exception)
    async def failed(request, err):
        log.exception("%s %s failed", request.method, request.url.path)
        return JSONResponse({"detail": "the server failed on this request; the error is in "
                                       "its log"}, status_code=500)

    async def model_call(key, rows, run):
        try:
            return await batcher.submit(key, rows, run)
        except ValueError as err:  # what the model refuses to write
            raise BadInput(str(err)) from None

    def write_rows(bias, style):
        def run(rows):
            texts, seeds = zip(*rows)
            strokes, infos = models.synthesis.write(list(texts), bias=bias, seed=list(seeds),
                                                    style=style)
            return list(zip(strokes, infos))
        return run

    async def write_lines(lines, bias, seed, style):
        """model.write_page's page, its rows batched with other requests': each line
        with seed + its index; without a style, the first line is written first and the
        others in its hand, so that the page keeps one hand."""
        rows = list(zip(lines, line_seeds(seed, len(lines))))
        if style is not None or len(rows) == 1:
            return await model_call(("write", bias, style_key(*style) if style else None),
                                    rows, write_rows(bias, style))
        first = await model_call(("write", bias, None), rows[:1], write_rows(bias, None))
        hand = (first[0][0], lines[0])
        return first + await model_call(("write", bias, style_key(*hand)), rows[1:],
                                        write_rows(bias, hand))

    @app.post("/api/write", response_model=WriteAnswer, tags=["api"],
              summary="Write a text in handwriting",
              responses={422: {"description": "bad input: the message says what"},
                         413: {"description": "body too large"},
                         503: {"description": "no synthesis model, or busy"}})
    async def write(request: WriteRequest):
        """Write a text in handwriting, in the model's own hand or in the style given."""
        if models.synthesis is None:
            raise HTTPException(503, f"writing a text needs the synthesis model: "
                                     f"{models.why_not}")
        alphabet = models.synthesis.alphabet
        lines = lines_of(request, limits, alphabet)
        style = style_of(request.style, limits, alphabet)
        seed = fresh_seed() if request.seed is None else request.seed
        written = await write_lines(lines, request.bias, seed, style)
        page = join_lines([strokes for strokes, _ in written])
        return {"strokes": rounded(page), "svg": svg_of(page), "seed": seed,
                "stop": "end" if all(i["stop"] == "end" for _, i in written) else "budget",
                "lines": [{"text": text, "strokes": rounded(strokes), "seed": info["seed"],
                           "stop": info["stop"]}
                          for text, (strokes, info) in zip(lines, written)]}

    @app.post("/api/sample", response_model=SampleAnswer, tags=["api"],
              summary="Write freely",
              responses={422: {"description": "bad input: the message says what"},
                         413: {"description": "body too large"}})
    async def sample(request: SampleRequest):
        """Free writing: the unconditional model writes num_points points, from scratch
        or carrying on from the prime, in its hand."""
        if request.num_points > limits.max_points:
            raise BadInput(f"num_points is {request.num_points}; at most {limits.max_points}")
        prime = None
        if request.prime is not None:
            prime = check_steps(request.prime, "prime", limits.max_style_points)
        seed = fresh_seed() if request.seed is None else request.seed
        num_points, bias = request.num_points, request.bias

        def run(seeds):
            strokes, _ = models.free.sample(num_points, num_samples=len(seeds), seed=seeds,
                                            bias=bias, prime=prime)
            return list(strokes)

        (strokes,) = await model_call(("sample", bias, num_points, style_key(prime, "")),
                                      [seed], run)
        return {"strokes": rounded(strokes), "svg": svg_of(strokes), "seed": seed}

    @app.get("/api/health", tags=["api"], summary="Models, alphabet, limits, queue")
    async def health():
        """Which models are loaded, what they write, the limits, and the queue."""
        synthesis = models.synthesis
        return {"status": "ok", "free_writing": True, "writing": synthesis is not None,
                "why_not_writing": models.why_not or None,
                "alphabet": synthesis.alphabet if synthesis is not None else None,
                "limits": dataclasses.asdict(limits),
                "bias_max": MAX_BIAS, "seed_range": SEED_RANGE,
                "styles_from_data": data.status if data else "not asked for (--data_dir)",
                "queue": batcher.queue.qsize(), "model_calls": batcher.calls,
                "rows_written": batcher.rows,
                "busy_s": (None if batcher.busy_since is None
                           else round(time.monotonic() - batcher.busy_since, 3))}

    @app.get("/api/style", tags=["api"], summary="A random IAM-OnDB line as a style",
             responses={404: {"description": "no data set given, or still loading"},
                        403: {"description": "asked from another machine"}})
    async def data_style(request: Request):
        """A random IAM-OnDB line and its text, as a style (--data_dir): for this
        machine only, since the data set's terms forbid passing its lines on."""
        if data is None or not data.lines:
            raise HTTPException(404, "no IAM-OnDB lines: start the app with --data_dir "
                                     + (f"({data.status})" if data else ""))
        if not is_local(request):
            raise HTTPException(403, "IAM-OnDB lines are shown only on this machine")
        line_id, strokes, text = data.pick()
        return {"strokes": rounded(strokes), "text": text, "line": line_id}

    @app.get("/", include_in_schema=False)
    async def page():
        return FileResponse(STATIC_DIR / "index.html")

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    if warmup:
        warm_up(batcher, models, limits.line_length)
    return app


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
            [sys.executable, str(Path(__file__).resolve()), "--port", str(port),
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


def warm_up(batcher, models, line_length):
    """Queue what the page asks for first on the model's thread, so that it is compiled
    before anyone asks (each shape compiles once); the answers are dropped."""
    jobs = [Job(("warm-up", "sample"), [0], lambda seeds: list(
        models.free.sample(700, num_samples=len(seeds), seed=seeds)[0]))]
    if models.synthesis is not None:
        alphabet = models.synthesis.alphabet
        words = [w for w in PAGE_TEXT.split() if set(w) <= set(alphabet)] or [alphabet[-1]]
        # the page's own text first, then a line of each width a line can pad to
        # (model.write compiles once per padded width: 16 characters, 32, ...)
        for n in [len(PAGE_TEXT)] + list(range(17, line_length + 1, 16)):
            text = " ".join(words * n)[:n]
            jobs.append(Job(("warm-up", "write", n), [text], lambda texts: (
                models.synthesis.write(texts, seed=[0] * len(texts))[0])))
    for job in jobs:  # only a head start: a failure is logged, and requests say the rest
        job.future.add_done_callback(
            lambda f: f.exception() and log.error("warm-up failed: %s", f.exception()))
        batcher.queue.put(job)


# ---------------------------------------------------------------- command line


def build_parser():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--host", default="127.0.0.1",
                   help="address to serve on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument("--model_dir", default="save", help="the free-writing model (default save)")
    p.add_argument("--synthesis_dir", default="save/synthesis",
                   help="the model that writes a text (default save/synthesis); without it "
                        "the page writes freely only")
    p.add_argument("--data_dir", help="IAM-OnDB (with its ascii texts), to offer a random line "
                                      "as a style on this machine")
    p.add_argument("--no_warmup", action="store_true",
                   help="do not compile the page's first requests at start")
    add_flags(p.add_argument_group("limits"), Limits)
    add_verbose_flag(p)
    return p


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        limits = Limits(**given(args, Limits))
    except ValueError as err:
        parser.error(str(err))
    if not 0 < args.port < 65536:
        parser.error(f"--port must be between 1 and 65535, not {args.port}")
    if not (Path(args.model_dir) / "config.json").is_file():
        parser.error(f"--model_dir {args.model_dir} holds no model (config.json): run from the "
                     f"project folder, whose save/ holds the shipped one")
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")
    quiet_tensorflow(args.verbose)
    import uvicorn

    try:
        app = create_app(args.model_dir, args.synthesis_dir, args.data_dir, limits,
                         warmup=not args.no_warmup)
    except (OSError, ValueError) as err:
        parser.error(f"cannot load the models: {err}")
    models = app.state.models
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"write-rnn: free writing with {args.model_dir}; "
          + ("writing text with " + args.synthesis_dir if models.synthesis is not None
             else models.why_not), flush=True)
    print(f"open http://{host}:{args.port} (API docs at /docs)", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
