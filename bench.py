"""Speed and memory figures, measured on this machine (not asserted by the tests).

    IAM_ONDB=path/to/lineStrokes-all.tar.gz python bench.py --json

Sections: data (parse, cached load, next_batch, memory), train (ours against a
plain Keras baseline of the same network and loss), sample (compiled sampler
against a per-point loop), eval (evaluate.py's throughput), synthesis (training the
network that writes text), recognizer (training the reader, and reading), tries (a
three-line page written once and as the best of DEFAULT_TRIES, the recogniser picking),
paper (a 400-word letter on A4, and its share spent re-flowing lines), app (app.py
under 16 concurrent clients, batched and one request at a time), browser (the page as a
static build writing a three-line page in headless Chromium, against Python). Pick some with
--only data,train,... The data and eval sections need IAM-OnDB: --data_dir, or the IAM_ONDB
environment variable (as the notebook and the tests read it), else data/.
"""

import os
import platform
import resource
import string
import tempfile
import time
from pathlib import Path

import numpy as np

from config import (
    DEFAULT_TRIES,
    FREE_MODEL_DIR,
    PAGE_BIAS,
    RECOGNIZER_DIR,
    SYNTHESIS_DIR,
    holds_model,
)
from evaluate import report
from flags import ArgumentParser
from quiet import add_verbose_flag, quiet_tensorflow
from utils import LineBatch, WindowBatch

SECTIONS = ("data", "train", "sample", "eval", "synthesis", "recognizer", "tries", "paper",
            "app", "precision", "browser")
# a page of three lines of 42-44 characters (the first three of docs/page.txt)
TRIES_PAGE = ("Rain fell on the old harbour town all night,",
              "and by morning the boats lay still and grey.",
              "Nobody spoke of the storm at breakfast; we")


def timed(fn, repeat=1):
    """Best of `repeat` wall-clock runs, in seconds, and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def bench_data(data_dir):
    from utils import DataLoader

    with tempfile.TemporaryDirectory() as cache:
        parse_s, loader = timed(lambda: DataLoader(data_dir, cache_dir=cache, progress=False))
        cache_load_s, loader = timed(lambda: DataLoader(data_dir, cache_dir=cache), repeat=3)
    batch_s, _ = timed(lambda: [loader.next_batch() for _ in range(100)], repeat=3)
    arrays = {id(a.base if a.base is not None else a): a for a in
              [loader._flat, *loader.valid_data, *loader.raw_data]}
    held = sum((a.base if a.base is not None else a).nbytes for a in arrays.values())
    return {"parse_s": parse_s, "cache_load_s": cache_load_s,
            "next_batch_ms": batch_s * 10, "dataset_mb": held / 2**20,
            "lines": len(loader.raw_data)}


def plain_keras_baseline(config):
    """Two keras.layers.LSTM and a Dense head, trained the plain Keras way on the loss of
    HandwritingModel.nll (eq. 26 of the mixture its outputs give)."""
    import keras

    from mixture import mixture_from_outputs, point_nll

    inputs = keras.Input((config.seq_length, 3))
    h = inputs
    for _ in range(config.num_layers):
        h = keras.layers.LSTM(config.rnn_size, return_sequences=True)(h)
        h = keras.layers.Dropout(1 - config.keep_prob)(h)
    baseline = keras.Model(inputs, keras.layers.Dense(config.output_size)(h))
    baseline.compile(optimizer=keras.optimizers.Adam(config.learning_rate,
                                                     global_clipnorm=config.grad_clip),
                     loss=lambda y, z: point_nll(mixture_from_outputs(z), y))
    return lambda x, y: baseline.train_on_batch(x, y)


def bench_train(steps):
    import tensorflow as tf

    import train
    from config import Config

    config = Config()
    rng = np.random.default_rng(0)
    x = rng.normal(0, 1, (config.batch_size, config.seq_length + 1, 3)).astype(np.float32)
    x[..., 2] = rng.random(x.shape[:2]) < 0.05
    x, y = x[:, :-1], x[:, 1:]

    class Batches:  # the trainer only needs the batch RNG's state for checkpoints
        def get_state(self):
            return {}

    def trainer(model_dir, config):
        return train.Trainer(config, Batches(), model_dir, tf.distribute.get_strategy(), 0)

    with tempfile.TemporaryDirectory() as ours, tempfile.TemporaryDirectory() as peephole:
        ours, peephole = trainer(ours, config), trainer(peephole, Config(peephole=True))
        baseline_step = plain_keras_baseline(config)
        candidates = {"train": lambda: ours.train_step(WindowBatch(x, y)),
                      "baseline_train": lambda: baseline_step(x, y),
                      "peephole_train": lambda: peephole.train_step(WindowBatch(x, y))}
        result = {}
        for name, step in candidates.items():
            step(), step()  # tracing and compilation
            seconds, _ = timed(lambda step=step: [step() for _ in range(steps)])
            result[f"{name}_points_per_s"] = steps * x.shape[0] * x.shape[1] / seconds
    result["speedup_vs_baseline"] = (result["train_points_per_s"]
                                     / result["baseline_train_points_per_s"])
    result["train_peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def bench_synthesis(steps, lines=32, points=640, chars=29):
    """Training points/s of synthesis networks on whole-line batches as the loader
    makes them (32 lines of IAM-OnDB's median length and text), the shipped recipe and
    smaller candidates; and the time model.write takes for one 40-character line."""
    import dataclasses

    import tensorflow as tf

    import train
    from config import Config
    from kinds import SYNTHESIS_RECIPE
    from writer import Writer

    rng = np.random.default_rng(0)
    x = rng.normal(0, 1, (lines, points + 1, 3)).astype(np.float32)
    x[..., 2] = rng.random(x.shape[:2]) < 0.05
    batch = LineBatch(x[:, :-1], x[:, 1:], np.ones((lines, points), np.float32),
                      np.pad(rng.integers(1, 80, (lines, chars)).astype(np.int32),
                             [(0, 0), (0, 64 - chars)], constant_values=-1))

    class Loader:  # what the trainer asks of a loader
        chars_per_point = chars / points

        def get_state(self):
            return {}

    # the 79 characters of the IAM-OnDB training texts (docs/synthesis.md, "The alphabet")
    alphabet = " !\"#'()+,-./0123456789:;?" + string.ascii_uppercase + "[]" + string.ascii_lowercase
    recipe = Config(**SYNTHESIS_RECIPE, synthesis=True, alphabet=alphabet)
    candidates = {"synthesis_train": recipe,
                  "synthesis_3x256": dataclasses.replace(recipe, rnn_size=256),
                  "synthesis_2x256": dataclasses.replace(recipe, rnn_size=256, num_layers=2)}
    result = {}
    for name, config in candidates.items():
        with tempfile.TemporaryDirectory() as model_dir:
            trainer = train.Trainer(config, Loader(), model_dir, tf.distribute.get_strategy(), 0)
            trainer.train_step(batch), trainer.train_step(batch)  # tracing and compilation
            seconds, _ = timed(lambda t=trainer: [t.train_step(batch) for _ in range(steps)])
            result[f"{name}_points_per_s"] = steps * lines * points / seconds
        if name == "synthesis_train":
            text = "The quick brown fox jumps over the lazy dog"[:40]
            writer = Writer(trainer.model)
            writer.write(text, bias=0.5, seed=0)
            result["synthesis_write_40_chars_ms"] = 1000 * timed(
                lambda w=writer, t=text: w.write(t, bias=0.5, seed=1), repeat=3)[0]
    return result


def bench_recognizer(steps, recognizer_dir, data_dir=None, lines=64):
    """The recogniser: training points/s on batches of 32 whole lines, and lines read
    per second (read_lines_per_s) in one call of 64 lines, with save/recognizer (an
    untrained one of the recipe's size where none is shipped). Real validation lines
    where IAM-OnDB is at hand, else random lines of IAM-OnDB's median length (622)."""
    import tensorflow as tf

    import recognizer
    import train
    from config import Config
    from kinds import RECOGNIZER_RECIPE
    from model import load_model

    rng = np.random.default_rng(0)
    if data_dir:
        from utils import DataLoader

        loader = DataLoader(data_dir, texts=True, progress=False)
        real = loader.valid_in_tablet_units()
        texts = loader.valid_texts
    else:
        real = [np.column_stack([rng.normal(8, 20, (622, 2)), rng.random(622) < 0.05])
                for _ in range(lines)]
        texts = ["a line of twenty-nine letters"] * lines
    alphabet = " !\"#'()+,-./0123456789:;?" + string.ascii_uppercase + "[]" + string.ascii_lowercase
    config = Config(**RECOGNIZER_RECIPE, recognizer=True, alphabet=alphabet)
    batch = real[:config.batch_size]
    x, lengths = recognizer.pad_features([recognizer.line_features(line) for line in batch])
    labels, _ = recognizer.encode_labels(texts[:config.batch_size], alphabet)

    class Loader:  # what the trainer asks of a loader
        def get_state(self):
            return {}

    with tempfile.TemporaryDirectory() as model_dir:
        trainer = train.Trainer(config, Loader(), model_dir, tf.distribute.get_strategy(), 0)
        batch = recognizer.ReadingBatch(x, lengths, labels)
        trainer.train_step(batch), trainer.train_step(batch)
        seconds, _ = timed(lambda: [trainer.train_step(batch) for _ in range(steps)])
    try:
        reader = load_model(recognizer_dir)
    except FileNotFoundError:
        reader = trainer.model
    chosen = real[:lines]
    reader.read(chosen)  # compilation
    read_s, _ = timed(lambda: reader.read(chosen), repeat=3)
    return {"recognizer_train_points_per_s": steps * int(lengths.sum()) / seconds,
            "read_lines_per_s": len(chosen) / read_s,
            "read_points_per_s": sum(map(len, chosen)) / read_s}


def bench_sample(model_dir):
    import tensorflow as tf

    from config import Config
    from mixture import draw_point, mixture_from_outputs
    from model import build_model, load_network
    from utils import START
    from writer import FreeWriter

    try:
        model = load_network(model_dir)
    except FileNotFoundError:
        model = build_model(Config())  # timing does not depend on the weights
    writer = FreeWriter(model)
    first_s, _ = timed(lambda: writer.sample(800, seed=0))
    single_s, _ = timed(lambda: writer.sample(800, seed=1), repeat=5)
    writer.sample(800, num_samples=32, seed=0)
    batch_s, _ = timed(lambda: writer.sample(800, num_samples=32, seed=1), repeat=3)

    @tf.function
    def one_point(x, state, noise):
        # the original's design: one call into the graph per point
        z, state = model.step(x, state)
        return draw_point(mixture_from_outputs(z), *noise), state

    def per_point_loop(n=800):
        rng = np.random.default_rng(0)
        x, state = tf.constant([START], tf.float32), model.zero_state(1)
        for _ in range(n):
            noise = (tf.constant(rng.random((1,)), tf.float32),
                     tf.constant(rng.gumbel(size=(1, model.config.num_mixture)), tf.float32),
                     tf.constant(rng.normal(size=(1, 2)), tf.float32))
            x, state = one_point(x, state, noise)
        return x

    per_point_loop(5)
    loop_s, _ = timed(per_point_loop, repeat=2)
    floor_s = matmul_floor(model, batch=32, steps=800)
    return {"sample_800_ms": single_s * 1e3, "sample_batch32_ms": batch_s * 1e3,
            "sample_first_call_s": first_s, "per_point_loop_800_ms": loop_s * 1e3,
            "batch32_matmuls_only_ms": floor_s * 1e3}


def bench_tries(synthesis_dir, recognizer_dir):
    """What the best of DEFAULT_TRIES costs against one try, for a page as the web page
    writes it (write_page, bias 0.75, the first named hand): best of five runs each."""
    from model import load_model

    writer = load_model(synthesis_dir)
    writer.reader = load_model(recognizer_dir)
    style = writer.first_hand
    seconds = {}
    for tries in (1, DEFAULT_TRIES):
        def page(tries=tries):
            return writer.write_page(list(TRIES_PAGE), bias=0.75, seed=0, style=style,
                                     tries=tries)
        page()  # the first call compiles
        seconds[tries], _ = timed(page, repeat=5)
    return {"page3_tries1_s": seconds[1], f"page3_tries{DEFAULT_TRIES}_s": seconds[DEFAULT_TRIES],
            "page3_tries_cost": seconds[DEFAULT_TRIES] / seconds[1]}


def bench_paper(synthesis_dir, recognizer_dir):
    """docs/letter.txt (about 400 words) on A4 as sample.py --paper a4 writes it (the first
    named hand, bias PAGE_BIAS, best of DEFAULT_TRIES): best of two runs after one that
    compiles, and the share of it spent writing lines again to fit (paper.fill_lines)."""
    from model import load_model
    from paper import Paper

    writer = load_model(synthesis_dir)
    writer.reader = load_model(recognizer_dir)
    text = (Path(__file__).parent / "docs" / "letter.txt").read_text()

    def letter():
        return writer.on_paper(text, Paper.of("a4"), bias=PAGE_BIAS, seed=0,
                               style=writer.first_hand, tries=DEFAULT_TRIES)

    letter()
    seconds, doc = timed(letter, repeat=2)
    stats = doc.stats
    return {"letter_words": len(text.split()), "letter_pages": len(doc.pages),
            "letter_lines": stats["lines"], "letter_lines_rewritten": stats["rewritten"],
            "letter_a4_s": seconds,
            "letter_reflow_share": stats["reflow_s"] / (stats["write_s"] + stats["reflow_s"])}


def bench_browser(synthesis_dir, recognizer_dir):
    """The page as a static build (export.py --web) in headless Chromium, writing
    TRIES_PAGE at the page's default (the first named hand, bias 0.75, best of
    DEFAULT_TRIES, the default drawing pace): when the pen starts, when every line is
    written, and how long the pen stood waiting for the writer; then Writer.write_page
    of the same page in Python in the same run (best of three, warm) for the ratio."""
    import sys

    from model import load_model
    from webexport import build_web

    sys.path.insert(0, str(Path(__file__).resolve().parent / "tests"))
    import browser  # tests/browser.py: Debian's Chromium through selenium

    if browser.missing():
        return {"browser_skipped": browser.missing()}
    with tempfile.TemporaryDirectory() as folder:
        sizes = build_web(Path(folder) / "site", synthesis_dir, recognizer_dir)
        with browser.serving(Path(folder) / "site") as (url, _):
            driver = browser.chrome()
            driver.set_script_timeout(600)
            try:
                driver.get(url)
                browser.wait_for(driver, "return document.body.dataset.ready === 'true'")
                times = driver.execute_async_script(PAGE_TIMES, "\n".join(TRIES_PAGE))
            finally:
                driver.quit()
    writer = load_model(synthesis_dir)
    writer.reader = load_model(recognizer_dir)
    page = lambda: writer.write_page(list(TRIES_PAGE), bias=0.75, seed=0,  # noqa: E731
                                     style=writer.first_hand, tries=DEFAULT_TRIES)
    page()  # the first call compiles
    python_s, _ = timed(page, repeat=3)
    return {"browser_models_mb": sum(sizes.values()) / 1e6, **times,
            "browser_page3_python_s": python_s,
            "browser_page3_ratio": times["browser_page3_written_s"] / python_s}


# Write on the page and time it: Write clicked, the pen's first point drawn, every line
# written (the status says so), the pen done; and the ms it stood waiting for lines
PAGE_TIMES = """
const [text, done] = arguments;
const $ = (id) => document.getElementById(id);
const [t0, times] = [performance.now(), {}];
const mark = (name) => { times[name] = times[name] || (performance.now() - t0) / 1000; };
const watch = () => {
  if (Number($("paper").dataset.drawn) > 0) mark("browser_page3_first_stroke_s");
  if ($("status").textContent.startsWith("Written")) mark("browser_page3_written_s");
  if ($("paper").dataset.state !== "done") return requestAnimationFrame(watch);
  mark("browser_page3_drawn_s");
  done({...times, browser_pen_waited_s: Number($("paper").dataset.waited) / 1000});
};
$("text").value = text;
$("write").click();
requestAnimationFrame(watch);
"""


def matmul_floor(model, batch, steps):
    """Seconds for just the matrix products of `steps` sampling steps, in one XLA
    loop: what no sampler on this machine can beat."""
    import tensorflow as tf

    weights = [tf.concat([layer.kernel, layer.recurrent_kernel], 0) for layer in model.rnn_layers]
    head = tf.convert_to_tensor(model.head.kernel)

    @tf.function(jit_compile=True)
    def products(x):
        h = [tf.zeros([batch, model.config.rnn_size])] * len(weights)
        for _ in tf.range(steps):
            layer_in = x
            for i, w in enumerate(weights):
                h[i] = tf.matmul(tf.concat([layer_in, h[i]], -1), w)[:, : model.config.rnn_size]
                layer_in = h[i]
            x = tf.matmul(layer_in, head)[:, :3]
        return x

    x = tf.zeros([batch, 3])
    products(x)
    return timed(lambda: products(x).numpy(), repeat=3)[0]


def bench_precision(units=400, steps=50):
    """How much faster bfloat16 operands make a chain of the synthesis network's
    recurrent products ([B x units] x [units x 4 units], tanh between them) than float32,
    in a TensorFlow graph and in one XLA function as lstm.py runs its loops: ratios of
    float32 time to bfloat16 time, at batches 32 and 64."""
    import tensorflow as tf

    def seconds(dtype, batch, jit):
        w = tf.cast(tf.random.stateless_normal([units, 4 * units], [0, 1]) * 0.02, dtype)
        h = tf.cast(tf.random.stateless_normal([batch, units], [0, 2]), dtype)

        @tf.function(jit_compile=jit)
        def chain(h):
            for _ in range(steps):
                h = tf.tanh(tf.matmul(h, w))[:, :units]
            return h

        chain(h)
        return timed(lambda: chain(h).numpy(), repeat=20)[0]

    return {f"bf16_speedup_{'xla' if jit else 'graph'}_b{batch}":
            seconds(tf.float32, batch, jit) / seconds(tf.bfloat16, batch, jit)
            for jit in (False, True) for batch in (32, 64)}


def bench_eval(data_dir, model_dir, lines):
    from config import Config
    from evaluate import score_lines
    from model import build_model, load_network
    from utils import DataLoader

    try:
        model = load_network(model_dir)
    except FileNotFoundError:
        model = build_model(Config())
    loader = DataLoader(data_dir, progress=False)
    subset = loader.valid_data[:lines]
    first_s, _ = timed(lambda: score_lines(model, subset))
    seconds, result = timed(lambda: score_lines(model, subset))
    # steady state, and the first pass, which compiles one graph per length bucket
    return {"eval_points_per_s": result["points"] / seconds,
            "eval_first_pass_points_per_s": result["points"] / first_s, "eval_lines": len(subset)}


def bench_app(model_dir, synthesis_dir, clients=16, requests=64, max_seconds=60):
    """app.py in a subprocess on 127.0.0.1 under `clients` concurrent clients, which send
    `requests` requests in all (fewer if max_seconds runs out): batched as it serves by
    default, and one request at a time (--max_batch 1); meanwhile one more client asks
    /api/health every 0.1 s. A line of text if there is a synthesis model, else 400
    points of free writing, each request with its own seed."""
    import json

    from webapp.harness import running

    if holds_model(synthesis_dir):
        path, body = "/api/write", {"text": "A line of handwriting", "bias": 0.75}
    else:
        path, body = "/api/sample", {"num_points": 400, "bias": 0.75}
    figures = {"app_request": f"POST {path} {json.dumps(body)}", "app_clients": clients}
    for name, flags in (("app", []), ("app_single", ["--max_batch", "1"])):
        with running("--model_dir", model_dir, "--synthesis_dir", synthesis_dir,
                     "--no_warmup", *flags) as url:
            for burst in (16, 8, 4, 2, 1, 16):  # compile the shapes of every batch size
                load(url, path, body, burst, burst, max_seconds)
            result = load(url, path, body, clients, requests, max_seconds)
        figures.update({f"{name}_{key}": value for key, value in result.items()})
    return figures


def load(url, path, body, clients, requests, max_seconds):
    """`clients` threads POST body (with seeds 0, 1, ...) to url + path until
    `requests` are sent or max_seconds pass, while another asks /api/health."""
    import http.client
    import itertools
    import json
    import threading
    from urllib.parse import urlsplit

    host, port = urlsplit(url).hostname, urlsplit(url).port
    deadline = time.monotonic() + max_seconds
    numbers, latencies, health, failures = itertools.count(), [], [], []
    done = threading.Event()

    def timed_request(connection, method, target, data=None):
        start = time.perf_counter()
        connection.request(method, target, data, {"Content-Type": "application/json"})
        answer = connection.getresponse()
        answer.read()
        return answer.status, time.perf_counter() - start

    def client():
        connection = http.client.HTTPConnection(host, port, timeout=max_seconds)
        while time.monotonic() < deadline and (i := next(numbers)) < requests:
            status, seconds = timed_request(connection, "POST", path,
                                            json.dumps({**body, "seed": i}))
            (latencies if status == 200 else failures).append(seconds)
        connection.close()

    def prober():
        connection = http.client.HTTPConnection(host, port, timeout=max_seconds)
        while not done.wait(0.1):
            health.append(timed_request(connection, "GET", "/api/health")[1])
        connection.close()

    def model_calls():
        connection = http.client.HTTPConnection(host, port, timeout=10)
        connection.request("GET", "/api/health")
        answer = json.loads(connection.getresponse().read())
        connection.close()
        return np.array([answer["model_calls"], answer["rows_written"]])

    threads = [threading.Thread(target=client) for _ in range(clients)]
    watcher = threading.Thread(target=prober)
    before = model_calls()
    start = time.perf_counter()
    for thread in threads + [watcher]:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    done.set()
    watcher.join()
    calls, rows = model_calls() - before
    ms = np.array(latencies) * 1e3
    return {"requests_per_s": len(latencies) / elapsed, "p50_ms": float(np.percentile(ms, 50)),
            "p95_ms": float(np.percentile(ms, 95)), "requests": len(latencies),
            "failed": len(failures), "rows_per_call": rows / max(1, calls),
            "health_p95_ms": float(np.percentile(np.array(health) * 1e3, 95)) if health
            else None}


def has_data(data_dir):
    from iam_ondb import resolve_source

    try:
        resolve_source(data_dir)
    except FileNotFoundError:
        return False
    return True


def main(argv=None):
    parser = ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data_dir", default=os.environ.get("IAM_ONDB", "data"),
                        help="IAM-OnDB: lineStrokes-all.tar.gz or the folder holding it "
                             "(default: $IAM_ONDB, else data)")
    parser.add_argument("--model_dir", default=FREE_MODEL_DIR,
                        help="model for the sample and eval figures")
    parser.add_argument("--only", default=",".join(SECTIONS), help="sections to run")
    parser.add_argument("--train_steps", type=int, default=5)
    parser.add_argument("--eval_lines", type=int, default=200)
    parser.add_argument("--synthesis_dir", default=SYNTHESIS_DIR,
                        help="synthesis model for the app figures (if absent, free writing)")
    parser.add_argument("--recognizer_dir", default=RECOGNIZER_DIR,
                        help="recogniser for read_lines_per_s (if absent, an untrained one)")
    parser.add_argument("--app_requests", type=int, default=64,
                        help="requests of the app figures, in each mode")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    add_verbose_flag(parser)
    args = parser.parse_args(argv)
    only = set(args.only.split(","))
    if only - set(SECTIONS):
        parser.error(f"--only: unknown sections {sorted(only - set(SECTIONS))}")
    quiet_tensorflow(args.verbose)
    have_data = has_data(args.data_dir)
    figures = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                          f"Python {platform.python_version()}"}
    if "data" in only and have_data:
        figures.update(bench_data(args.data_dir))
    if "train" in only:
        figures.update(bench_train(args.train_steps))
    if "sample" in only:
        figures.update(bench_sample(args.model_dir))
    if "eval" in only and have_data:
        figures.update(bench_eval(args.data_dir, args.model_dir, args.eval_lines))
    if "synthesis" in only:
        figures.update(bench_synthesis(args.train_steps))
    if "recognizer" in only:
        figures.update(bench_recognizer(args.train_steps, args.recognizer_dir,
                                        args.data_dir if have_data else None))
    if "tries" in only:
        if holds_model(args.synthesis_dir) and holds_model(args.recognizer_dir):
            figures.update(bench_tries(args.synthesis_dir, args.recognizer_dir))
    if "paper" in only:
        if holds_model(args.synthesis_dir) and holds_model(args.recognizer_dir):
            figures.update(bench_paper(args.synthesis_dir, args.recognizer_dir))
    if "app" in only:
        figures.update(bench_app(args.model_dir, args.synthesis_dir,
                                 requests=args.app_requests))
    if "precision" in only:
        figures.update(bench_precision())
    if "browser" in only:
        if holds_model(args.synthesis_dir) and holds_model(args.recognizer_dir):
            figures.update(bench_browser(args.synthesis_dir, args.recognizer_dir))
    report(figures, args.json)
    return figures


if __name__ == "__main__":
    main()
