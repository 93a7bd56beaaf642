"""Save trained models for programs without this code: a TensorFlow SavedModel, or the
web page as a static site that writes in the browser (docs/browser.md).

    python sample.py --export DIR   # or from Python: export_saved_model(load_network(d), DIR)
    python export.py --web DIR      # the page, its scripts and the models: webexport.py

The SavedModel has a `sample` and a `step` signature (free_writing_module), or
for a synthesis model `write` and `step` (synthesis_module), and runs in TensorFlow
alone, e.g. in TensorFlow Serving.
"""

import dataclasses
import json
import shutil
import tempfile
from pathlib import Path

if __name__ == "__main__":  # `python export.py --web DIR`, before this module loads TensorFlow
    from webexport import main

    raise SystemExit(main())

import tensorflow as tf

import kinds
from files import put_in_place, target_problem
from mixture import PARAM_KEYS, mixture_from_outputs, sampling_noise
from text import (
    MAX_TEXT_LENGTH,
    SEED_RANGE,
    TYPOGRAPHY,
    WHITESPACE,
    end_mark,
    seed_message,
    unwritable_message,
)
from utils import START
from writer import POINTS_PER_CHAR, in_tablet_units, sample_loop, write_loop

# The inputs of `sample` and `write`, as their signatures take them. The loaded functions
# (loaded.sample(...), loaded.write(...)) also take an int32 seed, as tf.constant(3) is,
# and Python numbers and strings: see takes_either_seed.
SEED, BIAS = tf.TensorSpec([], tf.int64, name="seed"), tf.TensorSpec([], tf.float32, name="bias")
INPUTS = {"sample": (tf.TensorSpec([], tf.int32, name="num_points"), SEED, BIAS),
          "write": (tf.TensorSpec([], tf.string, name="text"), SEED, BIAS)}


def takes_either_seed(inputs):
    """A decorator: the function as a tf.function traced for inputs (whose seed is
    int64) and once more with an int32 seed, so that a loaded SavedModel's function
    takes either. The signature, for TensorFlow Serving, is the int64 one."""
    def trace(python_function):
        function = tf.function(python_function)
        for seed_type in (tf.int64, tf.int32):
            function.get_concrete_function(*[
                tf.TensorSpec([], seed_type, name="seed") if spec is SEED else spec
                for spec in inputs])
        return function
    return trace


def checked_seed(seed):
    """seed, once it is known to be one of the seeds (text.check_seed's rule): an
    InvalidArgumentError with text.seed_message's words if it is not."""
    seed = tf.cast(seed, tf.int64)
    inside = (seed >= 0) & (seed < SEED_RANGE)
    with tf.control_dependencies([tf.debugging.Assert(inside, [seed_message(""), seed])]):
        return tf.identity(seed)


def _folds():
    """text.TYPOGRAPHY as {what is written: the characters written so, for a regex class}."""
    folds = {}
    for source, target in TYPOGRAPHY.items():
        folds[target] = folds.get(target, "") + source
    return folds


def writable_codes(text, alphabet, lookup):
    """A text as model.write takes it (text.check_line, check_writable), in the graph: its
    white space cleaned, then 1 + each character's place in the alphabet [1, U], or an
    InvalidArgumentError that names what it cannot write."""
    for target, sources in _folds().items():  # text.TYPOGRAPHY, as as_written folds it
        text = tf.strings.regex_replace(text, f"[{sources}]", target)
    text = tf.strings.strip(tf.strings.regex_replace(text, f"[{WHITESPACE}]+", " "))
    characters = tf.strings.unicode_split(text, "UTF-8")
    codes = lookup.lookup(characters)
    unknown, _ = tf.unique(tf.boolean_mask(characters, tf.equal(codes, 0)))
    named = tf.strings.reduce_join(tf.strings.join(["'", unknown, "'"]), separator=" ")
    before, after = unwritable_message(["\0"], alphabet).split(repr("\0"))
    message = tf.strings.join([before, named, after])
    length = tf.size(codes)
    checks = [tf.debugging.Assert(tf.size(unknown) == 0, [message]),
              tf.debugging.Assert(length > 0, ["cannot write an empty text: give a non-empty "
                                               "string"]),
              tf.debugging.Assert(length <= MAX_TEXT_LENGTH, [
                  f"a line holds at most {MAX_TEXT_LENGTH} characters, not", length])]
    with tf.control_dependencies(checks):
        return tf.identity(codes)[None]


def saved_model_module(network):
    """A tf.Module with two signatures that drive the network without this project's
    code, as its kind makes it (kinds.Kind.saved_model): free_writing_module or
    synthesis_module."""
    return kinds.of(network.config).saved_model(network)


def free_writing_module(model):
    """saved_model_module for a model that writes freely: two signatures.

    sample(num_points int32, seed int64 or int32, bias float32) -> strokes [num_points, 3] of
        (dx, dy, eos) and the mixture of every point (e, pi, mu1, mu2, sigma1, sigma2,
        rho), in tablet units: model.sample(num_points, seed=seed, bias=bias), run by
        the same loop (writer.sample_loop) without XLA. A seed outside [0, SEED_RANGE)
        is refused with an InvalidArgumentError, as model.sample refuses it.
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

    @takes_either_seed(INPUTS["sample"])
    def sample(num_points, seed, bias):
        tf.debugging.assert_positive(num_points, "num_points must be positive")
        noise = sampling_noise(checked_seed(seed), num_points, 1,
                               config.num_mixture)  # model.sample's
        points, mixtures = sample_loop(model, num_points, bias, tf.constant([START]),
                                       model.zero_state(1), noise)
        strokes, params = in_tablet_units(points, mixtures, num_points, config.data_scale)
        return {"strokes": strokes[0], **{k: v[0] for k, v in params.items()}}

    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="point")]
                 + [tf.TensorSpec([None, config.rnn_size], tf.float32, name=n) for n in names])
    def step(point, *state):
        z, state = model.step(point, tf.nest.pack_sequence_as(zero, list(state)))
        params = mixture_from_outputs(z)
        return {**{k: params[k] for k in PARAM_KEYS},
                **dict(zip(names, tf.nest.flatten(state)))}

    module = _module_with_weights(model)
    module.sample, module.step = sample, step
    return module


def synthesis_module(model):
    """saved_model_module for a synthesis model: two signatures.

    write(text string, seed int64 or int32, bias float32) -> strokes [T, 3] of (dx, dy, eos)
        in tablet units, phi [T, U] (the window over the text at every step), stop
        (1: by the stop rule, 2: by the point budget, POINTS_PER_CHAR a character) and
        the mixture of every point: model.write(text, bias, seed), run by the same loop
        (writer.write_loop) without XLA. As model.write, it writes the text with its
        white space cleaned (a run of it one space) and refuses, with an
        InvalidArgumentError that names them, characters outside the alphabet (the
        `alphabet` variable), an empty text, one of more than MAX_TEXT_LENGTH
        characters, and a seed outside [0, SEED_RANGE).
    step(point [B, 3], chars [B, U] int32, h0, c0, kappa, w, h1, c1, ...) -> the
        mixture of the next point (model units, no bias), phi [B, U] and the new state
        under the same names. chars are 1 + a character's place in the alphabet (0:
        unknown, -1: padding); start from point (0, 0, 1) and a zero state.
    """
    config = model.config
    zero = model.zero_state(1)
    names = ["h0", "c0", "kappa", "w"] + [f"{'hc'[j]}{i + 1}" for i in range(len(zero) - 1)
                                          for j in range(2)]
    keys = tf.constant(list(model.alphabet))
    lookup = tf.lookup.StaticHashTable(
        tf.lookup.KeyValueTensorInitializer(keys, tf.range(1, len(model.alphabet) + 1)), 0)

    space = model.alphabet.find(" ") + 1
    ends_in_letter = tf.constant([i + 1 for i, c in enumerate(model.alphabet)
                                  if end_mark(c, model.alphabet)], tf.int32)

    @takes_either_seed(INPUTS["write"])
    def write(text, seed, bias):
        chars = writable_codes(text, model.alphabet, lookup)
        written = tf.shape(chars)[1]
        # text.end_mark: a space read after a last letter or digit
        marked = tf.reduce_any(tf.equal(chars[0, -1], ends_in_letter)) & (space > 0)
        chars = tf.concat([chars, tf.fill([1, tf.cast(marked, tf.int32)], space)], 1)
        length = tf.shape(chars)[1]
        budget = POINTS_PER_CHAR * length
        noise = sampling_noise(checked_seed(seed), budget, 1, config.num_mixture)  # model.write's
        points, mixtures, phis, lengths, stops = write_loop(
            model, budget[None], bias, tf.constant([START]), model.zero_state(1), chars,
            length[None], noise)
        strokes, params = in_tablet_units(points, mixtures, lengths[0], config.data_scale)
        return {"strokes": strokes[0], "phi": phis[:lengths[0], 0, :written], "stop": stops[0],
                **{k: v[0] for k, v in params.items()}}

    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="point"),
                                  tf.TensorSpec([None, None], tf.int32, name="chars")]
                 + [tf.TensorSpec([None] + v.shape[1:], tf.float32, name=n)
                    for n, v in zip(names, tf.nest.flatten(zero))])
    def step(point, chars, *state):
        z, state, (phi, *_) = model.step(point, model.one_hot(chars),
                                         tf.nest.pack_sequence_as(zero, list(state)))
        params = mixture_from_outputs(z)
        return {**{k: params[k] for k in PARAM_KEYS}, "phi": phi,
                **dict(zip(names, tf.nest.flatten(state)))}

    module = _module_with_weights(model)
    module.lookup = lookup
    module.alphabet = tf.Variable(model.alphabet, trainable=False, name="alphabet")
    module.write, module.step = write, step
    return module


def _module_with_weights(model):
    """A tf.Module tracking the model's weights as plain variables (the Keras model's
    own functions are not part of the interface) and, for Python users, data_scale,
    start and config (JSON)."""
    config = model.config
    module = tf.Module()
    module.weights = [v.value for v in model.variables]  # the underlying tf.Variables
    module.data_scale = tf.Variable(config.data_scale, trainable=False, name="data_scale")
    module.start = tf.Variable(START, trainable=False, dtype=tf.float32, name="start")
    module.config = tf.Variable(json.dumps(dataclasses.asdict(config)), trainable=False,
                                name="config")
    return module


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
        first = "write" if hasattr(module, "write") else "sample"
        signature = getattr(module, first).get_concrete_function(*INPUTS[first])  # int64
        tf.saved_model.save(module, str(staging),
                            signatures={first: signature, "step": module.step})
        put_in_place(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return str(target)
