"""export.py: the SavedModel samples as model.sample does, in a process without this code."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
import tiny

from export import export_saved_model
from files import target_problem
from mixture import mixture_from_outputs
from utils import START
from writer import FreeWriter, Writer

CLEAN_SCRIPT = r"""
import json, sys
import numpy as np
import tensorflow as tf

loaded = tf.saved_model.load(sys.argv[1])
sample = loaded.signatures["sample"]
args = dict(num_points=tf.constant(50, tf.int32), seed=tf.constant(3, tf.int64),
            bias=tf.constant(0.0))
first, again = sample(**args), sample(**args)
# the loaded function, as the README calls it: an int32 seed, or Python numbers
same = lambda out: bool(np.array_equal(first["strokes"], out["strokes"]))
int32_seed = same(loaded.sample(num_points=tf.constant(50), seed=tf.constant(3),
                                bias=tf.constant(0.0)))
python_numbers = same(loaded.sample(num_points=50, seed=3, bias=0.0))
step = loaded.signatures["step"]
_, specs = step.structured_input_signature
inputs = {name: tf.zeros([1 if d is None else d for d in spec.shape])
          for name, spec in specs.items()}
inputs["point"] = tf.constant([[0.0, 0.0, 1.0]])
out = step(**inputs)
print(json.dumps({
    "strokes": first["strokes"].numpy().tolist(),
    "sample_keys": sorted(first),
    "same_again": same(again),
    "int32_seed": int32_seed,
    "python_numbers": python_numbers,
    "seed_type": sample.structured_input_signature[1]["seed"].dtype.name,
    "inputs": sorted(specs),
    "outputs": {k: list(v.shape) for k, v in out.items()},
    "e": out["e"].numpy().tolist(),
    "pi": out["pi"].numpy().tolist(),
    "data_scale": float(loaded.data_scale.numpy()),
    "project": [m for m in ("model", "lstm", "utils", "export") if m in sys.modules],
}))
"""


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """A tiny model, its sample of 50 points with seed 3, and its export."""
    model = tiny.save_tiny_model(tmp_path_factory.mktemp("model"))
    strokes, _ = FreeWriter(model).sample(50, seed=3)
    folder = tmp_path_factory.mktemp("export") / "saved"
    assert export_saved_model(model, folder) == str(folder)
    return model, strokes, folder


@pytest.mark.slow
def test_export_samples_in_a_process_without_the_project(exported, tmp_path):
    model, sampled, folder = exported
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    run = subprocess.run([sys.executable, "-c", CLEAN_SCRIPT, str(folder)],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    got = json.loads(run.stdout.strip().splitlines()[-1])
    assert got["project"] == []
    assert got["same_again"]
    assert got["int32_seed"] and got["python_numbers"] and got["seed_type"] == "int64"
    strokes = np.array(got["strokes"])
    assert strokes.shape == (50, 3)
    assert set(np.unique(strokes[:, 2])) <= {0.0, 1.0}
    assert got["sample_keys"] == sorted(["strokes", "e", "pi", "mu1", "mu2", "sigma1", "sigma2",
                                         "rho"])
    # the same seed as model.sample (XLA-compiled there, not here): the same line, in
    # tablet units, up to float rounding
    np.testing.assert_array_equal(strokes[:, 2], sampled[:, 2])
    np.testing.assert_allclose(strokes[:, :2], sampled[:, :2], rtol=1e-4, atol=1e-3)
    assert got["data_scale"] == 20.0

    # one step from the start, as the model takes it (2 layers of 16 LSTM units)
    assert got["inputs"] == ["c0", "c1", "h0", "h1", "point"]
    assert got["outputs"]["pi"] == [1, 3] and got["outputs"]["h1"] == [1, 16]
    z, _ = model.step(tf.constant([START]), model.zero_state(1))
    expected = mixture_from_outputs(z)
    np.testing.assert_allclose(got["e"], expected["e"].numpy(), rtol=1e-5)
    np.testing.assert_allclose(got["pi"], expected["pi"].numpy(), rtol=1e-5)


def test_an_earlier_export_is_replaced_and_anything_else_refused(exported, tmp_path):
    model, _, folder = exported
    assert target_problem(folder) is None  # an earlier export
    assert target_problem(tmp_path / "new") is None
    (tmp_path / "empty").mkdir()
    assert target_problem(tmp_path / "empty") is None
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("mine")
    assert "not a SavedModel" in target_problem(tmp_path / "mine")
    with pytest.raises(FileExistsError):
        export_saved_model(model, tmp_path / "mine")
    assert os.listdir(tmp_path / "mine") == ["notes.txt"]


WRITE_SCRIPT = r"""
import json, sys
import tensorflow as tf

loaded = tf.saved_model.load(sys.argv[1])
out = loaded.signatures["write"](text=tf.constant(sys.argv[2]),
                                 seed=tf.constant(5, tf.int64), bias=tf.constant(0.5))
again = loaded.write(text=sys.argv[2], seed=tf.constant(5), bias=0.5)  # an int32 seed
step = loaded.signatures["step"]
_, specs = step.structured_input_signature
print(json.dumps({
    "strokes": out["strokes"].numpy().tolist(),
    "phi": list(out["phi"].shape),
    "stop": int(out["stop"]),
    "int32_seed": bool(tf.reduce_all(again["strokes"] == out["strokes"])),
    "alphabet": loaded.alphabet.numpy().decode(),
    "step_inputs": sorted(specs),
    "project": [m for m in ("model", "lstm", "utils", "export") if m in sys.modules],
}))
"""


@pytest.mark.slow
def test_a_synthesis_export_writes_text_in_a_process_without_the_project(tmp_path):
    model = tiny.save_tiny_model(tmp_path / "model", synthesis=True, alphabet="abc ", num_layers=2)
    strokes, info = Writer(model).write("ab ca", bias=0.5, seed=5)
    export_saved_model(model, tmp_path / "saved")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    run = subprocess.run([sys.executable, "-c", WRITE_SCRIPT, str(tmp_path / "saved"), "ab ca"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    got = json.loads(run.stdout.strip().splitlines()[-1])
    assert got["project"] == [] and got["alphabet"] == "abc "
    assert got["int32_seed"]
    # model.write's line for the same text and seed, up to float rounding (XLA there)
    np.testing.assert_allclose(np.array(got["strokes"]), strokes, rtol=1e-4, atol=1e-3)
    assert got["phi"] == [len(strokes), 5]
    assert got["stop"] == {"end": 1, "budget": 2}[info["stop"]]
    assert got["step_inputs"] == ["c0", "c1", "chars", "h0", "h1", "kappa", "point", "w"]
