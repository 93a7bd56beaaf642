"""writer.FreeWriter.sample draws from the distribution it claims, with its state carried."""

import numpy as np
import pytest
import tensorflow as tf
from scipy import stats

import mixture
import model as M
from config import Config
from utils import START
from writer import FreeWriter

MIXTURE = 3
# three well separated components, so that each drawn point tells its component
PI = np.array([0.5, 0.3, 0.2])
MU1, MU2 = np.array([-6.0, 0.0, 6.0]), np.array([0.0, 6.0, -6.0])
SIGMA1, SIGMA2 = np.array([0.5, 1.0, 0.8]), np.array([0.8, 0.6, 1.0])
RHO = np.array([0.0, 0.6, -0.5])
E = 0.3


def mixture_params(network, x):
    """The mixture the network gives for inputs x [B, T, 3], as numpy arrays."""
    params = mixture.mixture_from_outputs(network.outputs_for(x))
    return {k: params[k].numpy() for k in mixture.PARAM_KEYS}


def fixed_output_model():
    """A tiny model whose output layer ignores its input: every step has the same
    mixture, so drawn points are independent draws from it."""
    model = M.build_model(Config(rnn_size=8, num_mixture=MIXTURE, data_scale=20))
    z = np.concatenate([[np.log(1 / E - 1)], np.log(PI), MU1, MU2, np.log(SIGMA1),
                        np.log(SIGMA2), np.arctanh(RHO)])
    model.head.kernel.assign(tf.zeros_like(model.head.kernel))
    model.head.bias.assign(z.astype(np.float32))
    return FreeWriter(model)


@pytest.fixture(scope="module")
def draws():
    model = fixed_output_model()
    strokes, params = model.sample(1000, num_samples=6, seed=11)
    return model, strokes.reshape(-1, 3), {k: v.reshape(-1, *v.shape[2:]) for k, v in
                                             params.items()}


def nearest_component(xy, data_scale):
    centres = np.stack([MU1, MU2], -1) * data_scale
    return np.argmin(((xy[:, None, :] - centres) ** 2).sum(-1), axis=1)


def test_eos_rate_matches_e(draws):
    _, strokes, params = draws
    np.testing.assert_allclose(params["e"], E, rtol=1e-5)
    n, k = len(strokes), int(strokes[:, 2].sum())
    assert stats.binomtest(k, n, E).pvalue > 1e-3


def test_component_frequencies_match_pi(draws):
    model, strokes, _ = draws
    which = nearest_component(strokes[:, :2], model.config.data_scale)
    counts = np.bincount(which, minlength=MIXTURE)
    assert stats.chisquare(counts, PI * len(which)).pvalue > 1e-3


def test_each_component_has_its_mean_and_covariance(draws):
    model, strokes, params = draws
    data_scale = model.config.data_scale
    np.testing.assert_allclose(params["mu1"][0], MU1 * data_scale, rtol=1e-5)  # tablet units
    which = nearest_component(strokes[:, :2], data_scale)
    for k in range(MIXTURE):
        xy = strokes[which == k, :2] / data_scale
        n = len(xy)
        cov = np.array([[SIGMA1[k] ** 2, RHO[k] * SIGMA1[k] * SIGMA2[k]],
                        [RHO[k] * SIGMA1[k] * SIGMA2[k], SIGMA2[k] ** 2]])
        # the mean within 4 standard errors
        error = xy.mean(0) - [MU1[k], MU2[k]]
        assert np.all(np.abs(error) < 4 * np.sqrt(np.diag(cov) / n)), (k, error)
        # variances within 4 standard errors (var of a sample variance ~ 2 sigma^4 / n)
        got = np.cov(xy.T)
        np.testing.assert_allclose(np.diag(got), np.diag(cov),
                                   atol=0, rtol=4 * np.sqrt(2 / n))
        correlation = got[0, 1] / np.sqrt(got[0, 0] * got[1, 1])
        assert abs(correlation - RHO[k]) < 4 * (1 - RHO[k] ** 2) / np.sqrt(n), (k, correlation)


def test_bias_zero_is_plain_sampling_and_a_large_bias_sharpens():
    model = fixed_output_model()
    plain, plain_params = model.sample(400, seed=5)
    zero, zero_params = model.sample(400, seed=5, bias=0.0)
    np.testing.assert_array_equal(plain, zero)
    np.testing.assert_allclose(zero_params["pi"][0], PI, rtol=1e-5)
    sharp, sharp_params = model.sample(3000, seed=5, bias=3.0)
    # eq. 61-62: pi ~ pi^(1 + b), sigma = sigma exp(-b)
    want = PI ** 4 / (PI ** 4).sum()
    np.testing.assert_allclose(sharp_params["pi"][0], want, rtol=1e-4)
    np.testing.assert_allclose(sharp_params["sigma1"][0] / model.config.data_scale,
                               SIGMA1 * np.exp(-3.0), rtol=1e-4)
    which = nearest_component(sharp[:, :2], model.config.data_scale)
    assert (which == 0).mean() > 0.85  # was 0.5 without bias
    spread = sharp[which == 0, 0].std() / model.config.data_scale
    assert spread == pytest.approx(SIGMA1[0] * np.exp(-3.0), rel=0.1)


def test_seeds_reproduce_and_differ():
    model = FreeWriter(M.build_model(Config(rnn_size=8, num_mixture=MIXTURE)))
    a, _ = model.sample(300, seed=1)
    b, _ = model.sample(300, seed=1)
    c, _ = model.sample(300, seed=2)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    assert a.shape == (300, 3) and set(np.unique(a[:, 2])) <= {0.0, 1.0}


def test_noise_capacity_is_the_next_power_of_two_from_256():
    for n in (1, 255, 256, 257, 800, 1024, 1025, 5000):
        want = max(256, 2 ** int(np.ceil(np.log2(n))))
        assert int(mixture.sample_capacity(n)) == want
        assert int(mixture.sample_capacity(tf.constant(n))) == want


def test_the_state_is_carried_from_point_to_point():
    """The mixture the sampler used at every step is the one the network gives
    when it reads the whole sampled line at once, which needs the state carried."""
    model = FreeWriter(M.build_model(Config(rnn_size=8, num_mixture=MIXTURE)))
    strokes, history = model.sample(120, seed=4)
    data_scale = model.config.data_scale
    inputs = np.concatenate([[START], strokes[:-1] * [1 / data_scale, 1 / data_scale, 1]])
    whole = mixture_params(model.network, inputs[None].astype(np.float32))
    np.testing.assert_allclose(history["pi"], whole["pi"][0], atol=2e-5)
    np.testing.assert_allclose(history["mu1"] / data_scale, whole["mu1"][0], atol=2e-5)
    np.testing.assert_allclose(history["e"], whole["e"][0], atol=2e-5)
    # a sampler that restarted from a zero state at every point would not match
    fresh = [mixture_params(model.network, inputs[None, t:t + 1].astype(np.float32))["pi"][0, 0]
             for t in range(len(inputs))]
    assert not np.allclose(history["pi"], np.array(fresh), atol=1e-3)


def test_priming_continues_from_the_state_after_the_line():
    model = FreeWriter(M.build_model(Config(rnn_size=8, num_mixture=MIXTURE)))
    prime, _ = model.sample(60, seed=8)
    prime[0, :2] = 0  # a line starts with a zero step
    _, history = model.sample(10, seed=9, prime=prime)
    data_scale = model.config.data_scale
    inputs = np.concatenate([[START], prime[1:] * [1 / data_scale, 1 / data_scale, 1]])
    after = mixture_params(model.network, inputs[None].astype(np.float32))
    np.testing.assert_allclose(history["pi"][0], after["pi"][0, -1], atol=2e-5)
    with pytest.raises(ValueError, match="two points"):
        model.sample(10, prime=prime[:1])
