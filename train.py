"""Train the handwriting model on IAM-OnDB.

    python train.py --data_dir path/to/lineStrokes-all.tar.gz           # runs/handwriting
    python train.py --synthesis --data_dir path/to/iam-ondb             # runs/synthesis
    python train.py --recognizer --data_dir path/to/iam-ondb --unipen path/to/unipen \
        --unipen_lines 0.2 --unipen_beside 0.15                          # runs/recognizer

Running it again on the same --model_dir resumes where the last run stopped; a shipped
model (save/...) is never trained in place: copy it to continue its training.
--synthesis trains the network that writes a given text (Graves section 5) on whole
lines with their transcriptions, from the defaults of kinds.SYNTHESIS_RECIPE.

The flags are read, and checked, before TensorFlow loads: --help and usage errors
answer at once. --verbose (or WRITE_RNN_VERBOSE=1) shows TensorFlow's own log lines.
"""

import csv
import dataclasses
import io
import json
import math
import signal
import sys
import time
from pathlib import Path

import numpy as np

import kinds
from config import (
    ARCHITECTURE,
    CHECKPOINT_NAME,
    LOG_NAME,
    SHIPPED_DIRS,
    Config,
    holds_model,
)
from files import write_atomic
from flags import ArgumentParser, FieldError, add_flags, check_fields, flag, given
from iam_ondb import read_line_ids
from quiet import add_verbose_flag, quiet_tensorflow
from utils import DataLoader

# TensorFlow, Keras and the modules built on them (evaluate, model) are imported where
# they are used, so that reading the flags does not wait for TensorFlow to load.

# a recogniser logs its CTC loss per line as train_nll, and its character error rates
LOG_FIELDS = ("step", "epoch", "train_nll", "valid_nll_model", "valid_nll_raw", "valid_nll_seq",
              "learning_rate", "points_per_s", "skipped", "train_s", "valid_cer",
              "valid_cer_spaces", "valid_unipen_cer")
# the log's validation columns, and the figures of validate() they hold
VALID_FIELDS = {"valid_nll_model": "nll_per_point_model", "valid_nll_raw": "nll_per_point_raw",
                "valid_nll_seq": "nll_per_sequence_raw", "valid_cer": "valid_cer",
                "valid_cer_spaces": "valid_cer_spaces", "valid_unipen_cer": "valid_unipen_cer"}
MAX_BAD_STEPS = 20  # consecutive non-finite steps before giving up


@dataclasses.dataclass
class RunOptions:
    """How one run goes: the flags that are not the model's Config (not saved with it)."""

    model_dir: str = flag(None, "directory to save model to (default: runs/handwriting, "
                          "runs/synthesis or runs/recognizer; never a shipped model's)", type=str)
    data_dir: str = flag("data", "folder holding lineStrokes/, or lineStrokes-all.tar.gz")
    cache_dir: str = flag(None, "parsed-data cache folder, if data_dir is read-only", type=str)
    seed: int = flag(None, "seed for weights, batches and dropout", type=int)
    save_every: int = flag(500, "save frequency, in steps", check="positive")
    max_steps: int = flag(None, "stop after this many steps in all", type=int,
                          check="non-negative")
    max_minutes: float = flag(None, "stop (and save) after this many minutes", type=float,
                              check="positive")
    validate_every: int = flag(500, "validation frequency, in steps (0: never)",
                               check="non-negative")
    log_every: int = flag(10, "log and TensorBoard frequency, in steps", check="positive")
    strict: bool = flag(False, "stop on unreadable data files instead of skipping")
    strategy: str = flag("default", "tf.distribute strategy: one device, all local GPUs, or "
                         "TF_CONFIG workers", choices=("default", "mirrored", "multi_worker"))
    overwrite: bool = flag(False, "start afresh even if model_dir holds a model")
    unipen: str = flag(None, "UNIPEN's isolated characters (the release, or its 1a-1d part, as "
                       "a .tar.gz or a folder), for --unipen_lines and --unipen_beside",
                       type=str)
    grow_alphabet: bool = flag(False, "on resuming, add the characters the training data now "
                               "holds (UNIPEN's) to the model's alphabet: their weights start "
                               "at zero, the optimizer afresh")
    warmup_steps: int = flag(500, "on resuming from a checkpoint without optimizer state, "
                             "raise the learning rate from 0 over this many steps",
                             check="non-negative")

    def __post_init__(self):
        check_fields(self)


def build_parser():
    """The flags: Config's fields, then RunOptions'. Defaults, help and ranges are those
    of the dataclasses; a flag not given is absent from the parsed namespace."""
    parser = ArgumentParser(description=__doc__.split("\n\n")[0])
    add_flags(parser.add_argument_group("the model and its training (saved in config.json)"),
              Config)
    add_flags(parser.add_argument_group("this run"), RunOptions)
    add_verbose_flag(parser)
    return parser


def make_strategy(name):
    import tensorflow as tf

    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multi_worker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    return tf.distribute.get_strategy()


def resolve_config(args, parser):
    """(config, run options, resuming) from the flags, as a usage error if they do not
    fit: a fresh config from the flags given and Config's defaults, or, when
    --model_dir holds a model, the saved config with the flags given laid over it.
    A given architecture flag that differs from the saved model's is refused."""
    try:
        run = RunOptions(**given(args, RunOptions))
        flags = given(args, Config)
        kind = kinds.asked(flags)  # which network a new run trains: its folder and recipe
        if run.model_dir is None:
            run = dataclasses.replace(run, model_dir=kind.run_dir)
        model_dir = Path(run.model_dir)
        if shipped(model_dir):
            parser.error(f"--model_dir {run.model_dir} is a model this project ships, which "
                         f"git tracks: train elsewhere (by default in runs/), or copy it to "
                         f"continue its training, e.g. `cp -r {run.model_dir} runs/mine` and "
                         f"--model_dir runs/mine")
        if run.overwrite or not holds_model(model_dir):
            return Config(**{**kind.recipe, **flags}), run, False
        saved = Config.load(model_dir)
        clash = [f"--{f} {v} (saved: {getattr(saved, f)})"
                 for f, v in flags.items() if f in ARCHITECTURE and v != getattr(saved, f)]
        if clash:
            parser.error(f"--model_dir {model_dir} holds a model of another architecture: "
                         f"{', '.join(clash)}. Use another --model_dir, or --overwrite to start "
                         "afresh.")
        return Config(**{**dataclasses.asdict(saved), **flags}), run, True
    except FieldError as err:  # a flag out of range
        parser.error(f"--{err}")
    except ValueError as err:  # an unreadable config.json
        parser.error(str(err))


def shipped(model_dir):
    """Whether model_dir is one of the project's shipped model folders."""
    root = Path(__file__).resolve().parent
    return Path(model_dir).resolve() in {(root / d).resolve() for d in SHIPPED_DIRS}


class Trainer:
    """One training run: model, optimizer, checkpoints and the loop."""

    def __init__(self, config, loader, model_dir, strategy, seed=None, warmup_steps=0):
        import keras
        import tensorflow as tf

        from model import BATCH_RNG, build_model, checkpoint_for, checkpoint_manager

        self.config, self.loader, self.strategy = config, loader, strategy
        # the step a warm-up of the learning rate starts from (restore sets it)
        self.warmup_steps, self.warmup_from = warmup_steps, None
        self.model_dir = Path(model_dir)
        if seed is not None:
            keras.utils.set_random_seed(seed)
        with strategy.scope():
            self.model = build_model(config, loader)
            make = {"adam": keras.optimizers.Adam, "rmsprop": keras.optimizers.RMSprop}
            self.optimizer = make[config.optimizer](learning_rate=config.learning_rate)
            self.optimizer.build(self.model.trainable_variables)
            self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
        # the DataLoader's random generator, which picks the batches (JSON): kept by this
        # process alone, outside the strategy, which cannot broadcast a string between
        # workers (--strategy multi_worker)
        self.batch_rng_state = tf.Variable("", dtype=tf.string, trainable=False)
        self.checkpoint = checkpoint_for(self.model, self.optimizer, step=self.step,
                                         **{BATCH_RNG: self.batch_rng_state})
        self.manager = checkpoint_manager(self.checkpoint, self.model_dir)
        self._compute = tf.function(self._compute_gradients, reduce_retracing=True)
        self._apply = tf.function(self._apply_gradients)

    # ------------------------------------------------ state

    def restore(self):
        if self.manager.latest_checkpoint is None:
            return False
        import tensorflow as tf

        from model import BATCH_RNG, checkpoint_for

        latest = self.manager.latest_checkpoint
        if any(name.startswith("optimizer/") for name, _ in tf.train.list_variables(latest)):
            self.checkpoint.read(latest).assert_existing_objects_matched()
        else:  # weights, step and batch RNG only (a checkpoint kept small): Adam starts afresh
            checkpoint_for(self.model, step=self.step, **{BATCH_RNG: self.batch_rng_state}) \
                .read(latest).assert_existing_objects_matched()
            # fresh moments make the first steps large: the learning rate warms up again
            self.warmup_from = int(self.step.numpy())
            print(f"{latest} holds no optimizer state: {self.config.optimizer} starts afresh, "
                  f"its learning rate warming up over {self.warmup_steps} steps",
                  file=sys.stderr)
        if self.batch_rng_state.numpy():
            self.loader.set_state(json.loads(self.batch_rng_state.numpy().decode()))
        return True

    def save(self):
        self.batch_rng_state.assign(json.dumps(self.loader.get_state()))
        self.config.save(self.model_dir)
        return self.manager.save(checkpoint_number=int(self.step.numpy()))

    # ------------------------------------------------ one step

    def _compute_gradients(self, batch):
        import tensorflow as tf

        with tf.GradientTape() as tape:
            loss = self.model.batch_loss(batch, training=True)
        grads = tape.gradient(loss, self.model.trainable_variables)
        ctx = tf.distribute.get_replica_context()
        # average over replicas ourselves, so that clipping sees the true global norm
        grads = ctx.all_reduce("mean", grads)
        loss = ctx.all_reduce("mean", loss)
        return loss, tf.linalg.global_norm(grads), grads

    def _apply_gradients(self, grads, norm):
        import tensorflow as tf

        clipped, _ = tf.clip_by_global_norm(grads, self.config.grad_clip, use_norm=norm)
        # the optimizer sums over replicas, and each already holds the mean
        n = tf.distribute.get_replica_context().num_replicas_in_sync
        self.optimizer.apply_gradients(
            zip([g / n for g in clipped], self.model.trainable_variables))
        self.step.assign_add(1)

    def _per_replica(self, array):
        """A global batch as per-replica slices."""
        import tensorflow as tf

        n = self.strategy.num_replicas_in_sync
        if n == 1:
            return tf.constant(array)
        per = len(array) // n
        return self.strategy.experimental_distribute_values_from_function(
            lambda ctx: tf.constant(array[ctx.replica_id_in_sync_group * per:
                                          (ctx.replica_id_in_sync_group + 1) * per]))

    def train_step(self, batch):
        """One update on a batch as loader.next_batch gives it: a utils.WindowBatch, for
        synthesis a utils.LineBatch, for a recogniser a recognizer.ReadingBatch. Returns
        (loss, applied); a non-finite loss or gradient is skipped."""
        loss, norm, grads = self.strategy.run(
            self._compute, (type(batch)(*map(self._per_replica, batch)),))
        loss = float(self.strategy.experimental_local_results(loss)[0])
        norm_value = float(self.strategy.experimental_local_results(norm)[0])
        if not (math.isfinite(loss) and math.isfinite(norm_value)):
            self.step.assign_add(1)
            return loss, False
        self.strategy.run(self._apply, (grads, norm))
        return loss, True

    def learning_rate(self, epoch, step=None):
        """The schedule: decay_rate once an epoch, and after a resume with a fresh
        optimizer a linear warm-up over warmup_steps (step: the step about to run)."""
        rate = self.config.learning_rate * self.config.decay_rate ** epoch
        if self.warmup_from is not None and step is not None and self.warmup_steps:
            rate *= min(1.0, (step - self.warmup_from + 1) / self.warmup_steps)
        return rate

    def validate(self):
        """The validation figures, or {} when the data has no validation line (a small
        synthesis set whose lines are all shorter than seq_length + 2 points)."""
        return kinds.of(self.config).validate(self.model, self.loader)


class StopFlag:
    """Within it, Ctrl-C and SIGTERM finish the current step, save, and exit."""

    def __enter__(self):
        self.signal = None
        self.previous = {sig: signal.signal(sig, self._set)
                         for sig in (signal.SIGINT, signal.SIGTERM)}
        return self

    def __exit__(self, *exc):
        for sig, handler in self.previous.items():
            signal.signal(sig, handler)

    def _set(self, signum, frame):
        if self.signal is not None:  # a second Ctrl-C: the user insists
            raise KeyboardInterrupt
        self.signal = signal.Signals(signum).name
        print(f"\n{self.signal}: saving after this step...", file=sys.stderr, flush=True)


def read_log(path, through_step=None):
    """The rows of a log.csv as dicts, [] if there is none. A log of fewer columns (one
    written before the reader's figures were logged, as the shipped save/log.csv) is
    first rewritten in LOG_FIELDS' layout. With through_step, rows of later steps (logged
    after the checkpoint a run resumes from, and about to be trained again) go."""
    try:
        with open(path, newline="") as f:
            reader = csv.DictReader(f)
            rows, fields = list(reader), reader.fieldnames
    except FileNotFoundError:
        return []
    later = through_step is not None and any(int(r["step"]) > through_step for r in rows)
    if later:
        rows = [row for row in rows if int(row["step"]) <= through_step]
    if fields is None or (tuple(fields) == LOG_FIELDS and not later):
        return rows
    rows = [{k: row.get(k, "") for k in LOG_FIELDS} for row in rows]
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, LOG_FIELDS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    write_atomic(path, buffer.getvalue().encode())
    return rows


class Log:
    """log.csv for plotting, and TensorBoard scalars under model_dir/log. train_s, the
    seconds of training since the run started, goes on from an earlier session's."""

    def __init__(self, model_dir, step=None):
        """step: the step the run resumes from; the log's rows after it go."""
        import tensorflow as tf

        path = Path(model_dir) / LOG_NAME
        rows = read_log(path, step)
        # what the sessions before this one trained for: this one adds its own
        self.train_s = float(rows[-1]["train_s"] or 0) if rows else 0.0
        new = not path.exists()
        self.file = open(path, "a", newline="")
        self.csv = csv.DictWriter(self.file, LOG_FIELDS)
        if new:
            self.csv.writeheader()
        self.tb = tf.summary.create_file_writer(str(Path(model_dir) / "log"))

    def write(self, row):
        import tensorflow as tf

        self.csv.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v)
                           for k, v in row.items()})
        self.file.flush()
        with self.tb.as_default(step=row["step"]):
            for key in ("train_nll", "valid_nll_model", "valid_nll_raw", "learning_rate",
                        "points_per_s"):
                if row.get(key) not in (None, ""):
                    tf.summary.scalar(key, row[key])
        self.tb.flush()

    def close(self):
        self.file.close()
        self.tb.close()


def read_unipen(config, run, parser):
    """UNIPEN's characters (unipen.Characters) if the config trains on them, else None."""
    if not (config.unipen_lines or config.unipen_beside):
        return None
    if run.unipen is None:
        parser.error("--unipen_lines, --unipen_beside (config.json keeps them): give --unipen "
                     "PATH, UNIPEN's release as a .tar.gz or a folder (data/README.md)")
    from unipen import Characters

    try:
        characters = Characters(run.unipen, cache_dir=run.cache_dir, strict=run.strict)
    except (FileNotFoundError, ValueError) as err:
        parser.error(f"--unipen: {err}")
    print(characters.summary(), file=sys.stderr)
    return characters


def load_data(config, run, parser, exclude, characters, alphabet):
    """The DataLoader of the run: usage errors (unreadable data) through parser."""
    try:
        return DataLoader(run.data_dir, config.batch_size, config.seq_length, config.data_scale,
                          config.limit, seed=run.seed, cache_dir=run.cache_dir,
                          strict=run.strict, texts=kinds.of(config).paired,
                          alphabet=alphabet, clean=config.clean, oversample=config.oversample,
                          oversample_cap=config.oversample_cap,
                          oversample_chars=config.oversample_chars, unipen=characters,
                          unipen_lines=config.unipen_lines, unipen_beside=config.unipen_beside,
                          unipen_rare=config.unipen_rare,
                          exclude=exclude)
    except (FileNotFoundError, ValueError) as err:
        parser.error(f"--data_dir: {err}")


def grow_checkpoint(model_dir, config, alphabet):
    """Rewrite model_dir's latest checkpoint for a larger alphabet (model.grow_alphabet),
    without optimizer state (the run warms up afresh), and its config.json: the config."""
    import tensorflow as tf

    from model import (
        BATCH_RNG,
        build_model,
        checkpoint_for,
        checkpoint_manager,
        grow_alphabet,
    )

    latest = tf.train.latest_checkpoint(str(model_dir))
    model = build_model(config)
    step = tf.Variable(0, dtype=tf.int64, trainable=False)
    rng = tf.Variable("", dtype=tf.string, trainable=False)
    checkpoint_for(model, step=step, **{BATCH_RNG: rng}).read(latest).expect_partial()
    grown_config = dataclasses.replace(config, alphabet=alphabet)
    grown = build_model(grown_config)
    grow_alphabet(model, grown)
    checkpoint_manager(checkpoint_for(grown, step=step, **{BATCH_RNG: rng}), model_dir).save(
        checkpoint_number=int(step.numpy()))
    grown_config.save(model_dir)
    return grown_config


def train(config, run, resuming, parser, verbose=False):
    """Train as resolve_config said; usage errors (unreadable data) through parser.
    TensorFlow loads (quiet_tensorflow) once the data has been read."""
    model_dir = Path(run.model_dir)
    if run.overwrite and model_dir.exists():
        for old in [*model_dir.glob(f"{CHECKPOINT_NAME}-*"), model_dir / "checkpoint",
                    model_dir / LOG_NAME]:
            old.unlink()
    model_dir.mkdir(parents=True, exist_ok=True)
    try:
        exclude = read_line_ids(config.exclude) if config.exclude else ()
    except (OSError, ValueError) as err:
        parser.error(f"--exclude {config.exclude} (config.json keeps it): {err}. Make the "
                     f"list with `python evaluate.py --model_dir MODEL --data_dir DATA "
                     f"--overruns {config.exclude}`, or give --exclude '' to train on every "
                     "line")
    characters = read_unipen(config, run, parser)
    loader = load_data(config, run, parser, exclude, characters,
                       config.alphabet if resuming and not run.grow_alphabet else None)
    if kinds.of(config).paired and not resuming:
        # the characters it will write, or read: its training texts'
        config = dataclasses.replace(config, alphabet=loader.alphabet)
    quiet_tensorflow(verbose)
    if resuming and run.grow_alphabet:
        grown = "".join(sorted(set(config.alphabet) | set(loader.alphabet)))
        if grown != config.alphabet:
            print(f"growing the alphabet of {model_dir} by "
                  f"{''.join(sorted(set(grown) - set(config.alphabet)))!r}", file=sys.stderr)
            config = grow_checkpoint(model_dir, config, grown)
        if grown != loader.alphabet:
            loader = load_data(config, run, parser, exclude, characters, grown)
    loader = kinds.of(config).batches(loader, config)
    strategy = make_strategy(run.strategy)
    if config.batch_size % strategy.num_replicas_in_sync:
        parser.error(f"--batch_size {config.batch_size} does not split evenly over "
                     f"{strategy.num_replicas_in_sync} replicas")
    trainer = Trainer(config, loader, model_dir, strategy, run.seed, run.warmup_steps)
    if resuming and trainer.restore():
        print(f"resuming {model_dir} at step {int(trainer.step.numpy())}", file=sys.stderr)
    config.save(model_dir)

    total = config.num_epochs * loader.num_batches
    if run.max_steps is not None:
        total = min(total, run.max_steps)
    deadline = time.time() + 60 * run.max_minutes if run.max_minutes else math.inf
    log = Log(model_dir, int(trainer.step.numpy()))
    try:
        with StopFlag() as stop:
            return _loop(trainer, loader, log, run, total, deadline, stop)
    finally:
        log.close()


def _postfix(epoch, train, valid, speed, kind):
    """The progress bar's figures: the epoch, the kind's losses (Kind.progress), speed."""
    speed = "-" if speed in (None, "") else format(speed, ",.0f")
    return f"epoch {epoch} | {kind.progress(train, valid)} | {speed} points/s"


def _give_up_if_bad(bad_in_a_row, step, model_dir):
    if bad_in_a_row >= MAX_BAD_STEPS:
        raise FloatingPointError(
            f"{bad_in_a_row} non-finite losses or gradients in a row at step {step}; "
            f"the last good checkpoint in {model_dir} is intact. Try a lower "
            f"--learning_rate or --grad_clip.")


def _loop(trainer, loader, log, run, total, deadline, stop):
    from tqdm.auto import tqdm

    config, kind = trainer.config, kinds.of(trainer.config)
    offset = kind.loss_offset(config)  # the training loss in the progress bar's units
    step = int(trainer.step.numpy())
    losses, skipped, bad_in_a_row, valid, last_valid = [], 0, 0, {}, None
    # points/s counts from the end of the session's first step, which compiles
    bar, clock, points = None, None, 0
    started = time.perf_counter()  # train_s: log.train_s before this session, plus this
    last_saved = step
    # the run's end: the last step, --max_minutes, or Ctrl-C or SIGTERM (then the step
    # under way finishes)
    ended = lambda: step >= total or stop.signal is not None or time.time() >= deadline
    last = ended()
    try:
        while not last:
            epoch = step // loader.num_batches
            lr = trainer.learning_rate(epoch, step)
            trainer.optimizer.learning_rate.assign(lr)
            batch = loader.next_batch()
            loss, applied = trainer.train_step(batch)
            if bar is None:  # after the compilation, and what it logs in --verbose
                bar = tqdm(total=total, initial=step, unit="step", dynamic_ncols=True,
                           file=sys.stderr)
                clock = time.perf_counter()
            else:
                points += loader.points_in(batch)
            step += 1
            if applied:
                losses.append(loss)
                bad_in_a_row = 0
            else:
                skipped += 1
                bad_in_a_row += 1
            # validate every validate_every steps, and once more at the end of the run,
            # however it ends: a short run shows a validation figure too
            last = ended()
            if run.validate_every and (step % run.validate_every == 0 or last):
                validation_started = time.perf_counter()
                valid = trainer.validate()
                last_valid = valid.get(kind.progress_figure, last_valid)
                clock += time.perf_counter() - validation_started  # points/s: training only
            if step % run.log_every == 0 or valid:
                now = time.perf_counter()
                speed = points / (now - clock) if points else ""  # none yet: only the first
                row = {"step": step, "epoch": epoch, "learning_rate": lr,
                       "train_nll": float(np.mean(losses)) if losses else "",
                       **{field: valid.get(key, "") for field, key in VALID_FIELDS.items()},
                       "points_per_s": speed, "skipped": skipped,
                       "train_s": log.train_s + now - started}
                log.write(row)
                train_raw = row["train_nll"] + offset if losses else None
                bar.set_postfix_str(_postfix(epoch, train_raw, last_valid, speed, kind))
                losses, valid, clock, points = [], {}, time.perf_counter(), 0
            bar.update(1)
            _give_up_if_bad(bad_in_a_row, step, run.model_dir)
            if step % run.save_every == 0:
                trainer.save()
                last_saved = step
    finally:
        if bar is not None:
            bar.close()
        if step != last_saved:
            path = trainer.save()
            print(f"saved {path}", file=sys.stderr)
    return {"step": step, "stopped_by": stop.signal, "skipped": skipped}


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    config, run, resuming = resolve_config(args, parser)  # usage errors, before TensorFlow
    result = train(config, run, resuming, parser, args.verbose)
    if result["stopped_by"]:
        sys.exit(128 + getattr(signal, result["stopped_by"]))


if __name__ == "__main__":
    main()
