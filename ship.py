"""Copy a training run into a model folder small enough to commit: config.json, log.csv
and the run's latest checkpoint without the optimizer's moments (the weights, the step and
the batch sampler: a third of the size with Adam). load_model reads the folder, and
train.py goes on from it, its optimizer starting afresh.

    python ship.py /path/to/run save/synthesis

The folder is written beside DEST and then put in its place, so an interrupted copy
leaves DEST as it was.
"""

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from config import CONFIG_NAME, LOG_NAME
from utils import add_verbose_flag, quiet_tensorflow


def ship(run_dir, dest):
    """Write run_dir's config, log and latest checkpoint (no optimizer state) to dest,
    replacing it. Returns the step shipped."""
    import tensorflow as tf

    from model import checkpoint_for, checkpoint_manager, load_model

    run_dir, dest = Path(run_dir), Path(dest)
    if dest.resolve() == run_dir.resolve():
        raise ValueError(f"{dest} is the run itself: give another folder to ship to")
    model = load_model(run_dir)  # says what is wrong with a folder that holds no model
    # the step and the batch sampler beside the weights load_model has read
    step = tf.Variable(0, dtype=tf.int64)
    rng = tf.Variable("", dtype=tf.string)
    tf.train.Checkpoint(step=step, sampler_state=rng) \
        .read(tf.train.latest_checkpoint(str(run_dir))).expect_partial()
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        checkpoint_manager(checkpoint_for(model, step=step, sampler_state=rng), staging,
                           max_to_keep=1).save(checkpoint_number=int(step.numpy()))
        shutil.copy(run_dir / CONFIG_NAME, staging / CONFIG_NAME)
        if (run_dir / LOG_NAME).exists():
            shutil.copy(run_dir / LOG_NAME, staging / LOG_NAME)
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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run_dir", help="a model folder written by train.py")
    parser.add_argument("dest", help="the folder to write (replaced if it exists)")
    add_verbose_flag(parser)
    args = parser.parse_args(argv)
    if not (Path(args.run_dir) / CONFIG_NAME).exists():
        parser.error(f"{args.run_dir} holds no {CONFIG_NAME}: give a folder train.py wrote")
    quiet_tensorflow(args.verbose)
    try:
        step = ship(args.run_dir, args.dest)
    except (ValueError, FileNotFoundError) as err:
        parser.error(str(err))
    size = sum(f.stat().st_size for f in Path(args.dest).iterdir())
    print(f"shipped step {step} of {args.run_dir} to {args.dest} ({size / 1e6:.1f} MB)")


if __name__ == "__main__":
    sys.exit(main())
