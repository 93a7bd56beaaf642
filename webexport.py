"""The web page as a static site that writes and reads in the browser alone
(docs/browser.md): the networks' weights for the JavaScript step (static/layers.js), the
WebAssembly kernel compiled, and the folder any static file server serves.

    python export.py --web DIR      # main: build_web with the shipped models

No TensorFlow at import: the command answers --help and usage errors without it.
"""

import dataclasses
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from files import put_in_place, target_problem
from text import SEED_RANGE, TYPOGRAPHY

# The kernel of static/layers.js, compiled from static/kernel.wat by WABT's JavaScript
# build, pinned here and fetched from the npm registry into the cache at build time
WABT = "wabt@1.0.39"
COMPILE_WAT = """
const fs = require("fs");
require("wabt")().then((wabt) => {
  const wat = wabt.parseWat("kernel.wat", fs.readFileSync(process.argv[1], "utf8"), {simd: true});
  fs.writeFileSync(process.argv[2], Buffer.from(wat.toBinary({}).buffer));
});
"""
PRECISIONS = ("float32", "int8")


def quantized(array):
    """A matrix as int8 with one float32 scale a column of its last axis (symmetric: the
    column's largest magnitude is 127), -> (q, scales); q * scales gives it back."""
    flat = array.reshape(-1, array.shape[-1])
    scales = np.abs(flat).max(axis=0) / 127
    scales = np.where(scales > 0, scales, 1).astype("<f4")
    q = np.clip(np.round(array / scales), -127, 127).astype(np.int8)
    return q, scales


def web_weights(model, precision="float32"):
    """A network's weights for a step of our own in the browser (static/layers.js): a
    manifest ({"config": config.json's fields, "weights": {name: {"shape", "dtype",
    "offset", and for int8 "scales"}}}, names as model.model_variables gives them,
    offsets in bytes) and the weights, one little-endian buffer in that order. int8
    quantizes the matrices (quantized); biases stay float32."""
    from model import model_variables

    if precision not in PRECISIONS:
        raise ValueError(f"precision {precision!r}: give one of {', '.join(PRECISIONS)}")
    weights, chunks, offset = {}, [], 0

    def add(array):
        nonlocal offset
        data = array.tobytes() + bytes(-array.nbytes % 4)  # float32s start 4-aligned
        chunks.append(data)
        offset += len(data)
        return offset - len(data)

    for name, v in model_variables(model).items():
        array = v.numpy().astype("<f4")
        entry = {"shape": list(array.shape), "dtype": "float32"}
        if precision == "int8" and array.ndim > 1:
            q, scales = quantized(array)
            entry.update(dtype="int8", offset=add(q), scales=add(scales))
        else:
            entry["offset"] = add(array)
        weights[name] = entry
    manifest = {"config": dataclasses.asdict(model.config), "weights": weights}
    return manifest, b"".join(chunks)


def export_web(model, folder, name, precision="float32"):
    """web_weights as folder/NAME.json and folder/NAME.bin -> the two paths."""
    from files import write_atomic

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    manifest, data = web_weights(model, precision)
    paths = folder / f"{name}.json", folder / f"{name}.bin"
    write_atomic(paths[0], json.dumps(manifest).encode())
    write_atomic(paths[1], data)
    return paths


def compile_kernel(wat, wasm, cache=None):
    """static/kernel.wat -> wasm, by WABT from the npm registry (node and npm needed),
    installed once into cache (~/.cache/write-rnn/npm)."""
    cache = Path(cache or Path.home() / ".cache" / "write-rnn" / "npm")
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        raise RuntimeError(f"building the page's WebAssembly needs {' and '.join(missing)}: "
                           "install Node.js (https://nodejs.org)")
    if not (cache / "node_modules" / "wabt").exists():
        cache.mkdir(parents=True, exist_ok=True)
        # installed beside and moved in whole, so that an interrupted install, or another
        # build installing at the same time, never leaves a half-installed WABT in use
        with tempfile.TemporaryDirectory(dir=cache) as fresh:
            subprocess.run(["npm", "install", "--prefix", fresh, "--no-save", "--no-audit",
                            "--no-fund", WABT], check=True, capture_output=True)
            try:
                os.rename(Path(fresh) / "node_modules", cache / "node_modules")
            except OSError:
                pass  # another build's is in place
    paths = [str(Path(wat).resolve()), str(Path(wasm).resolve())]
    subprocess.run(["node", "-e", COMPILE_WAT, *paths], check=True, cwd=cache,
                   capture_output=True)
    return Path(wasm)


STATIC = Path(__file__).resolve().parent / "static"
SITE = "site.json"  # what marks a folder as a build of the page


def site_facts(writer, limits):
    """What the page reads of a static site (site.json), as it reads GET /api/health of
    app.py: the same fields, for a page that writes in the browser alone."""
    from config import DEFAULT_TRIES
    from webapp.schema import MAX_BIAS

    # no accented letters: the marks are added by accents.py, which has no JavaScript twin
    return {"status": "ok", "backend": "browser", "free_writing": False, "writing": True,
            "why_not_writing": None, "reading": True, "why_not_reading": None,
            "alphabet": writer.alphabet, "styles": sorted(writer.styles),
            "limits": dataclasses.asdict(limits), "bias_max": MAX_BIAS,
            "seed_range": SEED_RANGE, "typography": TYPOGRAPHY, "accented": {},
            "tries": DEFAULT_TRIES,
            "styles_from_data": "a server's only (app.py --data_dir)",
            "models": {"writer": "models/writer", "reader": "models/reader",
                       "hands": "models/hands.json"}}


def build_web(folder, synthesis_dir, recognizer_dir, precision="int8"):
    """The page as a static site in folder, which any static file server serves: the
    page and its scripts, the WebAssembly kernel, the writer and the reader as
    web_weights writes them, the writer's named hands, and site.json. Written beside
    folder, then put in its place. -> {file: bytes} of the models."""
    from files import write_atomic
    from kinds import READER, SYNTHESIS
    from model import open_model
    from webapp.schema import Limits

    target = Path(folder)
    if target_problem(target, SITE):
        raise FileExistsError(f"{target} {target_problem(target, SITE)}")
    writer, reader = open_model(synthesis_dir, SYNTHESIS), open_model(recognizer_dir, READER)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}."))
    try:
        page = (STATIC / "index.html").read_text()
        marked = page.replace('<meta charset="utf-8">',
                              '<meta charset="utf-8">\n<meta name="backend" content="browser">')
        write_atomic(staging / "index.html", marked.encode())
        shutil.copytree(STATIC, staging / "static",
                        ignore=shutil.ignore_patterns("index.html", "*.wat"))
        compile_kernel(STATIC / "kernel.wat", staging / "static" / "kernel.wasm")
        models = staging / "models"
        export_web(writer.network, models, "writer", precision)
        export_web(reader, models, "reader", precision)
        hands = {name: {"text": text, "strokes": np.round(strokes, 1).tolist()}
                 for name, (strokes, text) in writer.styles.items()}
        write_atomic(models / "hands.json", json.dumps(hands).encode())
        write_atomic(staging / SITE,
                     json.dumps(site_facts(writer, Limits()), indent=1).encode())
        sizes = {f.name: f.stat().st_size for f in sorted(models.iterdir())}
        put_in_place(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return sizes


def main(argv=None):
    from config import RECOGNIZER_DIR, SYNTHESIS_DIR
    from flags import ArgumentParser
    from quiet import add_verbose_flag, quiet_tensorflow

    parser = ArgumentParser(description="Build the web page as a static site that writes "
                                        "and reads in the browser alone.")
    parser.add_argument("--web", required=True, metavar="DIR",
                        help="the folder to write (replaced if it holds an earlier build)")
    parser.add_argument("--synthesis_dir", default=SYNTHESIS_DIR,
                        help=f"the writer (default {SYNTHESIS_DIR})")
    parser.add_argument("--recognizer_dir", default=RECOGNIZER_DIR,
                        help=f"the reader (default {RECOGNIZER_DIR})")
    parser.add_argument("--precision", choices=PRECISIONS, default="int8",
                        help="the weights' type: int8 (default) reads as float32 does "
                             "(docs/browser.md) at a quarter of the size")
    add_verbose_flag(parser)
    args = parser.parse_args(argv)
    quiet_tensorflow(args.verbose)
    try:
        sizes = build_web(args.web, args.synthesis_dir, args.recognizer_dir, args.precision)
    except (ValueError, FileExistsError, RuntimeError) as err:
        parser.error(str(err))
    total = sum(sizes.values())
    print(f"wrote {args.web}: the models {total / 1e6:.1f} MB "
          f"({', '.join(f'{k} {v / 1e6:.1f} MB' for k, v in sizes.items())}). Serve it with "
          f"`python -m http.server -d {args.web}` and open http://localhost:8000")


if __name__ == "__main__":
    main()
