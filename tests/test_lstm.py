"""lstm.py: the LSTM against Keras' LSTM, autodiff, and a numpy peephole cell."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import lstm
import model as M
from config import Config


def test_lstm_matches_keras_lstm_with_the_same_weights():
    """Our gate layout is [i, f, o, g]; Keras' is [i, f, g, o]."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 7, 3)).astype(np.float32)
    ours = lstm.LSTM(5)
    ours.build((None, None, 3))
    ref = keras.layers.LSTM(5, return_sequences=True)
    ref.build((None, 7, 3))
    i, f, o, g = np.split(np.arange(20), 4)
    order = np.concatenate([i, f, g, o])  # keras column j comes from our column order[j]
    ref.set_weights([w.numpy()[..., order] for w in
                     (ours.kernel, ours.recurrent_kernel, ours.bias)])
    got, (h, _) = ours(tf.transpose(x, [1, 0, 2]))
    want = ref(x).numpy()
    np.testing.assert_allclose(np.transpose(got.numpy(), (1, 0, 2)), want, atol=1e-6)
    np.testing.assert_allclose(h.numpy(), want[:, -1], atol=1e-6)


def test_lstm_backward_matches_autodiff_of_the_plain_recursion():
    rng = np.random.default_rng(4)
    steps, batch, n = 6, 3, 4
    xw = tf.constant(rng.normal(size=(steps, batch, 4 * n)).astype(np.float32))
    kernel = tf.constant(rng.normal(scale=0.5, size=(n, 4 * n)).astype(np.float32))
    h0 = tf.constant(rng.normal(size=(batch, n)).astype(np.float32))
    c0 = tf.constant(rng.normal(size=(batch, n)).astype(np.float32))
    weights = tf.constant(rng.normal(size=(steps, batch, n)).astype(np.float32))

    def plain(xw, kernel, h0, c0):
        h, c, hs = h0, c0, []
        for t in range(steps):
            h, c = lstm.lstm_update(lstm.lstm_gates(xw[t] + h @ kernel), c)
            hs.append(h)
        return tf.stack(hs), h, c

    def loss(fn):
        with tf.GradientTape() as tape:
            tape.watch([xw, kernel, h0, c0])
            hs, h, c = fn(xw, kernel, h0, c0)
            value = tf.reduce_sum(hs * weights) + tf.reduce_sum(h * c)
        return value, tape.gradient(value, [xw, kernel, h0, c0])

    value, grads = loss(lstm.lstm_sequence)
    ref_value, ref_grads = loss(plain)
    assert float(value) == pytest.approx(float(ref_value), rel=1e-5)
    for got, want, name in zip(grads, ref_grads, ["xw", "kernel", "h0", "c0"]):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-4, atol=1e-5,
                                   err_msg=name)


def test_peephole_weights_change_the_output():
    model = M.build_model(Config(rnn_size=8, num_mixture=3, peephole=True))
    x = tf.constant(np.random.default_rng(6).normal(size=(1, 5, 3)).astype(np.float32))
    before = model(x)[0].numpy()
    layer = model.rnn_layers[0]
    layer.peepholes.assign(tf.ones_like(layer.peepholes))
    assert not np.allclose(model(x)[0].numpy(), before)


def numpy_peephole_lstm(x, kernel, recurrent_kernel, bias, peepholes):
    """Graves eq. 7-11 written out in float64, one step at a time: x [T, B, F] -> h [T, B, H]."""
    sigmoid = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    w_ci, w_cf, w_co = peepholes
    n = recurrent_kernel.shape[0]
    h = c = np.zeros((x.shape[1], n))
    hs = []
    for x_t in x:
        z = x_t @ kernel + h @ recurrent_kernel + bias
        z_i, z_f, z_o, z_g = (z[:, k * n:(k + 1) * n] for k in range(4))
        i = sigmoid(z_i + w_ci * c)  # eq. 7: the input gate sees the previous cell
        f = sigmoid(z_f + w_cf * c)  # eq. 8: so does the forget gate
        c = f * c + i * np.tanh(z_g)  # eq. 9
        o = sigmoid(z_o + w_co * c)  # eq. 10: the output gate sees the new cell
        h = o * np.tanh(c)  # eq. 11
        hs.append(h)
    return np.stack(hs)


def test_peephole_lstm_matches_numpy_equations():
    rng = np.random.default_rng(8)
    x = rng.normal(size=(6, 2, 3)).astype(np.float32)
    layer = lstm.LSTM(4, peephole=True)
    layer.build((None, None, 3))
    for weight in (layer.kernel, layer.recurrent_kernel, layer.bias, layer.peepholes):
        weight.assign(rng.normal(scale=0.7, size=weight.shape).astype(np.float32))
    want = numpy_peephole_lstm(x, *(w.numpy().astype(np.float64) for w in
                                    (layer.kernel, layer.recurrent_kernel, layer.bias,
                                     layer.peepholes)))
    got, (h, _) = layer(tf.constant(x))
    np.testing.assert_allclose(got.numpy(), want, atol=1e-5)
    np.testing.assert_allclose(h.numpy(), want[-1], atol=1e-5)
    state, steps = layer.zero_state(2), []
    for x_t in x:
        h, state = layer.step(tf.constant(x_t), state)
        steps.append(h.numpy())
    np.testing.assert_allclose(np.stack(steps), want, atol=1e-5)


def test_both_forward_passes_agree():
    rng = np.random.default_rng(9)
    xw = tf.constant(rng.normal(size=(5, 2, 12)).astype(np.float32))
    kernel = tf.constant(rng.normal(scale=0.5, size=(3, 12)).astype(np.float32))
    h0, c0 = tf.zeros([2, 3]), tf.zeros([2, 3])
    light = lstm.lstm_forward(xw, kernel, h0, c0)
    full = lstm.lstm_forward_for_backward(xw, kernel, h0, c0)
    assert len(light) == 3 and len(full) == 5
    for a, b in zip(light, full[:3]):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-6)
    assert full[3].shape == (5, 2, 12) and full[4].shape == (5, 2, 3)
