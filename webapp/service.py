"""The app itself: the models it writes with, the routes of the API and of the page,
and create_app, which puts them together.

    POST /api/write   a text in handwriting: Writer.write_page's page, its lines' rows
                      batched with other requests' (webapp.batcher)
    POST /api/paper   a text on pages in mm (paper.py), progress streamed, SVGs and PDF
    POST /api/sample  free writing
    POST /api/read    the text of a line of strokes, by the recogniser
    GET  /api/health  the models, the alphabet, the limits, the queue
    GET  /api/style   a random IAM-OnDB line as a style (--data_dir; this machine only)
    GET  /            the page (static/), and /docs, the API's docs, offline too
"""

import asyncio
import base64
import concurrent.futures
import dataclasses
import hashlib
import json
import logging
import mimetypes
import random
import threading
import time
from pathlib import Path

import numpy as np
from fastapi import HTTPException, Request
from fastapi.responses import FileResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline

import printout
from config import (
    DEFAULT_TRIES,
    FREE_MODEL_DIR,
    RECOGNIZER_DIR,
    SYNTHESIS_DIR,
)
from drawing import page_as_drawn
from kinds import FREE, READER, SYNTHESIS
from paper import Paper
from text import (
    MAX_TEXT_LENGTH,
    SEED_RANGE,
    TYPOGRAPHY,
    accented_letters,
    folding_note,
    fresh_seed,
)
from utils import DataLoader
from webapp.batcher import Batcher, Job
from webapp.middleware import BodyLimit, answer_errors, is_local
from webapp.schema import (
    MAX_BIAS,
    BadInput,
    Limits,
    PaperRequest,
    ReadAnswer,
    ReadRequest,
    SampleAnswer,
    SampleRequest,
    WriteAnswer,
    WriteRequest,
    check_steps,
    lines_of,
    style_of,
    writable,
)

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"  # the page's own files
PAGE_TEXT = "Type a few words"  # what the page's text box holds at first (static/index.html)

log = logging.getLogger("app")


def rounded(strokes):
    """Strokes as JSON rows, to a tenth of a tablet unit (the data's are whole units)."""
    out = np.round(np.asarray(strokes, np.float64), 1)
    out[:, 2] = out[:, 2] > 0.5
    return out.tolist()


def style_key(strokes, text):
    """Requests share a model call only if they share their style: this names it."""
    if strokes is None:
        return None
    return hashlib.sha256(np.ascontiguousarray(strokes).tobytes() + text.encode()).hexdigest()


def paper_answer(doc, seed):
    """A paper.Document as the API answers it: every page's SVG in mm (as sample.py
    --paper writes it), its lines' texts, and the PDF of every page in base64."""
    return {"seed": seed, "paper": {"width": doc.paper.width, "height": doc.paper.height},
            "pages": [{"svg": printout.page_svg(doc, k + 1).tostring(),
                       "lines": [line.text for line in page]}
                      for k, page in enumerate(doc.pages)],
            "pdf": base64.b64encode(printout.pdf_bytes(doc)).decode(),
            "stats": {k: round(float(v), 4) for k, v in doc.stats.items()}}


# ---------------------------------------------------------------- models and data


@dataclasses.dataclass
class Models:
    free: object  # a writer.FreeWriter, for free writing
    synthesis: object = None  # a writer.Writer, or None ...
    why_not: str = ""  # ... and then why not
    reader: object = None  # a Recognizer, or None ...
    why_not_reading: str = ""  # ... and then why not


def load_reader(recognizer_dir):
    """(the recogniser, "") if recognizer_dir holds one, else (None, why not)."""
    from model import open_model

    try:
        return open_model(recognizer_dir, kind=READER), ""
    except ValueError as err:
        return None, f"reading handwriting needs the recogniser: {err}; until then type " \
                     f"what you wrote"


def load_models(model_dir, synthesis_dir, recognizer_dir=RECOGNIZER_DIR):
    """The free-writing model (which must load), the synthesis model and the recogniser
    if there are."""
    models = load_writers(model_dir, synthesis_dir)
    models.reader, models.why_not_reading = load_reader(recognizer_dir)
    if models.synthesis is not None:  # it picks the best of the writer's tries
        models.synthesis.reader = models.reader
    return models


def load_writers(model_dir, synthesis_dir):
    """The free-writing model (which must load) and the synthesis model if there is one."""
    from model import open_model

    try:
        free = open_model(model_dir, kind=FREE)
    except ValueError as err:
        raise ValueError(f"--model_dir {err}; a synthesis model goes to --synthesis_dir, and "
                         f"an unconditional model (such as {FREE_MODEL_DIR}/) to "
                         f"--model_dir") from None
    try:
        return Models(free, open_model(synthesis_dir, kind=SYNTHESIS))
    except ValueError as err:
        return Models(free, None, f"writing a given text needs the synthesis model: {err}; "
                                  f"until then the page writes freely only")


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


# ---------------------------------------------------------------- what the routes do


class Service:
    """What the routes do, on the models, the batcher and the limits of one app."""

    def __init__(self, models, batcher, limits, data=None):
        self.models, self.batcher, self.limits, self.data = models, batcher, limits, data
        # a request that writes a page waits on a thread of its own for its model calls
        self.threads = concurrent.futures.ThreadPoolExecutor(limits.max_queue, "request")

    async def model_call(self, key, rows, run):
        try:
            return await self.batcher.submit(key, rows, run)
        except ValueError as err:  # what the model refuses to write
            raise BadInput(str(err)) from None

    def write_rows(self, style, tries, max_tries=None):
        """A batcher's run: rows of (text, seed, bias) written in one model.write call."""
        def run(rows):
            texts, seeds, biases = zip(*rows)
            strokes, infos = self.models.synthesis.write(list(texts), bias=list(biases),
                                                         seed=list(seeds), style=style,
                                                         tries=tries, max_tries=max_tries)
            return list(zip(strokes, infos))
        return run

    def batched_rows(self, tries, max_tries=None):
        """Writer.write_page's and on_paper's write_rows through the batcher: each model
        call a Job, batched with other requests' rows of the same hand and tries, waited
        for on the request's thread (in_thread)."""
        def write_rows(texts, seeds, biases, hand):
            key = ("write", tries, max_tries, style_key(*hand) if hand is not None else None)
            rows = self.batcher.call(key, list(zip(texts, seeds, biases)),
                                     self.write_rows(hand, tries, max_tries))
            return [strokes for strokes, _ in rows], [info for _, info in rows]
        return write_rows

    async def in_thread(self, fn):
        """fn() on a thread of the request pool, awaited; what the model refuses to
        write is a BadInput."""
        try:
            return await asyncio.get_running_loop().run_in_executor(self.threads, fn)
        except ValueError as err:
            raise BadInput(str(err)) from None

    async def write(self, request):
        synthesis = self.models.synthesis
        if synthesis is None:
            raise HTTPException(503, f"writing a text needs the synthesis model: "
                                     f"{self.models.why_not}")
        lines = lines_of(request, self.limits, synthesis.alphabet)
        style = style_of(request.style, self.limits, synthesis.alphabet, request.hand,
                         synthesis.styles)
        seed = fresh_seed() if request.seed is None else request.seed
        tries, max_tries = request.tries, request.max_tries
        written = list(zip(*await self.in_thread(lambda: synthesis.write_page(
            lines, request.bias, seed, style, tries, max_tries,
            write_rows=self.batched_rows(tries, max_tries)))))
        page = page_as_drawn([strokes for strokes, _ in written])
        return {"strokes": rounded(page), "seed": seed,
                "stop": "end" if all(i["stop"] == "end" for _, i in written) else "budget",
                "lines": [{"text": text, "strokes": rounded(strokes), "seed": info["seed"],
                           "stop": info["stop"], "reading": info["reading"],
                           "read_right": info["read_right"]}
                          for text, (strokes, info) in zip(lines, written)],
                "note": folding_note(request.text if request.text is not None
                                     else "".join(request.lines))}

    def check_paper(self, request):
        """(text, paper.Paper, style) of a PaperRequest, checked, or BadInput."""
        synthesis, limits = self.models.synthesis, self.limits
        if synthesis is None:
            raise HTTPException(503, f"writing a text needs the synthesis model: "
                                     f"{self.models.why_not}")
        if len(request.text) > limits.max_paper_length:
            raise BadInput(f"the text has {len(request.text)} characters; at most "
                           f"{limits.max_paper_length} on paper")
        if not request.text.strip():
            raise BadInput("nothing to write: the text is empty")
        writable([" ".join(request.text.split())], synthesis.alphabet)
        try:  # the flags' messages, with the API's field names
            sheet = Paper.of(request.paper, request.landscape, request.margins, request.size,
                             request.pitch, align=request.align, lifelike=request.lifelike)
        except ValueError as err:
            raise BadInput(str(err).replace("--", "")) from None
        style = style_of(request.style, self.limits, synthesis.alphabet, request.hand,
                         synthesis.styles)
        return request.text, sheet, style

    def paper(self, request):
        """The document of a PaperRequest as NDJSON: {"progress": {"lines", "of"}} after
        every model call (the lines go through the batcher, max_batch at a time), then
        {"document": ...} (paper_answer), or {"error": ...}."""
        text, sheet, style = self.check_paper(request)
        seed = fresh_seed() if request.seed is None else request.seed
        loop, events = asyncio.get_running_loop(), asyncio.Queue()
        tell = lambda event: loop.call_soon_threadsafe(events.put_nowait, event)  # noqa: E731

        def make():
            try:
                doc = self.models.synthesis.on_paper(
                    text, sheet, request.bias, seed, style, request.tries, request.max_tries,
                    chunk=self.limits.max_batch,
                    write_rows=self.batched_rows(request.tries, request.max_tries),
                    progress=lambda done, of: tell({"progress": {"lines": done, "of": of}}))
                tell({"document": paper_answer(doc, seed)})
            except Exception as err:  # the stream has begun: the error is its last line
                log.exception("paper failed")
                tell({"error": str(err)})

        loop.run_in_executor(self.threads, make)

        async def lines():
            while True:
                event = await events.get()
                yield json.dumps(event) + "\n"
                if "progress" not in event:
                    return
        return StreamingResponse(lines(), media_type="application/x-ndjson")

    async def sample(self, request):
        limits = self.limits
        if request.num_points > limits.max_points:
            raise BadInput(f"num_points is {request.num_points}; at most {limits.max_points}")
        prime = None
        if request.prime is not None:
            prime = check_steps(request.prime, "prime", limits.max_style_points)
        seed = fresh_seed() if request.seed is None else request.seed
        num_points, bias = request.num_points, request.bias

        def run(seeds):
            strokes, _ = self.models.free.sample(num_points, num_samples=len(seeds),
                                                 seed=seeds, bias=bias, prime=prime)
            return list(strokes)

        (strokes,) = await self.model_call(("sample", bias, num_points, style_key(prime, "")),
                                           [seed], run)
        return {"strokes": rounded(strokes), "seed": seed}

    async def read(self, request):
        reader = self.models.reader
        if reader is None:
            raise HTTPException(503, self.models.why_not_reading)
        strokes = check_steps(request.strokes, "strokes", self.limits.max_style_points)
        (text,) = await self.model_call(("read",), [strokes], reader.read)
        return {"text": text}

    def health(self):
        synthesis, batcher, data = self.models.synthesis, self.batcher, self.data
        return {"status": "ok", "free_writing": True, "writing": synthesis is not None,
                "why_not_writing": self.models.why_not or None,
                "reading": self.models.reader is not None,
                "why_not_reading": self.models.why_not_reading or None,
                "alphabet": synthesis.alphabet if synthesis is not None else None,
                "styles": sorted(synthesis.styles) if synthesis is not None else [],
                "limits": dataclasses.asdict(self.limits),
                "bias_max": MAX_BIAS, "seed_range": SEED_RANGE, "typography": TYPOGRAPHY,
                "accented": accented_letters(synthesis.alphabet) if synthesis is not None else {},
                "styles_from_data": data.status if data else "not asked for (--data_dir)",
                "queue": batcher.queue.qsize(), "model_calls": batcher.calls,
                "rows_written": batcher.rows,
                "busy_s": (None if batcher.busy_since is None
                           else round(time.monotonic() - batcher.busy_since, 3))}

    def data_style(self, request):
        data = self.data
        if data is None or not data.lines:
            raise HTTPException(404, "no IAM-OnDB lines: start the app with --data_dir "
                                     + (f"({data.status})" if data else ""))
        if not is_local(request):
            raise HTTPException(403, "IAM-OnDB lines are shown only on this machine")
        line_id, strokes, text = data.pick()
        return {"strokes": rounded(strokes), "text": text, "line": line_id}


# ---------------------------------------------------------------- the app

BAD_INPUT = {422: {"description": "bad input: the message says what"},
             413: {"description": "body too large"}}


def add_routes(app, service):
    """The API's routes and the page's, each handing its work to service."""

    @app.post("/api/write", response_model=WriteAnswer, tags=["api"],
              summary="Write a text in handwriting",
              responses={**BAD_INPUT, 503: {"description": "no synthesis model, or busy"}})
    async def write(request: WriteRequest):
        """Write a text in handwriting, in the model's own hand or in the style given."""
        return await service.write(request)

    @app.post("/api/paper", tags=["api"], summary="Write a text on pages of paper",
              responses={**BAD_INPUT, 503: {"description": "no synthesis model, or busy"},
                         200: {"content": {"application/x-ndjson": {}},
                               "description": "NDJSON: progress lines, then the document"}})
    async def paper(request: PaperRequest):
        """A text on pages in mm, each line filled to its measured width (docs/paper.md),
        streamed as lines of JSON: {"progress": {"lines": written, "of": planned}} as the
        lines are written, then {"document": {"seed", "paper": {"width", "height"} in mm,
        "pages": [{"svg": the page in mm, "lines": [text, ...]}], "pdf": every page, base64,
        "stats"}} (or {"error": "..."})."""
        return service.paper(request)

    @app.post("/api/sample", response_model=SampleAnswer, tags=["api"],
              summary="Write freely", responses=BAD_INPUT)
    async def sample(request: SampleRequest):
        """Free writing: the unconditional model writes num_points points, from scratch
        or carrying on from the prime, in its hand."""
        return await service.sample(request)

    @app.post("/api/read", response_model=ReadAnswer, tags=["api"],
              summary="Read a line of handwriting",
              responses={**BAD_INPUT, 503: {"description": "no recogniser, or busy"}})
    async def read(request: ReadRequest):
        """The text of a line of strokes, as the recogniser reads it: what the page
        puts in the style's text box when you write on its pad."""
        return await service.read(request)

    @app.get("/api/health", tags=["api"], summary="Models, alphabet, limits, queue")
    async def health():
        """Which models are loaded, what they write, the limits, and the queue."""
        return service.health()

    @app.get("/api/style", tags=["api"], summary="A random IAM-OnDB line as a style",
             responses={404: {"description": "no data set given, or still loading"},
                        403: {"description": "asked from another machine"}})
    async def data_style(request: Request):
        """A random IAM-OnDB line and its text, as a style (--data_dir): for this
        machine only, since the data set's terms forbid passing its lines on."""
        return service.data_style(request)

    @app.get("/", include_in_schema=False)
    async def page():
        return FileResponse(STATIC_DIR / "index.html")

    # the page is ES modules, which a browser runs only if they come as JavaScript; some
    # machines' MIME tables (a Windows registry) say text/plain for .js
    mimetypes.add_type("text/javascript", ".js")
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")


def create_app(model_dir=FREE_MODEL_DIR, synthesis_dir=SYNTHESIS_DIR,
               recognizer_dir=RECOGNIZER_DIR, data_dir=None, limits=None, warmup=False):
    """The app, its models loaded. limits: a Limits. warmup: compile the default
    requests of the page in the background, so that the first Write is quick."""
    limits = limits or Limits()
    if limits.line_length > MAX_TEXT_LENGTH:
        raise ValueError(f"line_length must be at most {MAX_TEXT_LENGTH}, the longest line the "
                         f"model writes, not {limits.line_length}")
    models = load_models(model_dir, synthesis_dir, recognizer_dir)
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
    answer_errors(app)
    service = Service(models, batcher, limits, data)
    app.router.add_event_handler("shutdown", lambda: service.threads.shutdown(wait=False))
    add_routes(app, service)
    if warmup:
        warm_up(batcher, models, limits.line_length)
    return app


def warm_up(batcher, models, line_length):
    """Queue what the page asks for first on the model's thread, so that it is compiled
    before anyone asks (each shape compiles once); the answers are dropped."""
    jobs = [Job(("warm-up", "sample"), [0], lambda seeds: list(
        models.free.sample(700, num_samples=len(seeds), seed=seeds)[0]))]
    if models.synthesis is not None:
        alphabet = models.synthesis.alphabet
        words = [w for w in PAGE_TEXT.split() if set(w) <= set(alphabet)] or [alphabet[-1]]
        # the page's own text first, then a line of each width a line can pad to
        # (model.write compiles once per padded width, 16 characters, 32, ..., of the
        # text and the end mark a last letter has: text.end_mark)
        for n in [len(PAGE_TEXT)] + list(range(15, line_length + 16, 16)):
            text = " ".join(words * n)[:n - 1] + words[0][0]  # n characters, a last letter
            jobs.append(Job(("warm-up", "write", n), [text], lambda texts: (
                models.synthesis.write(texts, seed=[0] * len(texts), tries=DEFAULT_TRIES)[0])))
    for job in jobs:  # only a head start: a failure is logged, and requests say the rest
        job.future.add_done_callback(
            lambda f: f.exception() and log.error("warm-up failed: %s", f.exception()))
        batcher.queue.put(job)
