"""Training: learning, exact resumption, signals, refusal of a foreign model_dir."""

import csv
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from xmlgen import random_lines, write_data_folder

import train
from model import load_model

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--rnn_size", "16", "--num_mixture", "3", "--batch_size", "8", "--seq_length", "20",
        "--learning_rate", "0.01", "--validate_every", "0", "--log_every", "1"]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    rng = np.random.default_rng(0)
    write_data_folder(root, random_lines(rng, rng.integers(60, 200, size=40)))
    return root


def run(data_dir, model_dir, *extra):
    return train.main(["--data_dir", str(data_dir), "--model_dir", str(model_dir), *TINY,
                       *map(str, extra)])


def read_log(model_dir):
    with open(Path(model_dir) / "log.csv") as f:
        return list(csv.DictReader(f))


def test_a_tiny_model_learns(data_dir, tmp_path):
    run(data_dir, tmp_path, "--max_steps", 80, "--seed", 1)
    losses = [float(row["train_nll"]) for row in read_log(tmp_path)]
    assert len(losses) == 80
    assert np.mean(losses[-10:]) < np.mean(losses[:10]) - 0.5
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["rnn_size"] == 16 and config["num_mixture"] == 3


def test_the_training_loss_is_eq_26_of_the_model_outputs(tmp_path):
    """The loss a step reports (and differentiates) is model.nll, checked against numpy."""
    import tensorflow as tf
    from reference import reference_nll

    from model import Config

    rng = np.random.default_rng(4)
    x = rng.normal(size=(4, 9, 3)).astype(np.float32)
    y = rng.normal(size=(4, 9, 3)).astype(np.float32)
    x[..., 2], y[..., 2] = rng.random((4, 9)) < 0.2, rng.random((4, 9)) < 0.2
    config = Config(rnn_size=8, num_mixture=3, keep_prob=1.0)  # no dropout: deterministic
    trainer = train.Trainer(config, None, tmp_path, tf.distribute.get_strategy(), seed=0)
    z = trainer.model(tf.constant(x))[0].numpy()
    loss, applied = trainer.train_step((x, y))
    assert applied
    assert loss == pytest.approx(float(reference_nll(z, y).mean()), rel=1e-5)


def test_resumed_run_equals_uninterrupted_run(data_dir, tmp_path):
    run(data_dir, tmp_path / "whole", "--max_steps", 12, "--seed", 3, "--keep_prob", 0.7)
    run(data_dir, tmp_path / "split", "--max_steps", 5, "--seed", 3, "--keep_prob", 0.7)
    run(data_dir, tmp_path / "split", "--max_steps", 12, "--seed", 3, "--keep_prob", 0.7)
    whole, split = load_model(tmp_path / "whole"), load_model(tmp_path / "split")
    for a, b in zip(whole.weights, split.weights, strict=True):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, atol=1e-7)
    assert [r["step"] for r in read_log(tmp_path / "split")] == [str(s) for s in range(1, 13)]
    # the uninterrupted run's own weights moved, so the comparison means something
    fresh = load_model(tmp_path / "split")
    run(data_dir, tmp_path / "split", "--max_steps", 14, "--seed", 3, "--keep_prob", 0.7)
    moved = load_model(tmp_path / "split")
    assert not np.allclose(fresh.weights[0].numpy(), moved.weights[0].numpy())


def test_a_different_architecture_is_refused(data_dir, tmp_path, capsys):
    run(data_dir, tmp_path, "--max_steps", 2)
    with pytest.raises(SystemExit) as exit_info:
        train.main(["--data_dir", str(data_dir), "--model_dir", str(tmp_path),
                    *TINY[:-8], "--rnn_size", "32", "--num_mixture", "3"])
    assert exit_info.value.code == 2
    message = capsys.readouterr().err
    assert "--rnn_size 32" in message and "--overwrite" in message
    # --overwrite starts afresh with the new shape
    train.main(["--data_dir", str(data_dir), "--model_dir", str(tmp_path), *TINY,
                "--rnn_size", "32", "--max_steps", "1", "--overwrite"])
    assert load_model(tmp_path).config.rnn_size == 32


def resume(data_dir, model_dir, *flags):
    """Run train.py on model_dir with no model flags but those given."""
    return train.main(["--data_dir", str(data_dir), "--model_dir", str(model_dir),
                       "--validate_every", "0", "--log_every", "1", *map(str, flags)])


def test_a_given_training_flag_overrides_the_saved_one_and_an_absent_one_keeps_it(
        data_dir, tmp_path):
    saved = lambda: json.loads((tmp_path / "config.json").read_text())  # noqa: E731
    run(data_dir, tmp_path, "--max_steps", 2)  # --learning_rate 0.01
    assert saved()["learning_rate"] == 0.01
    # 0.005 is Config's default: given, it still overrides the saved 0.01
    resume(data_dir, tmp_path, "--max_steps", 3, "--learning_rate", 0.005)
    assert saved()["learning_rate"] == 0.005
    assert float(read_log(tmp_path)[-1]["learning_rate"]) == 0.005  # and it trained with it
    resume(data_dir, tmp_path, "--max_steps", 4, "--learning_rate", 0.002, "--keep_prob", 0.9)
    resume(data_dir, tmp_path, "--max_steps", 5)  # nothing given: everything as saved
    assert saved()["learning_rate"] == 0.002 and saved()["keep_prob"] == 0.9
    assert saved()["rnn_size"] == 16 and saved()["num_mixture"] == 3  # the model, kept
    assert read_log(tmp_path)[-1]["step"] == "5"


def test_a_given_architecture_flag_must_match_the_saved_model(data_dir, tmp_path, capsys):
    run(data_dir, tmp_path, "--max_steps", 2)  # --rnn_size 16
    before = (tmp_path / "config.json").read_text()
    # 256 is Config's default: given, it is still a request for another model
    with pytest.raises(SystemExit) as exit_info:
        resume(data_dir, tmp_path, "--max_steps", 3, "--rnn_size", 256)
    assert exit_info.value.code == 2
    message = capsys.readouterr().err
    assert "--rnn_size 256 (saved: 16)" in message and "--overwrite" in message
    assert (tmp_path / "config.json").read_text() == before
    assert read_log(tmp_path)[-1]["step"] == "2"
    # the saved model's own value is no clash
    resume(data_dir, tmp_path, "--max_steps", 3, "--rnn_size", 16, "--num_mixture", 3)
    assert read_log(tmp_path)[-1]["step"] == "3"


def test_non_finite_steps_are_skipped_then_stop_the_run(data_dir, tmp_path, monkeypatch):
    run(data_dir, tmp_path, "--max_steps", 3, "--seed", 1)
    before = [w.numpy() for w in load_model(tmp_path).weights]
    real = train.DataLoader.next_batch

    def poisoned(self):
        x, y = real(self)
        return x * np.nan, y

    monkeypatch.setattr(train.DataLoader, "next_batch", poisoned)
    with pytest.raises(FloatingPointError, match="non-finite"):
        run(data_dir, tmp_path, "--max_steps", 100)
    after = load_model(tmp_path)
    for a, b in zip(before, after.weights, strict=True):
        np.testing.assert_array_equal(a, b.numpy())
    assert read_log(tmp_path)[-1]["skipped"] == str(train.MAX_BAD_STEPS)


@pytest.mark.slow
def test_sigint_leaves_a_loadable_checkpoint(data_dir, tmp_path):
    model_dir = tmp_path / "model"
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "train.py"), "--data_dir", str(data_dir),
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
    model = load_model(model_dir)
    steps = int(read_log(model_dir)[-1]["step"])
    assert steps >= 3 and model.config.rnn_size == 16
    assert (model_dir / f"ckpt-{steps}.index").exists()


@pytest.mark.slow
def test_mirrored_strategy_step_gives_the_single_device_loss(data_dir, tmp_path):
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
        loader = DataLoader({str(data_dir)!r}, 8, 20, seed=0, progress=False)
        x, y = loader.next_batch()
        losses = []
        for strategy in (tf.distribute.get_strategy(),
                         tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])):
            trainer = train.Trainer(config, loader, {str(tmp_path)!r}, strategy, seed=5)
            losses.append(trainer.train_step((x, y))[0])
            losses.append(trainer.train_step((x, y))[0])
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


@pytest.mark.parametrize("flags, named", [(["--keep_prob", "1.5"], "--keep_prob"),
                                          (["--batch_size", "0"], "--batch_size"),
                                          (["--learning_rate", "-1"], "--learning_rate"),
                                          (["--save_every", "0"], "--save_every"),
                                          (["--log_every", "0"], "--log_every"),
                                          (["--validate_every", "-5"], "--validate_every"),
                                          (["--learning_rate", "nan"], "--learning_rate"),
                                          (["--peephole", "--model", "gru"], "--peephole")])
def test_out_of_range_flags_are_usage_errors(data_dir, tmp_path, capsys, flags, named):
    with pytest.raises(SystemExit) as exit_info:
        run(data_dir, tmp_path, *flags)
    assert exit_info.value.code == 2
    assert named in capsys.readouterr().err
    assert not (tmp_path / "config.json").exists()


# ---------------------------------------------------------------- what a run shows and logs


def test_the_bar_shows_train_and_valid_in_raw_units_as_the_log_has_them(data_dir, tmp_path,
                                                                          capsys):
    run(data_dir, tmp_path, "--max_steps", 6, "--validate_every", 6, "--log_every", 6)
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


def test_points_per_s_leaves_out_the_first_step_of_a_session(data_dir, tmp_path, monkeypatch):
    slow_first_step(monkeypatch, 1.0)
    run(data_dir, tmp_path, "--max_steps", 2)
    run(data_dir, tmp_path, "--max_steps", 6, "--log_every", 2)  # resumed
    rows = read_log(tmp_path)
    # the first row of each session has no step but the slow one to count: no figure
    assert rows[0]["points_per_s"] == ""
    # 160 points in one ordinary step; with the second of the first counted, under 160
    assert float(rows[2]["step"]) == 4 and float(rows[2]["points_per_s"]) > 400


def test_train_s_counts_seconds_of_training_across_sessions(data_dir, tmp_path):
    run(data_dir, tmp_path, "--max_steps", 3)
    run(data_dir, tmp_path, "--max_steps", 6)
    seconds = [float(row["train_s"]) for row in read_log(tmp_path)]
    assert len(seconds) == 6 and 0 < seconds[0] < 600  # not a Unix time
    assert all(b > a for a, b in zip(seconds, seconds[1:]))


def test_an_older_log_with_unix_times_is_rewritten_with_train_s(data_dir, tmp_path):
    run(data_dir, tmp_path, "--max_steps", 4)
    rows = read_log(tmp_path)
    for row, unix_time in zip(rows, [1_700_000_000, 1_700_000_002, 1_700_000_004,
                                     1_700_090_000]):  # stopped a day before the 4th row
        del row["train_s"]
        row["wall_s"] = unix_time
    with open(tmp_path / "log.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, [*rows[0]])
        writer.writeheader()
        writer.writerows(rows)
    run(data_dir, tmp_path, "--max_steps", 6)
    with open(tmp_path / "log.csv") as f:
        assert f.readline().strip() == ",".join(train.LOG_FIELDS)
    rows = read_log(tmp_path)
    assert [row["step"] for row in rows] == ["1", "2", "3", "4", "5", "6"]
    # two seconds between rows, and the day's pause counted as two seconds of training
    assert [float(row["train_s"]) for row in rows[:4]] == [2, 4, 6, 8]
    assert 8 < float(rows[4]["train_s"]) < float(rows[5]["train_s"]) < 600
