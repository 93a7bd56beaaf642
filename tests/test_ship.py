"""ship.py: a run copied into a folder to commit, without the optimizer's state."""

import numpy as np
import pytest
import tiny

import ship
from model import load_network


@pytest.fixture
def run_dir(tmp_path):
    path = tmp_path / "run"
    tiny.save_tiny_model(path, seed=4)
    (path / "log.csv").write_text("step,train_nll\n10,1.5\n")
    return path


def weights(model_dir):
    return [w.numpy() for w in load_network(model_dir).weights]


def test_the_shipped_folder_replaces_what_was_there_and_loads_the_same_weights(run_dir,
                                                                              tmp_path):
    dest = tmp_path / "save" / "synthesis"
    tiny.save_tiny_model(dest, seed=9)
    (dest / "stale.txt").write_text("from an older model")
    ship.ship(run_dir, dest)
    assert sorted(p.name for p in dest.iterdir()) == [
        "checkpoint", "ckpt-0.data-00000-of-00001", "ckpt-0.index", "config.json", "log.csv"]
    for shipped, trained in zip(weights(dest), weights(run_dir), strict=True):
        np.testing.assert_array_equal(shipped, trained)
    assert (dest / "log.csv").read_text() == (run_dir / "log.csv").read_text()
    assert [p.name for p in dest.parent.iterdir()] == ["synthesis"]  # nothing left beside it
    assert dest.stat().st_mode & 0o777 == 0o755  # a folder as any other, not a private one


def test_an_interrupted_copy_leaves_the_folder_as_it_was(run_dir, tmp_path, monkeypatch):
    dest = tmp_path / "dest"
    tiny.save_tiny_model(dest, seed=9)
    before = weights(dest)

    def fail(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(ship.shutil, "copy", fail)
    with pytest.raises(KeyboardInterrupt):
        ship.ship(run_dir, dest)
    for now, then in zip(weights(dest), before, strict=True):
        np.testing.assert_array_equal(now, then)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_bad_folders_are_usage_errors_that_name_them(run_dir, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        ship.main([str(tmp_path / "nowhere"), str(tmp_path / "dest")])
    assert exit_info.value.code == 2
    assert f"{tmp_path / 'nowhere'} holds no config.json" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        ship.main([str(run_dir), str(run_dir)])
    assert "is the run itself" in capsys.readouterr().err
    assert (run_dir / "checkpoint").exists()
