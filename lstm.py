"""The LSTM of Graves (2013), eq. 7-11, and the soft window of section 5 (eq. 46-51),
each with a hand-written backward pass.

Why it exists rather than keras.layers.LSTM: on a CPU a step of this network is
little arithmetic and much per-op dispatch. Here the forward and the backward
recursions are each one XLA-compiled loop, the input projections of all steps are
one matrix product, and the recurrent weight gradient is one matrix product over
all steps instead of the T small ones autodiff of the loop gives. bench.py
measures the default model training at 9,300-10,800 points/s against 6,600-6,900
for the same network built from keras.layers.LSTM: 1.4-1.6x on the README's
two-core AVX2 CPU; on a two-core AVX-512 CPU, where Keras' own kernels are faster,
1.0-1.1x. The soft window of synthesis (below) has no Keras counterpart: autodiff
of its loop trained about 5x slower than its hand-written backward pass here.

Gates are stored in the order [i, f, o, g]: the three sigmoid gates are one
slice, then the cell input. Keras 3 has no peephole connections (the w_c terms of
eq. 7, 8 and 10); peephole_lstm_step adds them and runs through tf.scan and
autodiff, correct but slower. KerasRNN puts Keras' GRU and SimpleRNN behind the
same interface.
"""

import keras
import numpy as np
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


# ---------------------------------------------------------------- the soft window


def window_params(p, kappa_prev):
    """Window parameters from the first layer's linear output p = [alpha^, beta^, kappa^]
    (eq. 48-51): alpha = exp(alpha^) the importance, beta = exp(beta^) the width, and
    kappa = kappa_prev + exp(kappa^) the position, which can only move forward."""
    alpha_hat, beta_hat, kappa_hat = tf.split(p, 3, axis=-1)
    return tf.exp(alpha_hat), tf.exp(beta_hat), kappa_prev + tf.exp(kappa_hat)


def window_weights(alpha, beta, kappa, positions):
    """phi(t, u) = sum_k alpha_k exp(-beta_k (kappa_k - u)^2) (eq. 46) at the character
    positions u [U] (1 for the first character): alpha, beta, kappa [..., K] -> [..., U]."""
    terms = tf.exp(-beta[..., None] * tf.square(kappa[..., None] - positions[..., None, :]))
    return tf.reduce_sum(alpha[..., None] * terms, axis=-2)


def window_vector(phi, chars):
    """w = sum_u phi(u) c_u (eq. 47): phi [B, U], chars [B, U, V] one-hot -> [B, V]."""
    return tf.einsum("bu,buv->bv", phi, chars)


def char_positions(num_chars, dtype=tf.float32):
    return tf.range(1, num_chars + 1, dtype=dtype)


def _window_step(xw_t, h, c, kappa, w, chars, recurrent_kernel, window_kernel, window_bias):
    """One step of the window layer: the LSTM reads (x_t, w_{t-1}) (the x part already
    projected into xw_t), and its output places the window for w_t (eq. 46-51)."""
    a = lstm_gates(xw_t + tf.matmul(tf.concat([w, h], -1), recurrent_kernel))
    h, c = lstm_update(a, c)
    p = tf.matmul(h, window_kernel) + window_bias
    alpha, beta, kappa = window_params(p, kappa)
    phi = window_weights(alpha, beta, kappa, char_positions(tf.shape(chars)[1], chars.dtype))
    return a, h, c, p, (alpha, beta, kappa), phi, window_vector(phi, chars)


@tf.function(jit_compile=True)
def window_forward(xw, chars, recurrent_kernel, window_kernel, window_bias, h0, c0, kappa0, w0):
    """The window layer over a sequence, compiled by XLA. xw [T, B, 4H] are the input
    projections x_t W + b; recurrent_kernel [V + H, 4H] multiplies [w_{t-1}, h_{t-1}].
    Returns, for every step, the gate activations, cells, h, w, the window's linear
    output p, kappa and phi: what the backward pass needs and what callers show."""
    steps = tf.shape(xw)[0]
    new = lambda: tf.TensorArray(xw.dtype, size=steps)  # noqa: E731
    xw_t = new().unstack(xw)

    def step(t, h, c, kappa, w, kept):
        a, h, c, p, (_, _, kappa), phi, w = _window_step(
            xw_t.read(t), h, c, kappa, w, chars, recurrent_kernel, window_kernel, window_bias)
        kept = tuple(ta.write(t, v) for ta, v in zip(kept, (a, c, h, w, p, kappa, phi)))
        return t + 1, h, c, kappa, w, kept

    *_, kept = tf.while_loop(lambda t, *_: t < steps, step,
                             (0, h0, c0, kappa0, w0, tuple(new() for _ in range(7))))
    return tuple(ta.stack() for ta in kept)


@tf.function(jit_compile=True)
def window_backward(d_hs, d_ws, d_phis, d_kappas, d_c_last, acts, cells, hs, ws, ps, kappas,
                    chars, recurrent_kernel, window_kernel, h0, c0, w0):
    """Backpropagation through time for window_forward: eq. 46-51 and 7-11
    differentiated. d_hs, d_ws, d_phis, d_kappas: the gradients arriving from outside
    at every step; d_c_last: at the last cell. Returns the gradients of xw,
    recurrent_kernel, window_kernel, window_bias and of the initial h, c, kappa, w."""
    steps = tf.shape(acts)[0]
    n, vocab = h0.shape[-1], w0.shape[-1]
    new = lambda: tf.TensorArray(acts.dtype, size=steps)  # noqa: E731
    unstack = lambda v: new().unstack(v)  # noqa: E731
    # the LSTM's local derivatives, for all steps at once (as lstm_backward)
    i, f, o, g = tf.split(acts, 4, axis=-1)
    c_prev = tf.concat([c0[None], cells[:-1]], axis=0)
    tanh_c = tf.tanh(cells)
    slope = tf.concat([acts[..., : 3 * n] * (1 - acts[..., : 3 * n]), 1 - tf.square(g)], -1)
    gain = tf.concat([g, c_prev, tanh_c, i], axis=-1) * slope
    dc_dh = o * (1 - tf.square(tanh_c))
    # the window's: alpha, beta and exp(kappa^) are each the derivative of itself
    alphas, betas, kappa_steps = tf.split(tf.exp(ps), 3, axis=-1)
    # gradient reaching phi from outside, directly and through w = phi C
    d_phis = d_phis + tf.einsum("tbv,buv->tbu", d_ws, chars)
    positions = char_positions(tf.shape(chars)[1], acts.dtype)
    per_step = [unstack(v) for v in (d_hs, gain, dc_dh, f, d_phis, d_kappas, alphas, betas,
                                     kappas, kappa_steps)]
    recurrent_t, window_t = tf.transpose(recurrent_kernel), tf.transpose(window_kernel)

    def step(t, dw, dh_next, dc, dkappa, dzs, dps):
        d_h, gain_t, dc_dh_t, f_t, d_phi, d_kappa, alpha, beta, kappa, kappa_step = (
            v.read(t) for v in per_step)
        # eq. 47: w_t feeds the next step's LSTM, dw comes back through its kernel
        d_phi = d_phi + tf.einsum("bv,buv->bu", dw, chars)
        # eq. 46: phi = sum_k alpha_k e_ku, e_ku = exp(-beta_k (kappa_k - u)^2)
        dist = kappa[..., None] - positions
        d_terms = d_phi[:, None, :] * tf.exp(-beta[..., None] * tf.square(dist))  # dL/de * e
        d_alpha = tf.reduce_sum(d_terms, -1)  # dphi/dalpha_k = e_k
        d_beta = -alpha * tf.reduce_sum(d_terms * tf.square(dist), -1)
        # eq. 51: kappa_t = kappa_{t-1} + exp(kappa^), so dkappa flows back unchanged
        dkappa = dkappa + d_kappa - 2.0 * alpha * beta * tf.reduce_sum(d_terms * dist, -1)
        # eq. 48-50 through exp()
        dp = tf.concat([d_alpha * alpha, d_beta * beta, dkappa * kappa_step], -1)
        # h_t feeds the window, the layers above, and the next step
        dh = d_h + dh_next + tf.matmul(dp, window_t)
        dc = dc + dh * dc_dh_t  # eq. 11: h = o tanh(c)
        # d(pre-activations): [i, f, g] through c (eq. 9), o through h (eq. 11)
        dz = tf.concat([dc, dc, dh, dc], axis=-1) * gain_t
        d_prev = tf.matmul(dz, recurrent_t)  # into [w_{t-1}, h_{t-1}]
        return (t - 1, d_prev[:, :vocab], d_prev[:, vocab:], dc * f_t, dkappa,
                dzs.write(t, dz), dps.write(t, dp))

    _, d_w0, d_h0, d_c0, d_kappa0, dzs, dps = tf.while_loop(
        lambda t, *_: t >= 0, step,
        (steps - 1, tf.zeros_like(w0), tf.zeros_like(h0), d_c_last,
         tf.zeros_like(alphas[0]), new(), new()))
    dz, dp = dzs.stack(), dps.stack()
    # the weight gradients: one product over all steps each
    prev = tf.concat([tf.concat([w0, h0], -1)[None], tf.concat([ws, hs], -1)[:-1]], 0)
    d_recurrent = tf.matmul(tf.reshape(prev, [-1, vocab + n]), tf.reshape(dz, [-1, 4 * n]),
                            transpose_a=True)
    d_window = tf.matmul(tf.reshape(hs, [-1, n]), tf.reshape(dp, [-1, dp.shape[-1]]),
                         transpose_a=True)
    return dz, d_recurrent, d_window, tf.reduce_sum(dp, [0, 1]), d_h0, d_c0, d_kappa0, d_w0


@tf.custom_gradient
def window_sequence(xw, chars, recurrent_kernel, window_kernel, window_bias, h0, c0, kappa0, w0):
    """The window layer over a sequence, differentiable: (h [T, B, H], w [T, B, V],
    phi [T, B, U], kappa [T, B, K]) for every step, and the last cell c. Its own backward pass, like
    lstm_sequence, makes each weight gradient one matrix product over all steps."""
    acts, cells, hs, ws, ps, kappas, phis = window_forward(*map(
        tf.stop_gradient, (xw, chars, recurrent_kernel, window_kernel, window_bias,
                           h0, c0, kappa0, w0)))

    def grad(d_hs, d_ws, d_phis, d_kappas, d_c_last):
        d_xw, d_rec, d_win, d_bias, d_h0, d_c0, d_k0, d_w0 = window_backward(
            d_hs, d_ws, d_phis, d_kappas, d_c_last, acts, cells, hs, ws, ps, kappas, chars,
            recurrent_kernel, window_kernel, h0, c0, w0)
        return d_xw, tf.zeros_like(chars), d_rec, d_win, d_bias, d_h0, d_c0, d_k0, d_w0

    return (hs, ws, phis, kappas, cells[-1]), grad


class WindowLSTM(keras.layers.Layer):
    """The first layer of the synthesis network (Graves section 5): an LSTM that reads
    (x_t, w_{t-1}) and places a soft window of window_mixtures Gaussians over the
    one-hot characters of the text, giving w_t to the layers above and the next step.

    Weights: kernel [F + V, 4H] for [x, w] (x first), recurrent_kernel [H, 4H], bias,
    window_kernel [H, 3K], window_bias [3K].
    """

    def __init__(self, units, window_mixtures, vocab_size, chars_per_step=1 / 22, **kwargs):
        super().__init__(**kwargs)
        self.units, self.window_mixtures, self.vocab_size = units, window_mixtures, vocab_size
        self.chars_per_step = chars_per_step

    def build(self, input_shape):
        n, k, v = self.units, self.window_mixtures, self.vocab_size
        self.lstm = LSTM(n)
        self.lstm.build((None, None, input_shape[-1] + v))
        self.window_kernel = self.add_weight(shape=(n, 3 * k), name="window_kernel",
                                             initializer="glorot_uniform")
        # the window starts moving at the pace of the writing, chars_per_step characters
        # a point (IAM-OnDB: a character in 22 points): an alignment to start from.
        # Started much slower, it learns to stay on the first character instead.
        self.window_bias = self.add_weight(
            shape=(3 * k,), name="window_bias",
            initializer=lambda shape, dtype=None: tf.concat(
                [tf.zeros([2 * k]), tf.fill([k], float(np.log(self.chars_per_step)))], 0))

    def zero_state(self, batch_size):
        n, k, v = self.units, self.window_mixtures, self.vocab_size
        return (tf.zeros([batch_size, n]), tf.zeros([batch_size, n]),
                tf.zeros([batch_size, k]), tf.zeros([batch_size, v]))

    def _weights(self, x_width):
        kernel = tf.convert_to_tensor(self.lstm.kernel)
        recurrent = tf.concat([kernel[x_width:], self.lstm.recurrent_kernel], 0)
        return kernel[:x_width], recurrent

    def call(self, x, chars, state=None, training=False):
        """x [T, B, F] time-major, chars [B, U, V] one-hot -> ((h, w, phi, kappa) for
        every step, the state (h, c, kappa, w) after the last)."""
        h0, c0, kappa0, w0 = self.zero_state(tf.shape(x)[1]) if state is None else state
        x_kernel, recurrent = self._weights(x.shape[-1])
        xw = tf.tensordot(x, x_kernel, 1) + self.lstm.bias
        weights = (recurrent, tf.convert_to_tensor(self.window_kernel),
                   tf.convert_to_tensor(self.window_bias))
        if training:
            hs, ws, phis, kappas, c = window_sequence(xw, chars, *weights, h0, c0, kappa0, w0)
        else:  # no activations kept for a backward pass that will not come
            _, cells, hs, ws, _, kappas, phis = window_forward(xw, chars, *weights,
                                                               h0, c0, kappa0, w0)
            c = cells[-1]
        return (hs, ws, phis, kappas), (hs[-1], c, kappas[-1], ws[-1])

    def step(self, x, chars, state):
        """One step: x [B, F] -> ((h, w, phi, (alpha, beta, kappa)), new state)."""
        h, c, kappa, w = state
        x_kernel, recurrent = self._weights(x.shape[-1])
        xw = tf.matmul(x, x_kernel) + self.lstm.bias
        _, h, c, _, window, phi, w = _window_step(xw, h, c, kappa, w, chars, recurrent,
                                                  self.window_kernel, self.window_bias)
        return (h, w, phi, window), (h, c, window[2], w)
