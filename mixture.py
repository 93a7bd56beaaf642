"""The mixture density output of Graves (2013): what the networks' outputs z mean, as
numbers a point can be drawn from and scored by (eq. 17-26), sharpened by a bias
(eq. 61-62), the noise a sample is drawn with, and the writer's guard against a
resting pen. Pure functions of tensors: model.py's networks, export.py, evaluate.py
and bench.py all use them. Equation numbers refer to arXiv:1308.0850v5.
"""

import math

import numpy as np
import tensorflow as tf

PARAM_KEYS = ("e", "pi", "mu1", "mu2", "sigma1", "sigma2", "rho")
NOISE_KEYS = ("uniform", "gumbel", "normal")  # what draw_point takes, in its order
PEN_AT_REST = 3.0  # tablet units: the writer's steps are longer than this (see below)


def split_outputs(z):
    """Network outputs z [..., 1 + 6M] -> their parts (eq. 17): z_e [..., 1], then z_pi,
    mu1, mu2, z_sigma1, z_sigma2, z_rho [..., M] each."""
    m = (z.shape[-1] - 1) // 6
    return tf.split(z, [1, m, m, m, m, m, m], axis=-1)


def mixture_from_outputs(z, bias=0.0):
    """Network outputs z [..., 1 + 6M] -> mixture parameters (eq. 18-23).

    bias b sharpens sampling as in eq. 61-62: pi = softmax(z_pi (1 + b)),
    sigma = exp(z_sigma - b). Besides the parameters themselves, the dict holds
    their logarithms, computed directly from z so that they stay finite.
    """
    z_e, z_pi, mu1, mu2, z_s1, z_s2, z_rho = split_outputs(z)
    z_e = z_e[..., 0]
    log_pi = tf.nn.log_softmax(z_pi * (1.0 + bias), axis=-1)
    return {
        "e": tf.sigmoid(-z_e),  # eq. 18: e = 1 / (1 + exp(z_e))
        "pi": tf.exp(log_pi),
        "mu1": mu1,
        "mu2": mu2,
        "sigma1": tf.exp(z_s1 - bias),
        "sigma2": tf.exp(z_s2 - bias),
        "rho": tf.tanh(z_rho),
        "log_e": tf.math.log_sigmoid(-z_e),
        "log_not_e": tf.math.log_sigmoid(z_e),
        "log_pi": log_pi,
        "log_sigma1": z_s1 - bias,
        "log_sigma2": z_s2 - bias,
        "z_rho": z_rho,
    }


def log_bivariate_normal(x1, x2, mu1, mu2, log_sigma1, log_sigma2, z_rho):
    """log N(x | mu, sigma, rho) of eq. 24-25, with rho = tanh(z_rho).

    Written in the rotated coordinates a = (u + v)/sqrt2, b = (u - v)/sqrt2 of
    the standardised offsets u, v, where Z / (1 - rho^2) = a^2/(1+rho) + b^2/(1-rho),
    and 1 +- rho = 2 sigmoid(+-2 z_rho): exact, and finite even when rho rounds to +-1.
    """
    u = (x1 - mu1) * tf.exp(-log_sigma1)
    v = (x2 - mu2) * tf.exp(-log_sigma2)
    log_1p_rho = math.log(2.0) + tf.math.log_sigmoid(2.0 * z_rho)
    log_1m_rho = math.log(2.0) + tf.math.log_sigmoid(-2.0 * z_rho)
    quad = 0.5 * (tf.square(u + v) * tf.exp(-log_1p_rho) + tf.square(u - v) * tf.exp(-log_1m_rho))
    return (-math.log(2.0 * math.pi) - log_sigma1 - log_sigma2
            - 0.5 * (log_1p_rho + log_1m_rho) - 0.5 * quad)


def point_nll(params, y):
    """-log Pr(y | params) per point, in nats (eq. 26). y [..., 3] = (dx, dy, eos)."""
    x1, x2, eos = y[..., 0:1], y[..., 1:2], y[..., 2]
    log_n = log_bivariate_normal(x1, x2, params["mu1"], params["mu2"], params["log_sigma1"],
                                 params["log_sigma2"], params["z_rho"])
    log_mixture = tf.reduce_logsumexp(params["log_pi"] + log_n, axis=-1)
    log_bernoulli = eos * params["log_e"] + (1.0 - eos) * params["log_not_e"]
    return -(log_mixture + log_bernoulli)


def masked_mean(values, mask=None):
    if mask is None:
        return tf.reduce_mean(values)
    mask = tf.cast(mask, values.dtype)
    return tf.reduce_sum(values * mask) / tf.maximum(tf.reduce_sum(mask), 1.0)


def sampling_noise(seed, num_points, batch, num_mixture):
    """All the randomness of a sample of num_points steps (for sample_capacity(num_points)
    steps, in fact), drawn up front from a stateless generator: the same seed gives the
    same noise, whatever else the program has drawn. seed: an int or an int64 scalar."""
    steps = sample_capacity(num_points)
    seed = tf.stack([tf.cast(seed, tf.int64), tf.constant(0, tf.int64)])
    seeds = tf.random.experimental.stateless_split(seed, 3)
    return {
        "uniform": tf.random.stateless_uniform([steps, batch], seeds[0]),
        "gumbel": -tf.math.log(-tf.math.log(tf.random.stateless_uniform(
            [steps, batch, num_mixture], seeds[1], minval=1e-20, maxval=1.0))),
        "normal": tf.random.stateless_normal([steps, batch, 2], seeds[2]),
    }


def batch_noise(seed, num_points, batch, num_mixture):
    """sampling_noise for a batch of rows: seed is one int for the whole batch, or a
    list of one int per row. With a list, each row's noise comes from its own seed
    alone (the draws of sampling_noise do not depend on how many steps are drawn
    after them), so that a row does not depend on the rows batched with it."""
    if np.ndim(seed) == 0:
        return sampling_noise(seed, num_points, batch, num_mixture)
    if len(seed) != batch:
        raise ValueError(f"{len(seed)} seeds for {batch} rows: give one seed per row")
    rows = [sampling_noise(s, num_points, 1, num_mixture) for s in seed]
    return {k: tf.concat([row[k] for row in rows], axis=1) for k in rows[0]}


def sample_capacity(num_points):
    """Steps of noise drawn for a sample: a power of two, at least 256, so that the
    sampler compiles once per capacity (800 points compile as 1024). The draws depend
    on this size as well as the seed, so model.sample and the exported sampler (whose
    num_points is a tensor) both take it from here, through sampling_noise."""
    (capacity,) = tf.while_loop(lambda n: n < num_points, lambda n: (2 * n,),
                                (tf.constant(256),))
    return capacity


def draw_point(params, uniform, gumbel, normal):
    """One point from the predictive distribution (eq. 17): eos ~ Bernoulli(e),
    component k ~ pi (Gumbel-max: argmax(log pi + Gumbel) is distributed as pi),
    then (dx, dy) from the k-th bivariate normal, correlated through rho."""
    eos = tf.cast(uniform < params["e"], tf.float32)
    k = tf.argmax(params["log_pi"] + gumbel, axis=-1)
    pick = lambda name: tf.gather(params[name], k, axis=-1, batch_dims=1)  # noqa: E731
    mu1, mu2, s1, s2, rho = (pick(n) for n in ("mu1", "mu2", "sigma1", "sigma2", "rho"))
    n1, n2 = normal[..., 0], normal[..., 1]
    dx = mu1 + s1 * n1
    dy = mu2 + s2 * (rho * n1 + tf.sqrt(1.0 - tf.square(rho)) * n2)
    return tf.stack([dx, dy, eos], axis=-1)


def without_resting_pen(z, data_scale, rest=PEN_AT_REST):
    """Network outputs z [..., 1 + 6M] with the mixture components of a pen at rest
    left out: those whose means and spreads are all under `rest` tablet units
    (data_scale tablet units to a model unit). Not in Graves; the writer's guard.

    The tablet repeats a point while the pen rests or crawls (5% of IAM-OnDB's steps
    are 3 units or less, a median step is 19), and the network fits those steps with
    narrow components at zero. Once the writer draws one, the network reads a
    resting pen and predicts more rest; bias, which sharpens pi towards the
    strongest component (eq. 61), turns that into a pen that never moves again, and
    the line runs out of points. If every component is at rest, z is kept as it is.
    """
    z_e, z_pi, mu1, mu2, z_s1, z_s2, z_rho = split_outputs(z)
    limit = rest / data_scale
    at_rest = ((tf.abs(mu1) < limit) & (tf.abs(mu2) < limit)
               & (tf.exp(z_s1) < limit) & (tf.exp(z_s2) < limit))
    at_rest &= ~tf.reduce_all(at_rest, axis=-1, keepdims=True)
    # a logit far below any other: pi of a component at rest underflows to 0
    z_pi = tf.where(at_rest, tf.reduce_min(z_pi, axis=-1, keepdims=True) - 1e4, z_pi)
    return tf.concat([z_e, z_pi, mu1, mu2, z_s1, z_s2, z_rho], axis=-1)
