"""Write handwriting with a trained model and draw it as SVG files.

    python sample.py --filename sample --sample_length 800 --scale_factor 10 --model_dir save

writes sample.normal.svg (the line), sample.color.svg (a random colour per
stroke), sample.multi_color.svg (a random colour per point), sample.eos_pdf.svg
(grey to red: where the model expects the pen to lift) and sample.pdf.svg (the
mixture each point was drawn from). In IPython, `%run -i sample.py` also leaves
the loaded `model` and the drawing functions behind, so that

    strokes, params = model.sample(800)
    draw_strokes(strokes)

draws another line.
"""

import argparse
import dataclasses
import io
import json
import math
import os
import shutil
import tempfile
from pathlib import Path
from typing import NamedTuple

import numpy as np
import tensorflow as tf

# every drawing function, so that `%run -i sample.py` leaves them behind to draw with
from drawing import (
    draw_strokes,
    draw_strokes_animated,
    draw_strokes_custom_color,
    draw_strokes_eos_weighted,
    draw_strokes_pdf,
    draw_strokes_random_color,
    plot_strokes,  # noqa: F401
    write_png,
)
from model import (
    PARAM_KEYS,
    START,
    HandwritingModel,
    load_model,
    mixture_params,
    sample_capacity,
    sampling_noise,
)
from utils import mixture_to_tablet_units, parse_line_strokes, to_tablet_units

# the five drawings of the original, by file suffix
SVG_KINDS = ("normal", "color", "multi_color", "eos_pdf", "pdf")
PRIME_GREY = 0.6  # the priming line's colour in .normal.svg, on a 0-1 scale
DEFAULT_MODEL_DIR = "save"


def build_parser():
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Output files: FILENAME.normal.svg, .color.svg, .multi_color.svg, .eos_pdf.svg "
               "and .pdf.svg, with --png FILENAME.png, with --animate FILENAME.animated.svg. "
               "With --num_samples N > 1 every sample gets its own set, numbered from 0: "
               "FILENAME-0.normal.svg, FILENAME-1.normal.svg, ...")
    a = p.add_argument
    a("--filename", default="sample",
      help="name of the output files, without extension (folders are created)")
    a("--sample_length", type=int, default=800, help="number of points to sample")
    a("--scale_factor", type=float, default=10,
      help="factor to scale down by for svg output. smaller means bigger output")
    a("--model_dir", default=DEFAULT_MODEL_DIR,
      help="directory of the trained model (config.json and checkpoint)")
    a("--num_samples", type=int, default=1,
      help="number of samples; more than one numbers the files FILENAME-0.*, FILENAME-1.*, ...")
    a("--seed", type=int, default=None,
      help="random seed: the same model, seed and flags write the same line "
           "(default: a fresh seed, printed)")
    a("--bias", type=float, default=0.0,
      help="sampling bias b >= 0 (Graves eq. 61-62): larger is neater and less varied")
    a("--prime", metavar="FILE",
      help="continue this line, in its writer's style: an IAM-OnDB lineStrokes XML file, or "
           "a .npy of [T, 3] (dx, dy, eos) rows in tablet units, such as a saved "
           "model.sample line. FILENAME.normal.svg shows it in grey before the continuation "
           "in black; the other files show the continuation only")
    a("--png", action="store_true",
      help="also write FILENAME.png: the sample, the density of each next point, and the "
           "end-of-stroke probability")
    a("--animate", action="store_true",
      help="also write FILENAME.animated.svg, which a browser draws at the pen's pace")
    a("--export", metavar="DIR",
      help="also save the model as a TensorFlow SavedModel in DIR, with a `sample` and a "
           "`step` signature, for programs without this code (e.g. TensorFlow Serving)")
    return p


# ---------------------------------------------------------------- input checks


def check_args(parser, args):
    """Everything that can be checked without TensorFlow, so mistakes fail fast."""
    if args.sample_length < 1:
        parser.error(f"--sample_length must be positive, not {args.sample_length}")
    if args.num_samples < 1:
        parser.error(f"--num_samples must be positive, not {args.num_samples}")
    if not (math.isfinite(args.bias) and args.bias >= 0):
        parser.error(f"--bias must be zero or positive, not {args.bias}")
    if not (math.isfinite(args.scale_factor) and args.scale_factor > 0):
        parser.error(f"--scale_factor must be positive, not {args.scale_factor}")
    if args.seed is not None and not -(2**63) <= args.seed < 2**63:
        parser.error(f"--seed must fit in 64 bits, not {args.seed}")
    out = Path(args.filename)
    if not out.name or out.name in (".", ".."):
        parser.error(f"--filename needs a file name, not '{args.filename}'")
    for folder in (out.parent, *out.parent.parents):
        if folder.exists() and not folder.is_dir():
            parser.error(f"--filename {args.filename}: '{folder}' is a file, not a folder")
    if args.export:
        target = Path(args.export)
        # replacing an earlier export is fine; anything else in the way is left alone
        if target.exists() and not (target / "saved_model.pb").is_file() and (
                not target.is_dir() or any(target.iterdir())):
            parser.error(f"--export {args.export} exists and is not a SavedModel: "
                         "choose a new folder")


def read_prime(path):
    """A line to continue, as float32 [T, 3] (dx, dy, eos) rows in tablet units.

    An IAM-OnDB lineStrokes XML file, or a .npy array such as a line model.sample
    wrote. Raises OSError or ValueError saying what is wrong with the file.
    """
    path = Path(path)
    blob = path.read_bytes()
    if not blob:
        raise ValueError("the file is empty")
    if path.suffix.lower() == ".npy":
        try:
            strokes = np.load(io.BytesIO(blob), allow_pickle=False)
        except (ValueError, EOFError, OSError) as err:
            raise ValueError(f"not a readable .npy array ({err})") from None
        if strokes.ndim != 2 or strokes.shape[1] != 3 or strokes.dtype.kind not in "iuf":
            raise ValueError(f"expected a numeric [T, 3] array of (dx, dy, eos), "
                             f"not {strokes.dtype} {list(strokes.shape)}")
        if not np.isfinite(strokes).all():
            raise ValueError("holds NaN or infinite values")
        if not np.isin(strokes[:, 2], (0, 1)).all():
            raise ValueError("the eos column (the third) must be 0 or 1")
    else:
        # BadLineError is a ValueError that names the problem
        strokes = parse_line_strokes(blob)
    if len(strokes) < 2:
        # the first row only places the pen: one point leaves nothing to continue
        raise ValueError(f"has {len(strokes)} point(s); priming needs at least two")
    return strokes.astype(np.float32)


def open_model(parser, model_dir):
    """load_model, with argparse errors that say how to get a model."""
    path = Path(model_dir)
    how = f"train one with `python train.py --model_dir {model_dir}`"
    if path != Path(DEFAULT_MODEL_DIR):
        how += f", or leave out --model_dir to use the shipped model in {DEFAULT_MODEL_DIR}/"
    elif not path.exists():
        how = f"run from the project folder, whose {DEFAULT_MODEL_DIR}/ holds the shipped " \
              f"model, or {how}"
    if not path.exists():
        parser.error(f"--model_dir {model_dir} does not exist: {how}")
    if not path.is_dir():
        parser.error(f"--model_dir {model_dir} is a file, not a folder: {how}")
    if not any(path.iterdir()):
        parser.error(f"--model_dir {model_dir} is empty: {how}")
    try:
        return load_model(model_dir)
    except FileNotFoundError as err:
        parser.error(f"--model_dir {model_dir}: {err}")
    except (ValueError, TypeError, tf.errors.OpError) as err:
        # weights that do not fit config.json, a corrupt config or checkpoint
        parser.error(f"--model_dir {model_dir}: cannot load the model: {err}")


# ---------------------------------------------------------------- drawings


def write_sample(name, strokes, params, factor, prime=None, png=False, animate=False, seed=None):
    """The original's five SVGs for one sample (and the PNG and animation if asked).
    seed fixes the random colours. Returns the paths written."""
    files = {kind: f"{name}.{kind}.svg" for kind in SVG_KINDS}
    if prime is None:
        draw_strokes(strokes, factor=factor, svg_filename=files["normal"])
    else:
        # the priming line in grey, then the continuation in black
        line = np.concatenate([prime, strokes])
        colors = np.zeros((len(line), 3))
        colors[: len(prime)] = PRIME_GREY
        draw_strokes_custom_color(line, factor=factor, svg_filename=files["normal"],
                                  color_data=colors)
    draw_strokes_random_color(strokes, factor=factor, svg_filename=files["color"], seed=seed)
    draw_strokes_random_color(strokes, factor=factor, svg_filename=files["multi_color"],
                              per_stroke_mode=False, seed=seed)
    draw_strokes_eos_weighted(strokes, params, factor=factor, svg_filename=files["eos_pdf"])
    draw_strokes_pdf(strokes, params, factor=factor, svg_filename=files["pdf"])
    written = list(files.values())
    if png:
        write_png(strokes, params, f"{name}.png")
        written.append(f"{name}.png")
    if animate:
        draw_strokes_animated(strokes, factor=factor, svg_filename=f"{name}.animated.svg")
        written.append(f"{name}.animated.svg")
    return written


# ---------------------------------------------------------------- export


def saved_model_module(model):
    """A tf.Module with two signatures that drive the model without this project's code.

    sample(num_points int32, seed int64, bias float32) -> strokes [num_points, 3] of
        (dx, dy, eos) and the mixture of every point (e, pi, mu1, mu2, sigma1, sigma2,
        rho), in tablet units: model.sample(num_points, seed=seed, bias=bias), run by
        the same loop without XLA.
    step(point [B, 3], h0, c0, h1, c1, ... [B, rnn_size]) -> the mixture of the next
        point (e, pi, mu1, ... in model units, no bias) and the new state under the
        same names. Start from point (0, 0, 1) and a zero state; feed back the point
        drawn, (dx, dy) divided by data_scale. A bias b is pi^(1 + b) renormalised and
        sigma exp(-b). (GRU and plain RNN models have no c.)
    The weights are tracked as plain variables: the Keras model's own functions are
    not part of this interface. data_scale, start and config (JSON) come along as
    variables for Python users.
    """
    config = model.config
    zero = model.zero_state(1)
    names = [f"{'hc'[j]}{i}" for i, layer in enumerate(zero) for j in range(len(layer))]
    loop = HandwritingModel._sample_loop.python_function  # the sampler, undecorated

    @tf.function(input_signature=[tf.TensorSpec([], tf.int32, name="num_points"),
                                  tf.TensorSpec([], tf.int64, name="seed"),
                                  tf.TensorSpec([], tf.float32, name="bias")])
    def sample(num_points, seed, bias):
        tf.debugging.assert_positive(num_points, "num_points must be positive")
        # the noise of model.sample for the same seed
        noise = sampling_noise(tf.stack([seed, tf.constant(0, tf.int64)]),
                               sample_capacity(num_points), 1, config.num_mixture)
        first = tf.constant([START], tf.float32)
        points, history = loop(model, num_points, bias, first, model.zero_state(1), noise)
        out = mixture_to_tablet_units({k: v[:num_points, 0] for k, v in history.items()},
                                      config.data_scale)
        out["strokes"] = to_tablet_units(points[:num_points, 0], config.data_scale)
        return out

    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="point")]
                 + [tf.TensorSpec([None, config.rnn_size], tf.float32, name=n) for n in names])
    def step(point, *state):
        z, state = model.step(point, tf.nest.pack_sequence_as(zero, list(state)))
        params = mixture_params(z)
        return {**{k: params[k] for k in PARAM_KEYS},
                **dict(zip(names, tf.nest.flatten(state)))}

    module = tf.Module()
    module.weights = [v.value for v in model.variables]  # the underlying tf.Variables
    module.data_scale = tf.Variable(config.data_scale, trainable=False, name="data_scale")
    module.start = tf.Variable(START, trainable=False, dtype=tf.float32, name="start")
    module.config = tf.Variable(json.dumps(dataclasses.asdict(config)), trainable=False,
                                name="config")
    module.sample, module.step = sample, step
    return module


def export_saved_model(model, export_dir):
    """Write the SavedModel of saved_model_module(model) to export_dir, replacing an
    earlier export only once the new one is complete."""
    target = Path(export_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    module = saved_model_module(model)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}."))
    try:
        tf.saved_model.save(module, str(staging),
                            signatures={"sample": module.sample, "step": module.step})
        os.chmod(staging, 0o755)  # mkdtemp makes it private, unlike a normal folder
        if target.exists():
            old = staging.with_name(staging.name + ".old")
            os.replace(target, old)
            os.replace(staging, target)
            shutil.rmtree(old)
        else:
            os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return str(target)


# ---------------------------------------------------------------- main


class Sampled(NamedTuple):
    """What main returns: the model, what it sampled, and the files it wrote."""

    model: HandwritingModel
    strokes: np.ndarray  # as model.sample returns it: [num_samples,] sample_length, 3
    params: dict
    files: list  # every path written


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    check_args(parser, args)
    prime = None
    if args.prime:
        try:
            prime = read_prime(args.prime)
        except OSError as err:
            parser.error(f"--prime {args.prime}: cannot read it ({err.strerror or err})")
        except ValueError as err:
            parser.error(f"--prime {args.prime}: {err}")
    model = open_model(parser, args.model_dir)

    seed = args.seed if args.seed is not None else int(np.random.default_rng().integers(2**31))
    strokes, params = model.sample(args.sample_length, num_samples=args.num_samples, seed=seed,
                                   bias=args.bias, prime=prime)
    print(f"sampled {args.num_samples} x {args.sample_length} points from {args.model_dir} "
          f"with --seed {seed}")

    files = []
    if args.export:
        files.append(export_saved_model(model, args.export))
        print(f"wrote {files[-1]}")
    Path(args.filename).parent.mkdir(parents=True, exist_ok=True)
    many = args.num_samples > 1
    for i in range(args.num_samples):
        name = f"{args.filename}-{i}" if many else args.filename
        one = (strokes[i], {k: v[i] for k, v in params.items()}) if many else (strokes, params)
        written = write_sample(name, *one, factor=args.scale_factor, prime=prime,
                               png=args.png, animate=args.animate,
                               seed=(seed % 2**64, i))  # the random colours, reproducible
        for path in written:
            print(f"wrote {path}")
        files += written
    return Sampled(model, strokes, params, files)


if __name__ == "__main__":
    # also what `%run -i sample.py` runs: model, strokes and params stay behind
    model, strokes, params, files = main()
