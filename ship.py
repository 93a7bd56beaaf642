"""Copy a training run into a model folder small enough to commit: config.json, log.csv
and the run's latest checkpoint without the optimizer's moments (the weights, the step and
the batch sampler: a third of the size with Adam). load_model reads the folder, and
train.py goes on from it, its optimizer starting afresh.

    python ship.py /path/to/run save/synthesis

The folder is written beside DEST and then put in its place, so an interrupted copy
leaves DEST as it was.
"""

import os
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

from config import (
    CONFIG_NAME,
    LOG_NAME,
    RECOGNIZER_DIR,
    STYLES_NAME,
    folder_problem,
    holds_model,
    save_styles,
)
from flags import ArgumentParser, ranged
from kinds import READER, SYNTHESIS
from quiet import add_verbose_flag, quiet_tensorflow
from text import SEED_RANGE


def ship(run_dir, dest):
    """Write run_dir's config, log and latest checkpoint (no optimizer state) to dest,
    replacing it. Returns the step shipped."""
    import tensorflow as tf

    from model import BATCH_RNG, checkpoint_for, checkpoint_manager, load_network

    run_dir, dest = Path(run_dir), Path(dest)
    if dest.resolve() == run_dir.resolve():
        raise ValueError(f"{dest} is the run itself: give another folder to ship to")
    model = load_network(run_dir)  # says what is wrong with a folder that holds no model
    # the step and the batch sampler beside the weights load_network has read
    step = tf.Variable(0, dtype=tf.int64)
    rng = tf.Variable("", dtype=tf.string)
    tf.train.Checkpoint(step=step, **{BATCH_RNG: rng}) \
        .read(tf.train.latest_checkpoint(str(run_dir))).expect_partial()
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    os.chmod(staging, 0o755)  # mkdtemp makes it private, unlike a folder made as usual
    try:
        checkpoint_manager(checkpoint_for(model, step=step, **{BATCH_RNG: rng}), staging,
                           max_to_keep=1).save(checkpoint_number=int(step.numpy()))
        shutil.copy(run_dir / CONFIG_NAME, staging / CONFIG_NAME)
        for kept in (LOG_NAME, STYLES_NAME):  # the run's log, and its named hands if any
            if (run_dir / kept).exists():
                shutil.copy(run_dir / kept, staging / kept)
        # the checkpoint file names the checkpoint relative to its folder, so it moves
        old = dest.parent / f".{dest.name}.old"
        shutil.rmtree(old, ignore_errors=True)
        if dest.exists():
            dest.rename(old)
        staging.rename(dest)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return int(step.numpy())


# what each candidate hand writes, and what it must then write legibly to be kept
STYLE_TEXT = "A quick brown fox jumps over the lazy dog"
STYLE_TESTS = ("Handwriting that reads well, in one hand.", "Zebras, quays and 1947 (maybe)?",
               "Every line of a page in the same hand.")


def pick_styles(writer, reader, count, seed=0, candidates_per_style=3, bias=0.5,
                test_seeds=2):
    """count named hands for a synthesis model: candidates_per_style x count lines of
    the model's own writing of STYLE_TEXT (at bias, seeds from seed), each then used
    as the style of STYLE_TESTS at bias 0.75, on test_seeds seeds; the hands whose own
    line and test lines the recogniser reads best, a test line that loses the text
    (measures.lost_the_text) counting as one read all wrong, are kept, best
    first: ({"hand-1": (strokes, text), ...}, their scores)."""
    from measures import character_error_rate, lost_the_text

    text, tests = STYLE_TEXT, list(STYLE_TESTS)
    seeds = list(range(seed, seed + candidates_per_style * count))
    lines, _ = writer.write([text] * len(seeds), bias=bias, seed=seeds)
    own = reader.read(lines)
    scores = []
    for line, reading, line_seed in zip(lines, own, seeds):
        test_lines = tests * test_seeds
        on_seeds = [(line_seed + 1000 * k) % SEED_RANGE for k in range(test_seeds)
                      for _ in tests]
        written, infos = writer.write(test_lines, bias=0.75, seed=on_seeds,
                                      style=(line, text))
        lost = [lost_the_text(info) for info in infos]
        readings = ["" if gone else read for gone, read in zip(lost, reader.read(written))]
        scores.append(character_error_rate(test_lines, readings, spaces=False)
                      + character_error_rate([text], [reading], spaces=False))
    best = np.argsort(scores, kind="stable")[:count]
    return {f"hand-{rank + 1}": (lines[i], text) for rank, i in enumerate(best)}, \
        [scores[i] for i in best]


def main(argv=None):
    parser = ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run_dir", help="a model folder written by train.py")
    parser.add_argument("dest", help="the folder to write (replaced if it exists)")
    parser.add_argument("--styles", type=ranged("non-negative", int), default=0, metavar="N",
                        help="a synthesis model: also pick N named hands (hand-1, ...) of its "
                             "own writing, the ones the recogniser reads best, into "
                             f"DEST/{STYLES_NAME}")
    parser.add_argument("--recognizer_dir", default=RECOGNIZER_DIR,
                        help=f"the recogniser that picks the hands (default {RECOGNIZER_DIR})")
    add_verbose_flag(parser)
    args = parser.parse_args(argv)
    if not holds_model(args.run_dir):
        parser.error(f"{args.run_dir} holds no {CONFIG_NAME}: give a folder train.py wrote")
    problem = folder_problem(args.recognizer_dir, READER) if args.styles else None
    if problem:
        parser.error(f"--styles needs a recogniser: --recognizer_dir {args.recognizer_dir} "
                     f"{problem}")
    quiet_tensorflow(args.verbose)
    try:
        step = ship(args.run_dir, args.dest)
    except (ValueError, FileNotFoundError) as err:
        parser.error(str(err))
    if args.styles:
        from model import open_model

        try:
            writer, reader = open_model(args.dest, SYNTHESIS), open_model(args.recognizer_dir,
                                                                          READER)
        except ValueError as err:
            parser.error(f"--styles: {err}")
        styles, scores = pick_styles(writer, reader, args.styles)
        save_styles(args.dest, styles)
        print("named hands: " + ", ".join(f"{name} (CER {score:.3f})"
                                           for name, score in zip(styles, scores)))
    size = sum(f.stat().st_size for f in Path(args.dest).iterdir())
    print(f"shipped step {step} of {args.run_dir} to {args.dest} ({size / 1e6:.1f} MB)")


if __name__ == "__main__":
    sys.exit(main())
