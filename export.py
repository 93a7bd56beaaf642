"""Save a trained model as a TensorFlow SavedModel, for programs without this code.

    python sample.py --export DIR       # or, from Python: export_saved_model(model, DIR)

The SavedModel has a `sample` and a `step` signature (see saved_model_module), and
runs in TensorFlow alone, e.g. in TensorFlow Serving.
"""

import dataclasses
import json
import os
import shutil
import tempfile
from pathlib import Path

import tensorflow as tf

from model import PARAM_KEYS, START, mixture_from_outputs, sampling_noise


def saved_model_module(model):
    """A tf.Module with two signatures that drive the model without this project's code.

    sample(num_points int32, seed int64, bias float32) -> strokes [num_points, 3] of
        (dx, dy, eos) and the mixture of every point (e, pi, mu1, mu2, sigma1, sigma2,
        rho), in tablet units: model.sample(num_points, seed=seed, bias=bias), run by
        the same loop (model.sample_loop) without XLA.
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

    @tf.function(input_signature=[tf.TensorSpec([], tf.int32, name="num_points"),
                                  tf.TensorSpec([], tf.int64, name="seed"),
                                  tf.TensorSpec([], tf.float32, name="bias")])
    def sample(num_points, seed, bias):
        tf.debugging.assert_positive(num_points, "num_points must be positive")
        noise = sampling_noise(seed, num_points, 1, config.num_mixture)  # model.sample's
        points, mixtures = model.sample_loop(num_points, bias, tf.constant([START]),
                                             model.zero_state(1), noise)
        strokes, params = model.in_tablet_units(points, mixtures, num_points)
        return {"strokes": strokes[0], **{k: v[0] for k, v in params.items()}}

    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="point")]
                 + [tf.TensorSpec([None, config.rnn_size], tf.float32, name=n) for n in names])
    def step(point, *state):
        z, state = model.step(point, tf.nest.pack_sequence_as(zero, list(state)))
        params = mixture_from_outputs(z)
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


def target_problem(export_dir):
    """Why export_dir cannot take an export, or None if it can: replacing an earlier
    export is fine, anything else in the way is left alone."""
    target = Path(export_dir)
    if target.exists() and not (target / "saved_model.pb").is_file() and (
            not target.is_dir() or any(target.iterdir())):
        return "exists and is not a SavedModel: choose a new folder"
    return None


def export_saved_model(model, export_dir):
    """Write the SavedModel of saved_model_module(model) to export_dir, replacing an
    earlier export only once the new one is complete. Returns the folder's path."""
    target = Path(export_dir)
    if target_problem(target):
        raise FileExistsError(f"{target} {target_problem(target)}")
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
