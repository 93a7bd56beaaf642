"""The mixture maths (mixture.py) against independent numpy computations."""

import math

import numpy as np
import pytest
import reference
import tensorflow as tf

import mixture as M


def random_outputs(rng, shape, m, scale):
    z = rng.normal(0, 1, shape + (1 + 6 * m,))
    z[..., 1 + 2 * m: 1 + 4 * m] *= 3  # means spread over a few units
    z[..., 1 + 4 * m:] *= scale  # log sigma and z_rho: scale 1 is tame, larger is extreme
    y = rng.normal(0, 2, shape + (3,))
    y[..., 2] = rng.random(shape) < 0.2
    return z.astype(np.float32), y.astype(np.float32)


def test_mixture_from_outputs_follows_the_paper_equations():
    rng = np.random.default_rng(0)
    z, _ = random_outputs(rng, (4, 5), 3, 1.0)
    for bias in (0.0, 0.7):
        got = {k: v.numpy() for k, v in M.mixture_from_outputs(tf.constant(z), bias).items()}
        want = reference.mixture(z, bias)
        for key in M.PARAM_KEYS:
            np.testing.assert_allclose(got[key], want[key], rtol=1e-5, atol=1e-6, err_msg=key)


@pytest.mark.parametrize("scale", [1.0, 4.0])
def test_point_nll_matches_numpy(scale):
    rng = np.random.default_rng(1)
    z, y = random_outputs(rng, (6, 40), 5, scale)
    got = M.point_nll(M.mixture_from_outputs(tf.constant(z)), tf.constant(y)).numpy()
    want = reference.nll(z, y)
    finite = np.isfinite(want)
    assert finite.mean() > 0.9
    np.testing.assert_allclose(got[finite], want[finite], rtol=2e-4, atol=2e-3)


def test_point_nll_is_finite_where_the_naive_formula_is_not():
    # rho within float32 rounding of 1, tiny and huge sigmas, eos probabilities of 0 and 1
    m = 2
    z = np.zeros((4, 1 + 6 * m), np.float32)
    z[:, 0] = [-100, 100, 0, 30]
    z[:, 1 + 5 * m:] = [[20, -20], [12, 0], [-30, 30], [0, 9]]
    z[:, 1 + 3 * m: 1 + 5 * m] = [[-10, 5, 3, -9], [8, 8, -8, -8], [0, 0, 0, 0], [2, 2, 2, 2]]
    y = np.array([[1, 1, 1], [0.5, -0.5, 0], [3, 3, 1], [0, 0, 0]], np.float32)
    nll = M.point_nll(M.mixture_from_outputs(tf.constant(z)), tf.constant(y)).numpy()
    assert np.all(np.isfinite(nll)), nll
    # the float64 reference agrees wherever it is itself finite
    want = reference.nll(z, y)
    ok = np.isfinite(want)
    np.testing.assert_allclose(nll[ok], want[ok], rtol=1e-4)
    # and the gradient stays finite too
    zt = tf.Variable(z)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(M.point_nll(M.mixture_from_outputs(zt), tf.constant(y)))
    assert np.all(np.isfinite(tape.gradient(loss, zt).numpy()))


def test_without_resting_pen_drops_the_components_of_a_pen_at_rest():
    m, scale = 4, 20.0  # data_scale: tablet units to a model unit
    rng = np.random.default_rng(3)
    z = rng.normal(0, 1, (3, 1 + 6 * m)).astype(np.float32)
    mu1, mu2 = slice(1 + m, 1 + 2 * m), slice(1 + 2 * m, 1 + 3 * m)
    s1, s2 = slice(1 + 3 * m, 1 + 4 * m), slice(1 + 4 * m, 1 + 5 * m)
    # tablet units: rest within 3; component 0 at rest, 1 wide, 2 far, 3 an ordinary step
    z[:, mu1] = np.array([0.5, 0.0, 4.0, 15.0]) / scale
    z[:, mu2] = np.array([-1.0, 0.2, 0.0, -8.0]) / scale
    z[:, s1] = np.log(np.array([0.3, 5.0, 0.5, 4.0]) / scale)
    z[:, s2] = np.log(np.array([2.0, 1.0, 0.5, 6.0]) / scale)
    z[2, 1 + m: 1 + 3 * m] = 0.0  # row 2: every component at rest
    z[2, 1 + 3 * m: 1 + 5 * m] = np.log(0.5 / scale)
    out = M.without_resting_pen(tf.constant(z), scale).numpy()
    # only the mixture weights change: those of the resting pen vanish, the others
    # keep their proportions (numpy's softmax over the rest)
    keep = np.ones(1 + 6 * m, bool)
    keep[1:1 + m] = False
    np.testing.assert_array_equal(out[:, keep], z[:, keep])
    np.testing.assert_array_equal(out[2], z[2])
    for bias in (0.0, 2.0):
        pi = M.mixture_from_outputs(tf.constant(out[:2]), bias)["pi"].numpy()
        logits = z[:2, 2:1 + m] * (1 + bias)
        want = np.exp(logits - logits.max(-1, keepdims=True))
        want /= want.sum(-1, keepdims=True)
        np.testing.assert_allclose(pi[:, 0], 0.0, atol=1e-30)
        np.testing.assert_allclose(pi[:, 1:], want, rtol=1e-5)


def test_log_bivariate_normal_integrates_to_one():
    # a closed-form check independent of the formula's derivation
    grid = np.linspace(-6, 6, 401, dtype=np.float32)
    x1, x2 = np.meshgrid(grid, grid)
    log_n = M.log_bivariate_normal(x1, x2, 0.3, -0.2, math.log(0.8), math.log(1.3),
                                   np.float32(np.arctanh(0.6))).numpy()
    step = grid[1] - grid[0]
    assert np.exp(log_n).sum() * step * step == pytest.approx(1.0, abs=1e-3)
