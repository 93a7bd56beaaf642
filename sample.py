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
import io
import math
from pathlib import Path
from typing import NamedTuple

import numpy as np
import tensorflow as tf

# every drawing function, so that `%run -i sample.py` leaves them behind to draw with
from drawing import (  # noqa: F401
    draw_strokes,
    draw_strokes_animated,
    draw_strokes_custom_color,
    draw_strokes_eos_weighted,
    draw_strokes_pdf,
    draw_strokes_random_color,
    plot_strokes,
    write_sample,
)
from export import export_saved_model, target_problem
from model import HandwritingModel, load_model
from utils import parse_line_strokes

DEFAULT_MODEL_DIR = "save"


def build_parser():
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Output files: FILENAME.normal.svg, .color.svg, .multi_color.svg, .eos_pdf.svg "
               "and .pdf.svg, with --png FILENAME.png, with --animate FILENAME.animated.svg. "
               "With --num_samples N > 1 every sample gets its own set, numbered from 0: "
               "FILENAME-0.normal.svg, FILENAME-1.normal.svg, ...")
    p.add_argument("--filename", default="sample",
                   help="name of the output files, without extension (folders are created)")
    p.add_argument("--sample_length", type=int, default=800, help="number of points to sample")
    p.add_argument("--scale_factor", type=float, default=10,
                   help="factor to scale down by for svg output. smaller means bigger output")
    p.add_argument("--model_dir", default=DEFAULT_MODEL_DIR,
                   help="directory of the trained model (config.json and checkpoint)")
    p.add_argument("--num_samples", type=int, default=1,
                   help="number of samples; more than one numbers the files FILENAME-0.*, "
                        "FILENAME-1.*, ...")
    p.add_argument("--seed", type=int, default=None,
                   help="random seed: the same model, seed and flags write the same line "
                        "(default: a fresh seed, printed)")
    p.add_argument("--bias", type=float, default=0.0,
                   help="sampling bias b >= 0 (Graves eq. 61-62): larger is neater and less "
                        "varied")
    p.add_argument("--prime", metavar="FILE",
                   help="continue this line, in its writer's style: an IAM-OnDB lineStrokes XML "
                        "file, or a .npy of [T, 3] (dx, dy, eos) rows in tablet units, such as a "
                        "saved model.sample line. FILENAME.normal.svg shows it in grey before the "
                        "continuation in black; the other files show the continuation only")
    p.add_argument("--png", action="store_true",
                   help="also write FILENAME.png: the sample, the density of each next point, "
                        "and the end-of-stroke probability")
    p.add_argument("--animate", action="store_true",
                   help="also write FILENAME.animated.svg, which a browser draws at the pen's "
                        "pace")
    p.add_argument("--export", metavar="DIR",
                   help="also save the model as a TensorFlow SavedModel in DIR, with a `sample` "
                        "and a `step` signature, for programs without this code (e.g. "
                        "TensorFlow Serving)")
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
    if args.export and target_problem(args.export):
        parser.error(f"--export {args.export} {target_problem(args.export)}")


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
