"""The networks (model.py): the loss and the mixture of their own outputs, a step at a
time against the whole sequence, dropout, saving and loading."""

import numpy as np
import pytest
import reference
import tensorflow as tf

import model as M
from config import Config
from mixture import mixture_from_outputs


def tiny_config(**kw):
    return Config(**{"rnn_size": 8, "num_mixture": 3, **kw})


def test_model_nll_matches_numpy_on_its_own_outputs():
    model = M.build_model(tiny_config())
    rng = np.random.default_rng(2)
    x = rng.normal(size=(3, 9, 3)).astype(np.float32)
    y = rng.normal(size=(3, 9, 3)).astype(np.float32)
    y[..., 2] = rng.random((3, 9)) < 0.3
    mask = (rng.random((3, 9)) < 0.7).astype(np.float32)
    z, _ = model(tf.constant(x))
    want = (reference.nll(z.numpy(), y) * mask).sum() / mask.sum()
    assert float(model.nll(x, y, mask)) == pytest.approx(want, rel=1e-5)
    params = mixture_from_outputs(z)
    assert params["pi"].shape == (3, 9, 3) and params["e"].shape == (3, 9)
    np.testing.assert_allclose(params["pi"].numpy().sum(-1), 1.0, rtol=1e-5)


@pytest.mark.parametrize("options", [{}, {"skip_connections": True}, {"peephole": True},
                                     {"model": "gru"}, {"model": "rnn", "num_layers": 3}])
def test_one_step_at_a_time_equals_the_whole_sequence(options):
    """The sampler's step path and the training path are the same network."""
    model = M.build_model(tiny_config(**options))
    x = np.random.default_rng(5).normal(size=(2, 6, 3)).astype(np.float32)
    state, outputs = model.zero_state(2), []
    for t in range(6):
        z, state = model.step(tf.constant(x[:, t]), state)
        outputs.append(z.numpy())
    whole, _ = model(tf.constant(x))
    np.testing.assert_allclose(np.stack(outputs, 1), whole.numpy(), atol=1e-5)


def test_dropout_only_in_training():
    model = M.build_model(tiny_config(keep_prob=0.5))
    x = tf.constant(np.random.default_rng(7).normal(size=(2, 5, 3)).astype(np.float32))
    np.testing.assert_array_equal(model(x)[0].numpy(), model(x)[0].numpy())
    assert not np.allclose(model(x, training=True)[0].numpy(), model(x)[0].numpy())


def test_config_round_trip_and_architecture_errors(tmp_path):
    config = tiny_config(skip_connections=True)
    config.save(tmp_path)
    assert Config.load(tmp_path) == config
    with pytest.raises(FileNotFoundError, match="train.py"):
        Config.load(tmp_path / "missing")
    with pytest.raises(ValueError, match="lstm, gru or rnn"):
        Config(model="transformer")


def save_model(model, model_dir):
    model.config.save(model_dir)
    M.checkpoint_for(model).save(str(model_dir / "ckpt"))


def test_load_model_restores_weights_and_refuses_misfits(tmp_path):
    model = M.build_model(tiny_config())
    save_model(model, tmp_path)
    loaded = M.load_network(tmp_path)
    assert M.load_model(tmp_path).network.config == loaded.config  # a writer around it
    for a, b in zip(model.weights, loaded.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    # a config.json that does not describe the saved weights
    tiny_config(rnn_size=12).save(tmp_path)
    with pytest.raises(ValueError, match="do not fit"):
        M.load_model(tmp_path)
    with pytest.raises(FileNotFoundError, match="train.py"):
        M.load_model(tmp_path / "empty")


def test_a_model_folder_names_its_kind_and_the_shipped_folders_load_as_theirs(tmp_path):
    import json
    from pathlib import Path

    import kinds

    for fields, name in (({}, "free"), ({"synthesis": True, "alphabet": "ab "}, "synthesis"),
                         ({"recognizer": True, "alphabet": "ab "}, "reader")):
        folder = tmp_path / name
        folder.mkdir()
        tiny_config(**fields).save(folder)
        assert json.loads((folder / "config.json").read_text())["kind"] == name
        assert Config.load(folder).kind == name and kinds.of(Config.load(folder)).name == name
    # a config.json whose kind and fields disagree is refused, naming the file
    saved = json.loads((tmp_path / "free" / "config.json").read_text())
    (tmp_path / "free" / "config.json").write_text(json.dumps({**saved, "kind": "reader"}))
    with pytest.raises(ValueError, match="config.json: kind 'reader'"):
        Config.load(tmp_path / "free")
    # the shipped folders, saved before kinds were named, load as what they are
    root = Path(__file__).resolve().parents[1] / "save"
    assert [Config.load(d).kind for d in (root, root / "synthesis", root / "recognizer")] == [
        "free", "synthesis", "reader"]
    assert kinds.asked({"recognizer": True}).name == "reader"
    assert kinds.asked({"synthesis": True}).run_dir == "runs/synthesis"
    assert kinds.asked({}).name == "free"


def test_load_model_asked_for_another_kind_says_what_the_folder_holds(tmp_path):
    save_model(M.build_model(tiny_config()), tmp_path)
    with pytest.raises(ValueError, match="writes freely and reads no text, not a synthesis "
                                         "model.*--synthesis"):
        M.load_model(tmp_path, kind="synthesis")
    assert M.load_model(tmp_path, kind="free").config == tiny_config()


def test_open_model_says_what_is_wrong_with_a_folder_and_how_to_get_a_model(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "file").write_text("x")
    (tmp_path / "no_ckpt").mkdir()
    tiny_config().save(tmp_path / "no_ckpt")
    (tmp_path / "free").mkdir()
    save_model(M.build_model(tiny_config()), tmp_path / "free")
    cases = {"nowhere": "does not exist", "file": "is a file, not a folder",
             "empty": "is empty", "no_ckpt": "no checkpoint", "free": "not a recogniser"}
    for name, problem in cases.items():
        with pytest.raises(ValueError) as err:  # (a free model's config, without weights)
            M.open_model(tmp_path / name, kind=None if name == "no_ckpt" else "reader")
        message = str(err.value)
        assert message.startswith(str(tmp_path / name)) and problem in message, message
        assert "train one with `python train.py" in message
    assert M.open_model(tmp_path / "free").config == tiny_config()
