"""Training: learning, exact resumption, signals, refusal of a foreign model_dir,
validation and its log columns, the learning-rate schedule, RMSprop, --max_minutes and
--save_every, tf.distribute on two devices and on two worker processes, and the same for
train.py --synthesis. Tiny networks on conftest's generated data folders."""

import csv
import json
import math
import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import reference
import tiny

import train
from model import load_network
from ship import ship
from utils import DataLoader, WindowBatch

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--rnn_size", "16", "--num_mixture", "3", "--batch_size", "8", "--seq_length", "20",
        "--learning_rate", "0.01", "--validate_every", "0", "--log_every", "1"]


def run(data_dir, model_dir, *extra):
    return train.main(["--data_dir", str(data_dir), "--model_dir", str(model_dir), *TINY,
                       *map(str, extra)])


def read_log(model_dir):
    with open(Path(model_dir) / "log.csv") as f:
        return list(csv.DictReader(f))


@pytest.mark.slow
def test_a_tiny_model_learns(random_data_dir, tmp_path):
    run(random_data_dir, tmp_path, "--max_steps", 80, "--seed", 1)
    losses = [float(row["train_nll"]) for row in read_log(tmp_path)]
    assert len(losses) == 80
    assert np.mean(losses[-10:]) < np.mean(losses[:10]) - 0.5
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["rnn_size"] == 16 and config["num_mixture"] == 3


def test_the_training_loss_is_eq_26_of_the_model_outputs(tmp_path):
    """The loss a step reports (and differentiates) is model.nll, checked against numpy."""
    import tensorflow as tf

    from model import Config

    rng = np.random.default_rng(4)
    x = rng.normal(size=(4, 9, 3)).astype(np.float32)
    y = rng.normal(size=(4, 9, 3)).astype(np.float32)
    x[..., 2], y[..., 2] = rng.random((4, 9)) < 0.2, rng.random((4, 9)) < 0.2
    config = Config(rnn_size=8, num_mixture=3, keep_prob=1.0)  # no dropout: deterministic
    trainer = train.Trainer(config, None, tmp_path, tf.distribute.get_strategy(), seed=0)
    z = trainer.model(tf.constant(x))[0].numpy()
    loss, applied = trainer.train_step(WindowBatch(x, y))
    assert applied
    assert loss == pytest.approx(float(reference.nll(z, y).mean()), rel=1e-5)


def test_resumed_run_equals_uninterrupted_run(random_data_dir, tmp_path):
    run(random_data_dir, tmp_path / "whole", "--max_steps", 12, "--seed", 3, "--keep_prob", 0.7)
    run(random_data_dir, tmp_path / "split", "--max_steps", 5, "--seed", 3, "--keep_prob", 0.7)
    run(random_data_dir, tmp_path / "split", "--max_steps", 12, "--seed", 3, "--keep_prob", 0.7)
    whole, split = load_network(tmp_path / "whole"), load_network(tmp_path / "split")
    for a, b in zip(whole.weights, split.weights, strict=True):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, atol=1e-7)
    assert [r["step"] for r in read_log(tmp_path / "split")] == [str(s) for s in range(1, 13)]
    # the uninterrupted run's own weights moved, so the comparison means something
    fresh = load_network(tmp_path / "split")
    run(random_data_dir, tmp_path / "split", "--max_steps", 14, "--seed", 3, "--keep_prob", 0.7)
    moved = load_network(tmp_path / "split")
    assert not np.allclose(fresh.weights[0].numpy(), moved.weights[0].numpy())


def test_a_different_architecture_is_refused(random_data_dir, tmp_path, capsys):
    run(random_data_dir, tmp_path, "--max_steps", 2)
    with pytest.raises(SystemExit) as exit_info:
        train.main(["--data_dir", str(random_data_dir), "--model_dir", str(tmp_path),
                    *TINY[:-8], "--rnn_size", "32", "--num_mixture", "3"])
    assert exit_info.value.code == 2
    message = capsys.readouterr().err
    assert "--rnn_size 32" in message and "--overwrite" in message
    # --overwrite starts afresh with the new shape
    train.main(["--data_dir", str(random_data_dir), "--model_dir", str(tmp_path), *TINY,
                "--rnn_size", "32", "--max_steps", "1", "--overwrite"])
    assert load_network(tmp_path).config.rnn_size == 32


def resume(data_dir, model_dir, *flags):
    """Run train.py on model_dir with no model flags but those given."""
    return train.main(["--data_dir", str(data_dir), "--model_dir", str(model_dir),
                       "--validate_every", "0", "--log_every", "1", *map(str, flags)])


def test_a_given_training_flag_overrides_the_saved_one_and_an_absent_one_keeps_it(
        random_data_dir, tmp_path):
    saved = lambda: json.loads((tmp_path / "config.json").read_text())  # noqa: E731
    run(random_data_dir, tmp_path, "--max_steps", 2)  # --learning_rate 0.01
    assert saved()["learning_rate"] == 0.01
    # 0.005 is Config's default: given, it still overrides the saved 0.01
    resume(random_data_dir, tmp_path, "--max_steps", 3, "--learning_rate", 0.005)
    assert saved()["learning_rate"] == 0.005
    assert float(read_log(tmp_path)[-1]["learning_rate"]) == 0.005  # and it trained with it
    resume(random_data_dir, tmp_path, "--max_steps", 4, "--learning_rate", 0.002,
           "--keep_prob", 0.9)
    resume(random_data_dir, tmp_path, "--max_steps", 5)  # nothing given: everything as saved
    assert saved()["learning_rate"] == 0.002 and saved()["keep_prob"] == 0.9
    assert saved()["rnn_size"] == 16 and saved()["num_mixture"] == 3  # the model, kept
    assert read_log(tmp_path)[-1]["step"] == "5"


def test_a_given_architecture_flag_must_match_the_saved_model(random_data_dir, tmp_path, capsys):
    run(random_data_dir, tmp_path, "--max_steps", 2)  # --rnn_size 16
    before = (tmp_path / "config.json").read_text()
    # 256 is Config's default: given, it is still a request for another model
    with pytest.raises(SystemExit) as exit_info:
        resume(random_data_dir, tmp_path, "--max_steps", 3, "--rnn_size", 256)
    assert exit_info.value.code == 2
    message = capsys.readouterr().err
    assert "--rnn_size 256 (saved: 16)" in message and "--overwrite" in message
    assert (tmp_path / "config.json").read_text() == before
    assert read_log(tmp_path)[-1]["step"] == "2"
    # the saved model's own value is no clash
    resume(random_data_dir, tmp_path, "--max_steps", 3, "--rnn_size", 16, "--num_mixture", 3)
    assert read_log(tmp_path)[-1]["step"] == "3"


def poison_the_batches(monkeypatch):
    """From now on every batch the DataLoader gives has NaN inputs, whatever its kind."""
    real = train.DataLoader.next_batch
    monkeypatch.setattr(train.DataLoader, "next_batch",
                        lambda self: (batch := real(self))._replace(x=batch.x * np.nan))


def test_non_finite_steps_are_skipped_then_stop_the_run(random_data_dir, tmp_path, monkeypatch):
    run(random_data_dir, tmp_path, "--max_steps", 3, "--seed", 1)
    before = [w.numpy() for w in load_network(tmp_path).weights]
    poison_the_batches(monkeypatch)
    with pytest.raises(FloatingPointError, match="non-finite"):
        run(random_data_dir, tmp_path, "--max_steps", 100)
    after = load_network(tmp_path)
    for a, b in zip(before, after.weights, strict=True):
        np.testing.assert_array_equal(a, b.numpy())
    assert read_log(tmp_path)[-1]["skipped"] == str(train.MAX_BAD_STEPS)


@pytest.mark.slow
def test_sigint_leaves_a_loadable_checkpoint(random_data_dir, tmp_path):
    model_dir = tmp_path / "model"
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "train.py"), "--data_dir", str(random_data_dir),
         "--model_dir", str(model_dir), *TINY, "--save_every", "100000"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    log = model_dir / "log.csv"
    deadline = time.time() + 120
    while time.time() < deadline and (not log.exists() or len(log.read_text().splitlines()) < 4):
        time.sleep(0.5)
    assert proc.poll() is None, proc.communicate()[1][-2000:]
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGINT, err[-2000:]
    assert "saved" in err
    model = load_network(model_dir)
    steps = int(read_log(model_dir)[-1]["step"])
    assert steps >= 3 and model.config.rnn_size == 16
    assert (model_dir / f"ckpt-{steps}.index").exists()


@pytest.mark.slow
def test_mirrored_strategy_step_gives_the_single_device_loss(random_data_dir, tmp_path):
    script = textwrap.dedent(f"""
        import sys
        import numpy as np
        import tensorflow as tf
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        sys.path.insert(0, {str(ROOT)!r})
        import train
        from model import Config
        from utils import DataLoader
        config = Config(rnn_size=16, num_mixture=3, batch_size=8, seq_length=20, keep_prob=1.0)
        loader = DataLoader({str(random_data_dir)!r}, 8, 20, seed=0, progress=False)
        batch = loader.next_batch()
        losses = []
        for strategy in (tf.distribute.get_strategy(),
                         tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])):
            trainer = train.Trainer(config, loader, {str(tmp_path)!r}, strategy, seed=5)
            losses.append(trainer.train_step(batch)[0])
            losses.append(trainer.train_step(batch)[0])
        print(strategy.num_replicas_in_sync, *losses)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=300, env={**os.environ, "CUDA_VISIBLE_DEVICES": ""})
    assert out.returncode == 0, out.stderr[-3000:]
    replicas, single, single_next, mirrored, mirrored_next = out.stdout.split()[-5:]
    assert replicas == "2"
    assert float(mirrored) == pytest.approx(float(single), rel=1e-5)
    # and the update applied across replicas is the single-device update
    assert float(mirrored_next) == pytest.approx(float(single_next), rel=1e-4)


def free_ports(n):
    """n distinct free TCP ports on 127.0.0.1 (held open together, so that they differ)."""
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


# train.main as `python train.py` runs it, then the number of replicas it trained on
WORKER = textwrap.dedent("""
    import sys
    import train
    made = []
    real = train.make_strategy
    train.make_strategy = lambda name: made.append(real(name)) or made[-1]
    train.main(sys.argv[1:])
    print("replicas", made[0].num_replicas_in_sync)
""")


@pytest.mark.slow
@pytest.mark.timeout(420)
def test_multi_worker_strategy_on_two_processes_trains_as_one_process(random_data_dir,
                                                                      tmp_path):
    """--strategy multi_worker: two worker processes on 127.0.0.1, told of each other by
    TF_CONFIG, each training on half of every batch, train as one process does."""
    try:
        ports = free_ports(2)
    except OSError as err:
        pytest.skip(f"this platform cannot open TCP ports on 127.0.0.1: {err}")
    flags = ["--data_dir", str(random_data_dir), *TINY, "--keep_prob", "1.0", "--seed", "3",
             "--max_steps", "4"]
    cluster = {"worker": [f"127.0.0.1:{port}" for port in ports]}
    workers = []
    for index in range(2):
        env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "PYTHONPATH": str(ROOT),
               "TF_CONFIG": json.dumps({"cluster": cluster,
                                        "task": {"type": "worker", "index": index}})}
        workers.append(subprocess.Popen(
            [sys.executable, "-c", WORKER, *flags, "--strategy", "multi_worker",
             "--model_dir", str(tmp_path / f"worker{index}")],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    outputs = []
    try:
        for worker in workers:
            outputs.append(worker.communicate(timeout=300))
    finally:
        for worker in workers:
            if worker.poll() is None:  # one hung: end both, then say so below
                worker.kill()
                worker.communicate()
    for worker, (out, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err[-3000:]
        assert "replicas 2" in out  # one replica in each process, in sync
    train.main([*flags, "--model_dir", str(tmp_path / "one")])
    one = read_log(tmp_path / "one")
    single = load_network(tmp_path / "one")
    for index in range(2):
        rows = read_log(tmp_path / f"worker{index}")
        assert [row["step"] for row in rows] == [row["step"] for row in one]
        for row, want in zip(rows, one, strict=True):  # the log holds 6 significant digits
            assert float(row["train_nll"]) == pytest.approx(float(want["train_nll"]), rel=1e-5)
        model = load_network(tmp_path / f"worker{index}")
        for a, b in zip(model.weights, single.weights, strict=True):
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("flags, named", [(["--keep_prob", "1.5"], "--keep_prob"),
                                          (["--batch_size", "0"], "--batch_size"),
                                          (["--learning_rate", "-1"], "--learning_rate"),
                                          (["--save_every", "0"], "--save_every"),
                                          (["--log_every", "0"], "--log_every"),
                                          (["--validate_every", "-5"], "--validate_every"),
                                          (["--learning_rate", "nan"], "--learning_rate"),
                                          (["--peephole", "--model", "gru"], "--peephole")])
def test_out_of_range_flags_are_usage_errors(random_data_dir, tmp_path, capsys, flags, named):
    with pytest.raises(SystemExit) as exit_info:
        run(random_data_dir, tmp_path, *flags)
    assert exit_info.value.code == 2
    assert named in capsys.readouterr().err
    assert not (tmp_path / "config.json").exists()


# ---------------------------------------------------------------- validation, schedule, saving

VALID_COLUMNS = ("valid_nll_model", "valid_nll_raw", "valid_nll_seq")


def test_validation_fills_its_columns_every_validate_every_steps_and_at_the_end(
        random_data_dir, tmp_path):
    run(random_data_dir, tmp_path, "--max_steps", 7, "--validate_every", 3, "--seed", 2)
    rows = read_log(tmp_path)
    assert [row["step"] for row in rows] == [str(s) for s in range(1, 8)]
    for row in rows:  # the three columns together, on steps 3 and 6, and 7 (the last)
        assert [bool(row[k]) for k in VALID_COLUMNS] == [row["step"] in ("3", "6", "7")] * 3
    validated = [row for row in rows if row["valid_nll_model"]]
    offset = 2 * math.log(20)  # data_scale 20: model units -> raw tablet units
    for row in validated:
        assert float(row["valid_nll_raw"]) == pytest.approx(
            float(row["valid_nll_model"]) + offset, abs=2e-4)
    assert len({row["valid_nll_model"] for row in validated}) == 3  # the model moved
    # the last figures: the saved weights on the validation lines, each line alone
    lines = DataLoader(random_data_dir, seq_length=20, progress=False).valid_data
    nll, points = reference.line_by_line_nll(load_network(tmp_path), lines)
    assert len(lines) == 2 and points == sum(len(line) - 1 for line in lines)
    last = rows[-1]
    assert float(last["valid_nll_model"]) == pytest.approx(nll.sum() / points, rel=1e-4)
    assert float(last["valid_nll_seq"]) == pytest.approx(
        (nll.sum() + offset * points) / len(lines), rel=1e-4)


def optimizer_slots(model_dir):
    """The optimizer's variables in the latest checkpoint of model_dir, in order:
    iterations, learning rate, then its accumulators in the order of the weights."""
    import tensorflow as tf

    path = tf.train.latest_checkpoint(str(model_dir))
    names = [n for n, _ in tf.train.list_variables(path) if n.startswith("optimizer/slot")]
    names.sort(key=lambda n: int(n.split("/")[1][len("slot"):]))
    return [tf.train.load_variable(path, n) for n in names]


def test_the_learning_rate_decays_once_an_epoch(random_data_dir, tmp_path):
    shape = ("--batch_size", 40, "--seq_length", 50)  # 2,000 points a batch
    loader = DataLoader(random_data_dir, 40, 50, progress=False)
    per_epoch = sum(map(len, loader.data)) // 2000  # as many points as the data holds
    assert loader.num_batches == per_epoch == 2
    run(random_data_dir, tmp_path, *shape, "--max_steps", 7, "--decay_rate", 0.5)
    rows = read_log(tmp_path)
    epochs = [(step - 1) // per_epoch for step in range(1, 8)]
    assert [int(row["epoch"]) for row in rows] == epochs == [0, 0, 1, 1, 2, 2, 3]
    for row, epoch in zip(rows, epochs):
        assert float(row["learning_rate"]) == pytest.approx(0.01 * 0.5 ** epoch, rel=1e-6)
    # and the optimizer ran with the last of them
    assert optimizer_slots(tmp_path)[1] == pytest.approx(0.01 * 0.5 ** 3, rel=1e-6)


def test_rmsprop_trains_keeps_its_accumulators_in_the_checkpoint_and_resumes_exactly(
        random_data_dir, tmp_path):
    flags = ("--optimizer", "rmsprop", "--seed", 4, "--keep_prob", 0.8)
    run(random_data_dir, tmp_path / "whole", "--max_steps", 10, *flags)
    run(random_data_dir, tmp_path / "split", "--max_steps", 4, *flags)
    run(random_data_dir, tmp_path / "split", "--max_steps", 10, *flags)
    whole, split = load_network(tmp_path / "whole"), load_network(tmp_path / "split")
    assert whole.config.optimizer == "rmsprop"
    for a, b in zip(whole.weights, split.weights, strict=True):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, atol=1e-7)
    losses = [float(row["train_nll"]) for row in read_log(tmp_path / "whole")]
    assert np.mean(losses[-3:]) < np.mean(losses[:3]) - 0.5
    # RMSprop's state: its step count, its learning rate, and one running mean of the
    # squared gradient per weight (Adam keeps two per weight)
    iterations, learning_rate, *accumulators = optimizer_slots(tmp_path / "whole")
    assert iterations == 10 and learning_rate == pytest.approx(0.01)
    trainable = whole.trainable_weights
    assert [a.shape for a in accumulators] == [tuple(w.shape) for w in trainable]
    assert all((a >= 0).all() and (a > 0).any() for a in accumulators)


def slow_steps(monkeypatch, seconds):
    """Make every train_step take `seconds` longer."""
    real = train.Trainer.train_step

    def step(self, batch):
        time.sleep(seconds)
        return real(self, batch)

    monkeypatch.setattr(train.Trainer, "train_step", step)


def test_max_minutes_stops_the_run_and_saves(random_data_dir, tmp_path, monkeypatch, capsys):
    slow_steps(monkeypatch, 0.5)
    run(random_data_dir, tmp_path, "--max_minutes", 0.05, "--max_steps", 1000,
        "--save_every", 1000)
    steps = int(read_log(tmp_path)[-1]["step"])
    # 3 s of half-second steps: a few, then a save, long before max_steps
    assert 1 <= steps <= 7
    assert f"saved {tmp_path / f'ckpt-{steps}'}" in capsys.readouterr().err
    assert checkpoint_step(tmp_path / f"ckpt-{steps}") == steps
    assert load_network(tmp_path).config.rnn_size == 16


def signal_after_step(monkeypatch, at, signum):
    """Send this process signum once train_step has run `at` times, as Ctrl-C or kill
    would between two steps."""
    real, calls = train.Trainer.train_step, []

    def step(self, batch):
        calls.append(self)
        result = real(self, batch)
        if len(calls) == at:
            os.kill(os.getpid(), signum)
        return result

    monkeypatch.setattr(train.Trainer, "train_step", step)


@pytest.mark.parametrize("ending", ["max_steps", "max_minutes", "SIGINT", "SIGTERM"])
def test_a_run_validates_at_its_end_however_it_ends(random_data_dir, tmp_path, monkeypatch,
                                                      capsys, ending):
    # a short first run shows a validation figure, though it is far from validate_every
    flags = ["--validate_every", 500, "--save_every", 1000, "--max_steps", 1000]
    if ending == "max_steps":
        flags[-1] = 4
    if ending == "max_minutes":
        slow_steps(monkeypatch, 0.5)
        flags += ["--max_minutes", 0.05]
    if ending.startswith("SIG"):
        signum = getattr(signal, ending)
        signal_after_step(monkeypatch, 3, signum)
        with pytest.raises(SystemExit) as stopped:
            run(random_data_dir, tmp_path, *flags)
        assert stopped.value.code == 128 + signum
    else:
        run(random_data_dir, tmp_path, *flags)
    rows = read_log(tmp_path)
    assert 1 <= len(rows) < 500
    # the last step validated, and only the last
    assert [bool(row["valid_nll_model"]) for row in rows] == [False] * (len(rows) - 1) + [True]
    assert all(rows[-1][k] for k in VALID_COLUMNS)
    shown = re.findall(r"valid (-|[\d.]+)", capsys.readouterr().err)
    # the bar rounds the figure to 3 decimals, the log to 6 significant digits
    assert shown and shown[-1] != "-"
    assert float(shown[-1]) == pytest.approx(float(rows[-1]["valid_nll_raw"]), abs=1.1e-3)


def checkpoint_step(path):
    """The step a checkpoint file holds."""
    import tensorflow as tf

    return int(tf.train.load_variable(str(path), "step/.ATTRIBUTES/VARIABLE_VALUE"))


def test_save_every_saves_at_its_steps_and_keeps_the_last_two(random_data_dir, tmp_path):
    saved = lambda: sorted(p.stem for p in tmp_path.glob("ckpt-*.index"))  # noqa: E731
    run(random_data_dir, tmp_path, "--max_steps", 6, "--save_every", 3, "--seed", 1)
    assert saved() == ["ckpt-3", "ckpt-6"]
    assert [checkpoint_step(tmp_path / name) for name in saved()] == [3, 6]
    run(random_data_dir, tmp_path, "--max_steps", 10, "--save_every", 3, "--seed", 1)
    # step 9 by the rule (of the steps in all, not of this session's), 10 at the end;
    # two kept, so 3 and 6 are gone
    assert saved() == ["ckpt-10", "ckpt-9"]
    assert [checkpoint_step(tmp_path / name) for name in saved()] == [10, 9]


# ---------------------------------------------------------------- what a run shows and logs


def test_the_bar_shows_train_and_valid_in_raw_units_as_the_log_has_them(random_data_dir, tmp_path,
                                                                          capsys):
    run(random_data_dir, tmp_path, "--max_steps", 6, "--validate_every", 6, "--log_every", 6)
    last = read_log(tmp_path)[-1]
    bar = capsys.readouterr().err
    shown = re.findall(r"nats/point \(raw units\): train ([\d.]+), valid ([\d.]+)", bar)[-1]
    offset = 2 * np.log(20)  # model units -> raw tablet units, data_scale 20
    assert float(shown[0]) == pytest.approx(float(last["train_nll"]) + offset, abs=1e-3)
    assert float(shown[1]) == pytest.approx(float(last["valid_nll_raw"]), abs=1e-3)


def slow_first_step(monkeypatch, seconds):
    """Make the first train_step of every session take `seconds` longer, as compiling does."""
    real, calls = train.Trainer.train_step, []

    def step(self, batch):
        if not any(trainer is self for trainer in calls):
            calls.append(self)
            time.sleep(seconds)
        return real(self, batch)

    monkeypatch.setattr(train.Trainer, "train_step", step)


def test_points_per_s_leaves_out_the_first_step_of_a_session(random_data_dir, tmp_path,
                                                              monkeypatch):
    slow_first_step(monkeypatch, 1.0)
    run(random_data_dir, tmp_path, "--max_steps", 2)
    run(random_data_dir, tmp_path, "--max_steps", 6, "--log_every", 2)  # resumed
    rows = read_log(tmp_path)
    # the first row of each session has no step but the slow one to count: no figure
    assert rows[0]["points_per_s"] == ""
    # 160 points in one ordinary step; with the second of the first counted, under 160
    assert float(rows[2]["step"]) == 4 and float(rows[2]["points_per_s"]) > 400


def test_train_s_counts_seconds_of_training_across_sessions(random_data_dir, tmp_path):
    run(random_data_dir, tmp_path, "--max_steps", 3)
    run(random_data_dir, tmp_path, "--max_steps", 6)
    seconds = [float(row["train_s"]) for row in read_log(tmp_path)]
    assert len(seconds) == 6 and 0 < seconds[0] < 600  # not a Unix time
    assert all(b > a for a, b in zip(seconds, seconds[1:]))


def test_a_log_of_fewer_columns_is_rewritten_in_the_new_layout(random_data_dir, tmp_path):
    run(random_data_dir, tmp_path, "--max_steps", 4)
    rows = read_log(tmp_path)
    old = [f for f in train.LOG_FIELDS if not f.startswith("valid_cer")
           and f != "valid_unipen_cer"]  # the layout of the shipped save/log.csv
    with open(tmp_path / "log.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, old, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    run(random_data_dir, tmp_path, "--max_steps", 6)
    with open(tmp_path / "log.csv") as f:
        assert f.readline().strip() == ",".join(train.LOG_FIELDS)
    again = read_log(tmp_path)
    assert [row["step"] for row in again] == ["1", "2", "3", "4", "5", "6"]
    assert [row["train_s"] for row in again[:4]] == [row["train_s"] for row in rows]


# ---------------------------------------------------------------- synthesis (train.py --synthesis)
#
# TINY's network with the soft window, on conftest's font_data (xmlgen.FONT)

SYNTHESIS = ("--synthesis", "--num_layers", 2, "--window_mixtures", 2)


def test_a_resumed_synthesis_run_equals_an_uninterrupted_one(font_data, tmp_path):
    data_dir, _ = font_data
    flags = ("--seed", 5, "--keep_prob", 0.9)
    run(data_dir, tmp_path / "whole", *SYNTHESIS, "--max_steps", 6, *flags)
    run(data_dir, tmp_path / "split", *SYNTHESIS, "--max_steps", 3, *flags)
    halfway = [w.numpy() for w in load_network(tmp_path / "split").weights]
    # the same --synthesis and --window_mixtures as the saved model's: no clash
    run(data_dir, tmp_path / "split", *SYNTHESIS, "--max_steps", 6, *flags)
    whole, split = load_network(tmp_path / "whole"), load_network(tmp_path / "split")
    assert whole.config.synthesis and whole.alphabet == "abcdef"
    for a, b in zip(whole.weights, split.weights, strict=True):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, atol=1e-7)
    assert [r["step"] for r in read_log(tmp_path / "split")] == [str(s) for s in range(1, 7)]
    assert [r["train_nll"] for r in read_log(tmp_path / "split")] == \
        [r["train_nll"] for r in read_log(tmp_path / "whole")]
    # the second session moved the weights, so the comparison means something
    assert not np.allclose(halfway[0], split.weights[0].numpy())


def test_synthesis_validation_scores_the_validation_lines_with_their_texts(font_data,
                                                                            tmp_path):
    data_dir, _ = font_data
    run(data_dir, tmp_path, *SYNTHESIS, "--max_steps", 4, "--validate_every", 2, "--seed", 1)
    rows = read_log(tmp_path)
    assert [row["step"] for row in rows if row["valid_nll_model"]] == ["2", "4"]
    model = load_network(tmp_path)
    # the unconditional model's validation lines (every 20th longer than seq_length + 2
    # points) with their texts
    loader = DataLoader(data_dir, seq_length=20, texts=True, alphabet=model.alphabet,
                        progress=False)
    lines, texts = loader.valid_data, loader.valid_texts
    assert len(lines) >= 2 and all(len(line) > 22 for line in lines)
    nll, points = reference.line_by_line_nll(model, lines, texts)
    offset = 2 * math.log(20)
    last = rows[-1]
    assert float(last["valid_nll_model"]) == pytest.approx(nll.sum() / points, rel=1e-4)
    assert float(last["valid_nll_raw"]) == pytest.approx(nll.sum() / points + offset, rel=1e-4)
    assert float(last["valid_nll_seq"]) == pytest.approx(
        (nll.sum() + offset * points) / len(lines), rel=1e-4)
    # the text matters to the figure: the same lines read with other texts score otherwise
    shuffled, _ = reference.line_by_line_nll(model, lines, texts[1:] + texts[:1])
    assert not np.isclose(shuffled.sum(), nll.sum(), rtol=1e-4)


def test_non_finite_synthesis_steps_are_skipped_then_stop_the_run(font_data, tmp_path,
                                                                   monkeypatch):
    data_dir, _ = font_data
    run(data_dir, tmp_path, *SYNTHESIS, "--max_steps", 2, "--seed", 1)
    before = [w.numpy() for w in load_network(tmp_path).weights]
    poison_the_batches(monkeypatch)
    with pytest.raises(FloatingPointError, match="non-finite"):
        run(data_dir, tmp_path, *SYNTHESIS, "--max_steps", 100)
    for a, b in zip(before, load_network(tmp_path).weights, strict=True):
        np.testing.assert_array_equal(a, b.numpy())
    assert read_log(tmp_path)[-1]["skipped"] == str(train.MAX_BAD_STEPS)


@pytest.mark.parametrize("saved, flags, clash", [
    ({"synthesis": True, "alphabet": "abcdef", "window_mixtures": 2, "num_layers": 2},
     ["--window_mixtures", "3"], "--window_mixtures 3 (saved: 2)"),
    ({}, ["--synthesis"], "--synthesis True (saved: False)"),
])
def test_synthesis_flags_that_do_not_fit_the_saved_model_are_refused(font_data, tmp_path,
                                                                      capsys, saved, flags,
                                                                      clash):
    data_dir, _ = font_data
    tiny.save_tiny_model(tmp_path, **saved)
    before = json.loads((tmp_path / "config.json").read_text())
    with pytest.raises(SystemExit) as exit_info:
        train.main(["--data_dir", str(data_dir), "--model_dir", str(tmp_path),
                    "--max_steps", "1", *flags])
    assert exit_info.value.code == 2
    message = capsys.readouterr().err
    assert clash in message and "--overwrite" in message
    assert json.loads((tmp_path / "config.json").read_text()) == before
    assert not (tmp_path / "log.csv").exists()


def test_synthesis_without_validation_lines_trains_and_logs_no_validation(font_data, tmp_path):
    """Lines all shorter than seq_length + 2 points: none is held out for validation,
    and validating must not fail on an empty set."""
    data_dir, _ = font_data
    run(data_dir, tmp_path, *SYNTHESIS, "--seq_length", 300, "--max_steps", 3,
        "--validate_every", 2)
    rows = read_log(tmp_path)
    assert [r["step"] for r in rows] == ["1", "2", "3"]
    assert all(r["valid_nll_raw"] == "" for r in rows)


def test_a_resumed_run_drops_the_log_rows_after_its_checkpoint(random_data_dir, tmp_path):
    """A run killed between checkpoints logged steps it will train again: those rows go,
    so that every step is in the log once."""
    run(random_data_dir, tmp_path / "whole", "--max_steps", 9, "--seed", 3)
    run(random_data_dir, tmp_path, "--max_steps", 9, "--seed", 3, "--save_every", 4)
    # as if killed at step 9 with its last checkpoint at step 8
    (tmp_path / "checkpoint").write_text('model_checkpoint_path: "ckpt-8"\n')
    run(random_data_dir, tmp_path, "--max_steps", 9, "--seed", 3)
    rows = read_log(tmp_path)
    assert [r["step"] for r in rows] == [str(s) for s in range(1, 10)]
    # the ninth row is the resumed run's, which trains step 9 from the same state
    assert rows[-1]["train_nll"] == read_log(tmp_path / "whole")[-1]["train_nll"]


def test_a_checkpoint_without_optimizer_state_resumes_with_a_fresh_optimizer(random_data_dir,
                                                                             tmp_path, capsys):
    """A run kept small (weights, step and batch RNG, no Adam moments) goes on from its
    step and batch sampler, its optimizer started afresh."""
    import tensorflow as tf

    run(random_data_dir, tmp_path / "full", "--max_steps", 4, "--seed", 3)
    model = load_network(tmp_path / "full")
    small = tmp_path / "small"
    assert ship(tmp_path / "full", small) == 4
    assert not any(n.startswith("optimizer/") for n, _ in
                   tf.train.list_variables(tf.train.latest_checkpoint(str(small))))
    assert (small / "log.csv").read_text() == (tmp_path / "full" / "log.csv").read_text()
    run(random_data_dir, small, "--max_steps", 8, "--seed", 3, "--warmup_steps", 3)
    assert "holds no optimizer state: adam starts afresh" in capsys.readouterr().err
    rows = read_log(small)
    assert [r["step"] for r in rows] == [str(i) for i in range(1, 9)]  # the log goes on
    assert not np.allclose(load_network(small).weights[0].numpy(), model.weights[0].numpy())
    # fresh moments: the learning rate warms up again over --warmup_steps, then holds
    rates = [float(r["learning_rate"]) / 0.01 for r in rows[4:]]
    assert rates == pytest.approx([1 / 3, 2 / 3, 1, 1])


def test_a_resumed_full_checkpoint_does_not_warm_up(random_data_dir, tmp_path):
    run(random_data_dir, tmp_path, "--max_steps", 2, "--seed", 3)
    run(random_data_dir, tmp_path, "--max_steps", 4, "--seed", 3, "--warmup_steps", 3)
    assert [float(r["learning_rate"]) for r in read_log(tmp_path)] == [0.01] * 4


@pytest.mark.parametrize("shipped_dir", ["save", "save/synthesis", "save/recognizer", "save/"])
def test_training_refuses_a_shipped_model_folder_and_says_how_to_continue_it(
        random_data_dir, shipped_dir, capsys):
    with pytest.raises(SystemExit):
        train.main(["--data_dir", str(random_data_dir), "--model_dir",
                    str(ROOT / shipped_dir), *TINY])
    err = capsys.readouterr().err
    assert "ships" in err and "cp -r" in err


@pytest.mark.parametrize("flags, folder", [([], "runs/handwriting"),
                                            (["--synthesis"], "runs/synthesis"),
                                            (["--recognizer"], "runs/recognizer")])
def test_a_new_run_goes_to_a_folder_of_its_own_by_default(flags, folder, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    parser = train.build_parser()
    config, run_options, resuming = train.resolve_config(parser.parse_args(flags), parser)
    assert run_options.model_dir == folder and not resuming
