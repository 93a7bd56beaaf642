"""The soft window of Graves section 5 (eq. 46-51) against numpy, its backward pass
against autodiff of the plain recursion and against finite differences."""

import numpy as np
import pytest
import tensorflow as tf

import lstm


def numpy_window(p, kappa_prev, num_chars):
    """Eq. 46, 48-51 written out in float64 numpy, one term at a time."""
    p = np.asarray(p, np.float64)
    k = p.shape[-1] // 3
    alpha, beta = np.exp(p[..., :k]), np.exp(p[..., k:2 * k])
    kappa = kappa_prev + np.exp(p[..., 2 * k:])
    phi = np.zeros(p.shape[:-1] + (num_chars,))
    for u in range(1, num_chars + 1):
        for j in range(k):
            phi[..., u - 1] += alpha[..., j] * np.exp(-beta[..., j] * (kappa[..., j] - u) ** 2)
    return alpha, beta, kappa, phi


def test_window_follows_the_paper_equations():
    rng = np.random.default_rng(0)
    p = rng.normal(size=(4, 9)).astype(np.float32)
    kappa_prev = rng.uniform(0, 5, size=(4, 3)).astype(np.float32)
    alpha, beta, kappa = lstm.window_params(tf.constant(p), tf.constant(kappa_prev))
    phi = lstm.window_weights(alpha, beta, kappa, lstm.char_positions(7))
    want = numpy_window(p, kappa_prev, 7)
    for got, ref in zip((alpha, beta, kappa, phi), want):
        np.testing.assert_allclose(got.numpy(), ref, rtol=1e-5, atol=1e-6)
    # eq. 47: w = sum_u phi(u) c_u picks each character's one-hot row
    chars = np.eye(5, dtype=np.float32)[rng.integers(0, 5, size=(4, 7))]
    w = lstm.window_vector(phi, tf.constant(chars)).numpy()
    np.testing.assert_allclose(w, np.einsum("bu,buv->bv", want[3], chars), rtol=1e-5)


def test_window_weights_at_one_position_per_row():
    """The stop rule asks for phi at u = U_b + 1, a different position in each row."""
    rng = np.random.default_rng(1)
    p = rng.normal(size=(3, 6)).astype(np.float32)
    alpha, beta, kappa = lstm.window_params(tf.constant(p), tf.zeros([3, 2]))
    positions = tf.constant([[2.0], [5.0], [1.0]])
    got = lstm.window_weights(alpha, beta, kappa, positions).numpy()[:, 0]
    full = numpy_window(p, np.zeros((3, 2)), 5)[3]
    np.testing.assert_allclose(got, full[[0, 1, 2], [1, 4, 0]], rtol=1e-5)


def _inputs(rng, steps=6, batch=3, n=4, k=2, chars=5, vocab=6):
    f = lambda *shape, scale=0.5: tf.constant(  # noqa: E731
        rng.normal(0, scale, shape).astype(np.float32))
    one_hot = np.eye(vocab, dtype=np.float32)[rng.integers(0, vocab, (batch, chars))]
    one_hot[0, -2:] = 0  # a shorter text: padding is a zero row
    window_bias = tf.constant(np.r_[np.zeros(2 * k), np.full(k, -1.0)].astype(np.float32))
    return dict(xw=f(steps, batch, 4 * n), chars=tf.constant(one_hot),
                recurrent_kernel=f(vocab + n, 4 * n), window_kernel=f(n, 3 * k),
                window_bias=window_bias, h0=f(batch, n), c0=f(batch, n),
                kappa0=tf.abs(f(batch, k)), w0=f(batch, vocab))


def _plain(xw, chars, recurrent_kernel, window_kernel, window_bias, h0, c0, kappa0, w0):
    """The recursion step by step, for autodiff: what window_sequence computes."""
    h, c, kappa, w, out = h0, c0, kappa0, w0, []
    for t in range(xw.shape[0]):
        _, h, c, _, (_, _, kappa), phi, w = lstm._window_step(
            xw[t], h, c, kappa, w, chars, recurrent_kernel, window_kernel, window_bias)
        out.append((h, w, phi, kappa))
    hs, ws, phis, kappas = (tf.stack(v) for v in zip(*out))
    return hs, ws, phis, kappas, c


ORDER = ("xw", "chars", "recurrent_kernel", "window_kernel", "window_bias", "h0", "c0",
         "kappa0", "w0")


def _loss(fn, inputs, weights):
    # positional: tf.custom_gradient differentiates positional arguments only
    hs, ws, phis, kappas, c = fn(*(inputs[k] for k in ORDER))
    return (tf.reduce_sum(hs * weights[0]) + tf.reduce_sum(ws * weights[1])
            + tf.reduce_sum(phis * weights[2]) + tf.reduce_sum(kappas * weights[3])
            + tf.reduce_sum(tf.sin(c)))


DIFFERENTIABLE = ("xw", "recurrent_kernel", "window_kernel", "window_bias", "h0", "c0",
                  "kappa0", "w0")


def test_window_backward_matches_autodiff_of_the_plain_recursion():
    rng = np.random.default_rng(2)
    inputs = _inputs(rng)
    outs = _plain(**inputs)
    weights = [tf.constant(rng.normal(size=v.shape).astype(np.float32)) for v in outs[:4]]
    grads = {}
    for name, fn in (("ours", lstm.window_sequence), ("plain", _plain)):
        with tf.GradientTape() as tape:
            tape.watch([inputs[k] for k in DIFFERENTIABLE])
            value = _loss(fn, inputs, weights)
        grads[name] = (float(value), tape.gradient(value, [inputs[k] for k in DIFFERENTIABLE]))
    assert grads["ours"][0] == pytest.approx(grads["plain"][0], rel=1e-5)
    for got, want, name in zip(grads["ours"][1], grads["plain"][1], DIFFERENTIABLE):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-4, atol=2e-5,
                                   err_msg=name)


def test_window_backward_matches_finite_differences():
    rng = np.random.default_rng(3)
    inputs = _inputs(rng, steps=4, batch=2)
    inputs = {k: tf.cast(v, tf.float64) for k, v in inputs.items()}
    outs = _plain(**inputs)
    weights = [tf.constant(rng.normal(size=v.shape)) for v in outs[:4]]
    for name in ("window_kernel", "recurrent_kernel", "kappa0"):
        variable = tf.Variable(inputs[name])
        with tf.GradientTape() as tape:
            value = _loss(lstm.window_sequence, {**inputs, name: variable}, weights)
        grad = tape.gradient(value, variable).numpy()
        for index in [tuple(rng.integers(0, s) for s in variable.shape) for _ in range(4)]:
            eps = np.zeros(variable.shape)
            eps[index] = 1e-6
            up = _loss(_plain, {**inputs, name: inputs[name] + eps}, weights)
            down = _loss(_plain, {**inputs, name: inputs[name] - eps}, weights)
            numeric = float(up - down) / 2e-6
            assert grad[index] == pytest.approx(numeric, rel=1e-4, abs=1e-6), (name, index)


def test_window_layer_sequence_equals_its_steps():
    rng = np.random.default_rng(4)
    layer = lstm.WindowLSTM(6, 3, 5)
    layer.build((None, None, 3))
    x = tf.constant(rng.normal(size=(7, 2, 3)).astype(np.float32))
    chars = tf.constant(np.eye(5, dtype=np.float32)[rng.integers(0, 5, (2, 4))])
    (hs, ws, phis, kappas), last = layer(x, chars)
    (hs_t, ws_t, phis_t, _), last_t = layer(x, chars, training=True)
    state = layer.zero_state(2)
    for t in range(7):
        (h, w, phi, (_, _, kappa)), state = layer.step(x[t], chars, state)
        np.testing.assert_allclose(h.numpy(), hs[t].numpy(), atol=1e-5)
        np.testing.assert_allclose(w.numpy(), ws[t].numpy(), atol=1e-5)
        np.testing.assert_allclose(phi.numpy(), phis[t].numpy(), atol=1e-5)
        np.testing.assert_allclose(kappa.numpy(), kappas[t].numpy(), atol=1e-5)
    for a, b, c in zip(last, last_t, state):
        np.testing.assert_allclose(a.numpy(), c.numpy(), atol=1e-5)
        np.testing.assert_allclose(b.numpy(), c.numpy(), atol=1e-5)
    np.testing.assert_allclose(hs_t.numpy(), hs.numpy(), atol=1e-6)
    # the window starts at the pace of the writing, 1/22 character a point unless told
    assert np.allclose(np.exp(layer.window_bias.numpy()[-3:]), 1 / 22, rtol=1e-5)
    told = lstm.WindowLSTM(6, 3, 5, chars_per_step=0.2)
    told.build((None, None, 3))
    assert np.allclose(np.exp(told.window_bias.numpy()[-3:]), 0.2, rtol=1e-5)
