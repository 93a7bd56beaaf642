"""The LSTM of Graves (2013), eq. 7-11, with a hand-written backward pass.

Why it exists rather than keras.layers.LSTM: on a CPU a step of this network is
little arithmetic and much per-op dispatch. Here the forward and the backward
recursions are each one XLA-compiled loop, the input projections of all steps are
one matrix product, and the recurrent weight gradient is one matrix product over
all steps instead of the T small ones autodiff of the loop gives. bench.py
measures the default model training at 9,300-10,800 points/s against 6,600-6,900
for the same network built from keras.layers.LSTM: 1.4-1.6x on the README's
two-core CPU.

Gates are stored in the order [i, f, o, g]: the three sigmoid gates are one
slice, then the cell input. Keras 3 has no peephole connections (the w_c terms of
eq. 7, 8 and 10); peephole_lstm_step adds them and runs through tf.scan and
autodiff, correct but slower. KerasRNN puts Keras' GRU and SimpleRNN behind the
same interface.
"""

import keras
import tensorflow as tf


def lstm_gates(z):
    """Gate activations from pre-activations z = [i, f, o, g] (eq. 7, 8, 10 and the
    input of eq. 9): the three sigmoid gates are one contiguous slice."""
    n = z.shape[-1] // 4
    return tf.concat([tf.sigmoid(z[..., : 3 * n]), tf.tanh(z[..., 3 * n:])], axis=-1)


def lstm_update(a, c):
    """New hidden and cell state from gate activations a = [i, f, o, g] (eq. 9, 11)."""
    i, f, o, g = tf.split(a, 4, axis=-1)
    c = f * c + i * g
    return o * tf.tanh(c), c


def _recursion(xw, recurrent_kernel, h0, c0, keep_activations):
    """The forward loop of lstm_forward and lstm_forward_for_backward: (h of every
    step, last h, last c, and TensorArrays of the gate activations and cells of every
    step, left empty unless keep_activations)."""
    steps = tf.shape(xw)[0]
    new = lambda: tf.TensorArray(xw.dtype, size=steps if keep_activations else 0)  # noqa: E731
    xw_t = tf.TensorArray(xw.dtype, size=steps).unstack(xw)

    def step(t, h, c, acts, cells, hs):
        a = lstm_gates(xw_t.read(t) + tf.matmul(h, recurrent_kernel))
        h, c = lstm_update(a, c)
        if keep_activations:
            acts, cells = acts.write(t, a), cells.write(t, c)
        return t + 1, h, c, acts, cells, hs.write(t, h)

    _, h, c, acts, cells, hs = tf.while_loop(
        lambda t, *_: t < steps, step,
        (0, h0, c0, new(), new(), tf.TensorArray(xw.dtype, size=steps)))
    return hs.stack(), h, c, acts, cells


@tf.function(jit_compile=True)
def lstm_forward(xw, recurrent_kernel, h0, c0):
    """The forward recursion, compiled by XLA (per-step op dispatch, not arithmetic,
    is what a CPU spends its time on otherwise): (h of every step [T, B, H], last h,
    last c). Keeps nothing for a backward pass: inference and validation."""
    hs, h, c, _, _ = _recursion(xw, recurrent_kernel, h0, c0, keep_activations=False)
    return hs, h, c


@tf.function(jit_compile=True)
def lstm_forward_for_backward(xw, recurrent_kernel, h0, c0):
    """lstm_forward, also returning what lstm_backward needs: the gate activations
    [T, B, 4H] and cells [T, B, H] of every step."""
    hs, h, c, acts, cells = _recursion(xw, recurrent_kernel, h0, c0, keep_activations=True)
    return hs, h, c, acts.stack(), cells.stack()


@tf.function(jit_compile=True)
def lstm_backward(d_hs, d_h_last, d_c_last, acts, cells, hs, recurrent_kernel, h0, c0):
    """Backpropagation through time for lstm_forward (eq. 7-11 differentiated).

    With z = xw + h' U the pre-activations, c = f c' + i g and h = o tanh(c), every
    gate's dz is the gradient of c or of h times a gain fixed by the forward pass.
    Returns (dz = d xw [T, B, 4H], d recurrent_kernel, d h0, d c0).
    """
    steps = tf.shape(acts)[0]
    n = recurrent_kernel.shape[0]
    new = lambda: tf.TensorArray(acts.dtype, size=steps)  # noqa: E731
    i, f, o, g = tf.split(acts, 4, axis=-1)
    c_prev = tf.concat([c0[None], cells[:-1]], axis=0)
    tanh_c = tf.tanh(cells)
    gain = tf.concat([
        g * (i * (1 - i)),  # input gate i: dc/di = g, times sigmoid'(z_i)
        c_prev * (f * (1 - f)),  # forget gate f: dc/df = c', times sigmoid'(z_f)
        tanh_c * (o * (1 - o)),  # output gate o: dh/do = tanh(c), times sigmoid'(z_o)
        i * (1 - tf.square(g)),  # cell input g: dc/dg = i, times tanh'(z_g)
    ], axis=-1)
    dc_dh = o * (1 - tf.square(tanh_c))  # h = o tanh(c): how dh reaches c
    d_hs_t, gain_t, dc_dh_t, f_t = (new().unstack(v) for v in (d_hs, gain, dc_dh, f))
    kernel_t = tf.transpose(recurrent_kernel)

    def step(t, dh, dc, dzs):
        dh = dh + d_hs_t.read(t)  # from this step's output, and from step t + 1 through U
        dc = dc + dh * dc_dh_t.read(t)  # from step t + 1's cell, and through this step's h
        # i, f and g move c, o moves h: [dc, dc, dh, dc] in the gate layout
        dz = tf.concat([dc, dc, dh, dc], axis=-1) * gain_t.read(t)
        # to the step before: h' through the recurrent product, c' through the forget gate
        return t - 1, tf.matmul(dz, kernel_t), dc * f_t.read(t), dzs.write(t, dz)

    _, d_h0, d_c0, dzs = tf.while_loop(
        lambda t, *_: t >= 0, step, (steps - 1, d_h_last, d_c_last, new()))
    dz = dzs.stack()
    h_prev = tf.concat([h0[None], hs[:-1]], axis=0)
    # the recurrent weight gradient: one product over all steps
    d_kernel = tf.matmul(tf.reshape(h_prev, [-1, n]), tf.reshape(dz, [-1, 4 * n]),
                         transpose_a=True)
    return dz, d_kernel, d_h0, d_c0


@tf.custom_gradient
def lstm_sequence(xw, recurrent_kernel, h0, c0):
    """An LSTM over time: xw [T, B, 4H] are the input projections x W + b of every step.

    Returns (h for every step [T, B, H], last h, last c), differentiable through
    lstm_backward.
    """
    # stop_gradient: the tape must not try to differentiate the compiled loop itself
    hs, h, c, acts, cells = lstm_forward_for_backward(
        *map(tf.stop_gradient, (xw, recurrent_kernel, h0, c0)))

    def grad(d_hs, d_h_last, d_c_last):
        return lstm_backward(d_hs, d_h_last, d_c_last, acts, cells, hs, recurrent_kernel, h0, c0)

    return (hs, h, c), grad


def peephole_lstm_step(xw_t, h, c, recurrent_kernel, peepholes):
    """One step of Graves' LSTM with peepholes (eq. 7-11): the gates see the cell."""
    w_ci, w_cf, w_co = tf.unstack(peepholes)
    zi, zf, zo, zg = tf.split(xw_t + tf.matmul(h, recurrent_kernel), 4, axis=-1)
    i = tf.sigmoid(zi + w_ci * c)
    f = tf.sigmoid(zf + w_cf * c)
    c = f * c + i * tf.tanh(zg)
    o = tf.sigmoid(zo + w_co * c)
    return o * tf.tanh(c), c


class LSTM(keras.layers.Layer):
    """An LSTM layer with Graves' gate layout, optional peepholes, and a one-step call.

    Gates are stored in the order [i, f, o, g]; the forget bias starts at 1.
    """

    def __init__(self, units, peephole=False, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.peephole = peephole

    def build(self, input_shape):
        n = self.units
        self.kernel = self.add_weight(shape=(input_shape[-1], 4 * n), name="kernel",
                                      initializer="glorot_uniform")
        self.recurrent_kernel = self.add_weight(shape=(n, 4 * n), name="recurrent_kernel",
                                                initializer="orthogonal")
        self.bias = self.add_weight(
            shape=(4 * n,), name="bias",
            initializer=lambda shape, dtype=None: tf.concat(
                [tf.zeros([n]), tf.ones([n]), tf.zeros([2 * n])], 0))
        if self.peephole:
            self.peepholes = self.add_weight(shape=(3, n), name="peepholes", initializer="zeros")

    def zero_state(self, batch_size):
        return (tf.zeros([batch_size, self.units]),) * 2

    def call(self, x, state=None, training=False):
        """x [T, B, F], time-major -> (h [T, B, H], (h, c) after the last step).

        Differentiable when training; otherwise a lighter forward-only pass."""
        h0, c0 = self.zero_state(tf.shape(x)[1]) if state is None else state
        # one product for the input projections of all steps
        xw = tf.tensordot(x, self.kernel, 1) + self.bias
        if self.peephole:
            def step(carry, xw_t):
                return peephole_lstm_step(xw_t, *carry, self.recurrent_kernel, self.peepholes)
            hs, cs = tf.scan(step, xw, initializer=(h0, c0))
            h, c = hs[-1], cs[-1]
        elif training:
            hs, h, c = lstm_sequence(xw, tf.convert_to_tensor(self.recurrent_kernel), h0, c0)
        else:
            hs, h, c = lstm_forward(xw, tf.convert_to_tensor(self.recurrent_kernel), h0, c0)
        return hs, (h, c)

    def step(self, x, state):
        """One step: x [B, F] -> (h, (h, c)). Used by the sampler."""
        h, c = state
        xw = tf.matmul(x, self.kernel) + self.bias
        if self.peephole:
            h, c = peephole_lstm_step(xw, h, c, self.recurrent_kernel, self.peepholes)
        else:
            h, c = lstm_update(lstm_gates(xw + tf.matmul(h, self.recurrent_kernel)), c)
        return h, (h, c)


class KerasRNN(keras.layers.Layer):
    """keras GRU or SimpleRNN behind the same interface as LSTM above."""

    def __init__(self, units, kind, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        make = {"gru": keras.layers.GRUCell, "rnn": keras.layers.SimpleRNNCell}[kind]
        self.cell = make(units)
        self.rnn = keras.layers.RNN(self.cell, return_sequences=True, return_state=True)

    def build(self, input_shape):
        self.rnn.build(input_shape)

    def zero_state(self, batch_size):
        return (tf.zeros([batch_size, self.units]),)

    def call(self, x, state=None, training=False):
        """x [T, B, F], time-major, as LSTM.call."""
        state = self.zero_state(tf.shape(x)[1]) if state is None else state
        hs, h = self.rnn(tf.transpose(x, [1, 0, 2]), initial_state=list(state), training=training)
        return tf.transpose(hs, [1, 0, 2]), (h,)

    def step(self, x, state):
        h, new = self.cell(x, list(state))
        return h, (new[0] if isinstance(new, (list, tuple)) else new,)
