"""The handwriting networks of Graves (2013), sections 4 and 5, in Keras 3, and how a
model folder is built, saved and loaded.

A stack of recurrent layers reads pen steps (dx, dy, eos) and emits, for the next
step, a Bernoulli end-of-stroke probability and a mixture of bivariate normals over
(dx, dy): HandwritingModel, the prediction network. SynthesisModel also reads a text
through a soft window. What the two share, the mixture head and its loss, is
MixtureNetwork; the mixture maths are in mixture.py, the recurrent layers (eq. 7-11,
and the window of eq. 46-51) in lstm.py. A network holds weights and gives one pass
over lines (call) or one step (step); writing with it, the loops that feed its points
back, is writer.py's. Equation numbers refer to arXiv:1308.0850v5.
"""

import keras
import numpy as np
import tensorflow as tf

import kinds
from config import (
    CHECKPOINT_NAME,
    CHECKPOINTS_KEPT,
    CONFIG_NAME,
    FREE_MODEL_DIR,
    Config,
    folder_problem,
)
from lstm import LSTM, KerasRNN, WindowLSTM
from mixture import masked_mean, mixture_from_outputs, point_nll


class MixtureNetwork(keras.Model):
    """What both networks share: their config, dropout on each recurrent layer's
    output, the mixture head (eq. 17), and the loss (eq. 26) of the outputs z it gives.
    A network says how it reaches z from inputs x [B, T, 3] (and texts chars [B, U],
    for a synthesis model) in outputs_for."""

    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        self.config = config
        self.dropouts = [keras.layers.Dropout(1.0 - config.keep_prob)
                         for _ in range(config.num_layers)]
        self.head = keras.layers.Dense(config.output_size)

    def outputs_for(self, x, chars=None, training=False):
        """The network's outputs z [B, T, 1 + 6M] for inputs x from a zero state."""
        raise NotImplementedError

    def nll(self, x, y, mask=None, training=False, chars=None):
        """The loss: the mean negative log-likelihood per point of targets y given inputs
        x [B, T, 3] (and, for a synthesis model, the texts chars [B, U]), over the
        points where mask [B, T] is 1 (all without one), in nats (model units).
        training=True trains with dropout."""
        return masked_mean(self.nll_per_point(x, y, training, chars)[0], mask)

    def batch_loss(self, batch, training=False):
        """nll of a training batch as the DataLoader gives it: a utils.WindowBatch, or
        for a synthesis model a utils.LineBatch (with its mask and texts)."""
        return self.nll(batch.x, batch.y, batch.mask, training=training, chars=batch.chars)

    def nll_per_point(self, x, y, training=False, chars=None):
        """nll's terms: -log Pr(y_t | x_1..t) for every point [B, T] (eq. 26), and the
        mixture parameters they come from."""
        z = self.outputs_for(tf.convert_to_tensor(x, tf.float32), chars, training)
        params = mixture_from_outputs(z)
        return point_nll(params, tf.convert_to_tensor(y, tf.float32)), params


# ---------------------------------------------------------------- free writing


class HandwritingModel(MixtureNetwork):
    """Pen steps in, mixture-density parameters of the next step out (section 4)."""

    def __init__(self, config, **kwargs):
        super().__init__(config, **kwargs)
        make = (lambda: LSTM(config.rnn_size, peephole=config.peephole)) \
            if config.model == "lstm" else (lambda: KerasRNN(config.rnn_size, config.model))
        self.rnn_layers = [make() for _ in range(config.num_layers)]

    def build(self, input_shape=(None, None, 3)):
        width = input_shape[-1]
        for layer in self.rnn_layers:
            layer.build((None, None, width))
            width = self.config.rnn_size + (input_shape[-1] if self.config.skip_connections else 0)
        head_in = self.config.rnn_size * (self.config.num_layers if self.config.skip_connections
                                          else 1)
        self.head.build((None, None, head_in))
        self.built = True

    def named_layers(self):
        """(name, layer) for every layer with variables: the checkpoint's names."""
        return ([(f"layer{i}", layer) for i, layer in enumerate(self.rnn_layers)]
                + [(f"dropout{i}", d) for i, d in enumerate(self.dropouts)]
                + [("head", self.head)])

    def zero_state(self, batch_size):
        return tuple(layer.zero_state(batch_size) for layer in self.rnn_layers)

    def _stack(self, x, run, training):
        """Shared wiring of the layers for sequences and single steps (Graves fig. 1)."""
        outputs, layer_in = [], x
        for i, (layer, dropout) in enumerate(zip(self.rnn_layers, self.dropouts)):
            h = dropout(run(i, layer, layer_in), training=training)
            outputs.append(h)
            layer_in = tf.concat([x, h], -1) if self.config.skip_connections else h
        return self.head(tf.concat(outputs, -1) if self.config.skip_connections else outputs[-1])

    def call(self, x, state=None, training=False):
        """x [B, T, 3] -> (outputs z [B, T, 1 + 6M], state after the last step)."""
        state = list(self.zero_state(tf.shape(x)[0]) if state is None else state)

        def run(i, layer, layer_in):
            h, state[i] = layer(layer_in, state[i], training=training)
            return h

        # time-major inside: the per-step slices are contiguous, and the
        # input projections are plain matrix products
        z = self._stack(tf.transpose(x, [1, 0, 2]), run, training)
        return tf.transpose(z, [1, 0, 2]), tuple(state)

    def step(self, x, state):
        """x [B, 3] -> (outputs z [B, 1 + 6M], new state): one step, dropout off."""
        state = list(state)

        def run(i, layer, layer_in):
            h, state[i] = layer.step(layer_in, state[i])
            return h

        return self._stack(x, run, False), tuple(state)

    def outputs_for(self, x, chars=None, training=False):
        if chars is not None:
            raise ValueError("this model writes freely and reads no text")
        return self(x, training=training)[0]


# ---------------------------------------------------------------- writing a text


class SynthesisModel(MixtureNetwork):
    """Graves section 5: the network also reads a text, through a soft window.

    The first layer (lstm.WindowLSTM) reads (x_t, w_{t-1}) and places the window;
    every further layer reads (x_t, w_t, h of the layer below); the mixture head reads
    every layer. Texts enter as int indices [B, U] (text.encode_text, pad_texts; -1
    pads).
    """

    def __init__(self, config, chars_per_step=None, **kwargs):
        """chars_per_step: the pace of the training data, where the window starts."""
        super().__init__(config, **kwargs)
        window_init = {} if chars_per_step is None else {"chars_per_step": chars_per_step}
        self.alphabet = config.alphabet
        self.vocab_size = len(config.alphabet) + 1  # index 0: unknown
        self.window_layer = WindowLSTM(config.rnn_size, config.window_mixtures,
                                       self.vocab_size, **window_init)
        self.rnn_layers = [LSTM(config.rnn_size) for _ in range(config.num_layers - 1)]

    def build(self, input_shape=(None, None, 3)):
        n, width = self.config.rnn_size, input_shape[-1]
        self.window_layer.build((None, None, width))
        for layer in self.rnn_layers:
            layer.build((None, None, width + self.vocab_size + n))
        self.head.build((None, None, n * self.config.num_layers))
        self.built = True

    def named_layers(self):
        """(name, layer) for every layer with variables: the checkpoint's names."""
        return ([("window_layer", self.window_layer)]
                + [(f"layer{i + 1}", layer) for i, layer in enumerate(self.rnn_layers)]
                + [(f"dropout{i}", d) for i, d in enumerate(self.dropouts)]
                + [("head", self.head)])

    def zero_state(self, batch_size):
        return (self.window_layer.zero_state(batch_size),) + tuple(
            layer.zero_state(batch_size) for layer in self.rnn_layers)

    def alphabet_axes(self):
        """{variable: (axis, offset, fill)} of the weights that read the window w, its
        characters (0: unknown, then the alphabet) from offset on (grow_alphabet): the
        rows of w in every layer's input [x, w, h below], a new character's zero."""
        width = 3  # x
        return {f"{name}.kernel": (0, width, "zero") for name, _ in self.named_layers()
                if name == "window_layer" or name.startswith("layer")}

    def one_hot(self, chars):
        return tf.one_hot(chars, self.vocab_size)  # -1 pads become zero rows

    def _stack(self, x, first, run, training):
        """The wiring shared by sequences and single steps: `first` is the window
        layer's (h, w), run(i, layer, input) runs layer i above it."""
        h, w = first
        h = self.dropouts[0](h, training=training)
        outputs = [h]
        for i, layer in enumerate(self.rnn_layers):
            h = self.dropouts[i + 1](run(i, layer, tf.concat([x, w, h], -1)), training=training)
            outputs.append(h)
        return self.head(tf.concat(outputs, -1))

    def run(self, x, chars, state=None, training=False):
        """x [B, T, 3], chars int [B, U] -> (z [B, T, 1 + 6M], state after the last
        step, phi [B, T, U], kappa [B, T, K])."""
        state = list(self.zero_state(tf.shape(x)[0]) if state is None else state)
        xt = tf.transpose(x, [1, 0, 2])
        (h, w, phi, kappa), state[0] = self.window_layer(xt, self.one_hot(chars), state[0],
                                                         training=training)

        def run(i, layer, layer_in):
            h, state[i + 1] = layer(layer_in, state[i + 1], training=training)
            return h

        z = self._stack(xt, (h, w), run, training)
        time_second = lambda v: tf.transpose(v, [1, 0, 2])  # noqa: E731
        return time_second(z), tuple(state), time_second(phi), time_second(kappa)

    def call(self, x, chars, state=None, training=False):
        z, state, _, _ = self.run(x, chars, state, training)
        return z, state

    def step(self, x, chars, state):
        """x [B, 3], chars one-hot [B, U, V] -> (z, new state, (phi, alpha, beta, kappa))."""
        state = list(state)
        (h, w, phi, window), state[0] = self.window_layer.step(x, chars, state[0])

        def run(i, layer, layer_in):
            h, state[i + 1] = layer.step(layer_in, state[i + 1])
            return h

        return self._stack(x, (h, w), run, False), tuple(state), (phi, *window)

    def outputs_for(self, x, chars=None, training=False):
        if chars is None:
            raise ValueError("a synthesis model needs the texts (chars) of its lines")
        return self(x, tf.convert_to_tensor(chars, tf.int32), training=training)[0]


# ---------------------------------------------------------------- building and loading


def build_model(config, loader=None):
    """The network config describes, built (kinds.Kind.build); loader: a new run's
    training data (a synthesis window starts at its pace)."""
    return kinds.of(config).build(config, loader)


def model_variables(model):
    """Every variable by its place in the network ("layer0.kernel", "head.bias", ...):
    names that do not depend on how many models the process built before, unlike
    Keras' layer names, and that cover what plain tf.train tracking misses."""
    return {f"{name}.{v.name}": v for name, layer in model.named_layers()
            for v in layer.variables}


def grow_alphabet(model, grown):
    """Copy model's weights into grown, the same network built for a larger alphabet (a
    superset of model's): each old character's weights move to its new place, a new
    character's input weights start at zero and, in a reader, its output at the rarest old
    character's prior. The network says where its alphabet lies (alphabet_axes)."""
    old, new = model.alphabet, grown.alphabet
    if set(old) - set(new):
        raise ValueError(f"the new alphabet lacks {''.join(sorted(set(old) - set(new)))!r}")
    places = np.array([0] + [1 + new.index(c) for c in old])  # 0: unknown, or the blank
    axes = model.alphabet_axes()
    grown_variables = model_variables(grown)
    for name, variable in model_variables(model).items():
        value = variable.numpy()
        if name not in axes:
            grown_variables[name].assign(value)
            continue
        axis, offset, fill = axes[name]
        size = len(new) + 1
        shape = list(value.shape)
        shape[axis] += len(new) - len(old)
        # a new character's entries: zero, or the rarest old character's (an output bias)
        out = np.full(shape, 0.0 if fill == "zero" else value[1:].min(), value.dtype)
        block = np.take(value, np.arange(offset, offset + len(old) + 1), axis=axis)
        before = np.take(value, np.arange(offset), axis=axis)
        after = np.take(value, np.arange(offset + len(old) + 1, value.shape[axis]), axis=axis)
        index = [slice(None)] * value.ndim
        for part, where in ((before, np.arange(offset)), (block, offset + places),
                            (after, offset + size + np.arange(after.shape[axis]))):
            index[axis] = where
            out[tuple(index)] = part
        grown_variables[name].assign(out)


# The key of the batch RNG's state (train.py) in a checkpoint: "sampler_state", its name in
# every checkpoint saved since the first runs (the shipped ones too), kept so they resume
BATCH_RNG = "sampler_state"


def checkpoint_for(model, optimizer=None, **extra):
    """The object graph saved by training and read by load_model."""
    objects = {"model": tf.train.Checkpoint(**model_variables(model))}
    if optimizer is not None:
        objects["optimizer"] = tf.train.Checkpoint(
            **{f"slot{i}": v for i, v in enumerate(optimizer.variables)})
    return tf.train.Checkpoint(**objects, **extra)


def checkpoint_manager(checkpoint, model_dir, max_to_keep=CHECKPOINTS_KEPT):
    """Where a model folder's checkpoints go (ckpt-STEP), and how many stay."""
    return tf.train.CheckpointManager(checkpoint, str(model_dir), max_to_keep=max_to_keep,
                                      checkpoint_name=CHECKPOINT_NAME)


def load_model(model_dir=FREE_MODEL_DIR, kind=None):
    """The model saved in model_dir, ready to use (kinds.Kind.ready): a writer.FreeWriter
    (sample) or a writer.Writer (write, write_page; with the folder's named hands) around
    its network, or the recogniser itself (read). kind (kinds.FREE, SYNTHESIS, READER):
    the kind the caller needs, else a ValueError that says what the folder holds and how
    to train the kind asked for."""
    network = load_network(model_dir, kind)
    return kinds.of(network.config).ready(network, model_dir)


def open_model(model_dir=FREE_MODEL_DIR, kind=None):
    """load_model with the errors a person reads, the one rule of every command and the
    server: a ValueError "MODEL_DIR ...: what is wrong, and how to get a model of the
    kind" for a folder that holds none (config.folder_problem), has no checkpoint, whose
    weights do not fit its config, that cannot be read, or of another kind."""
    problem = folder_problem(model_dir, kind)
    if problem:
        raise ValueError(f"{model_dir} {problem}")
    try:
        return load_model(model_dir, kind)
    except (OSError, ValueError) as err:
        raise ValueError(f"{model_dir}: {err}") from None
    except (TypeError, tf.errors.OpError) as err:  # a corrupt config or checkpoint
        raise ValueError(f"{model_dir}: cannot load the model: {err}") from None


def load_network(model_dir=FREE_MODEL_DIR, kind=None):
    """The network saved in model_dir (config.json + checkpoint), its weights read;
    kind as load_model's."""
    config = Config.load(model_dir)
    if kind is not None and config.kind != kind:
        wanted = kinds.KINDS[kind]
        raise ValueError(f"{model_dir} holds {kinds.of(config).what}, not {wanted.what}: "
                         f"{wanted.how_to_train(model_dir)}")
    model = build_model(config)
    latest = tf.train.latest_checkpoint(str(model_dir))
    if latest is None:
        raise FileNotFoundError(
            f"'{model_dir}' has {CONFIG_NAME} but no checkpoint: "
            f"{kinds.of(config).how_to_train(model_dir)}, or use a shipped model")
    try:
        checkpoint_for(model).read(latest).expect_partial().assert_existing_objects_matched()
    except (AssertionError, ValueError) as err:
        raise ValueError(f"the weights in '{latest}' do not fit {model_dir}/{CONFIG_NAME}: {err}") \
            from None
    return model
