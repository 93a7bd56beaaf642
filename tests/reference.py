"""Independent float64 numpy versions of the paper's equations, the oracle of the tests."""

import numpy as np


def reference_params(z, bias=0.0):
    """Eq. 18-23 (and 61-62) written out in float64 numpy."""
    z = np.asarray(z, np.float64)
    m = (z.shape[-1] - 1) // 6
    parts = np.split(z[..., 1:], 6, axis=-1)
    z_pi = parts[0] * (1 + bias)
    pi = np.exp(z_pi - z_pi.max(-1, keepdims=True))
    pi /= pi.sum(-1, keepdims=True)
    assert parts[0].shape[-1] == m
    return {"e": 1 / (1 + np.exp(z[..., 0])), "pi": pi, "mu1": parts[1], "mu2": parts[2],
            "sigma1": np.exp(parts[3] - bias), "sigma2": np.exp(parts[4] - bias),
            "rho": np.tanh(parts[5])}


def reference_nll(z, y):
    """-log of eq. 26 per point, float64, straight from the bivariate normal density
    (inf or nan where that naive formula breaks down: the point of the comparison)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return _reference_nll(z, y)


def _reference_nll(z, y):
    p = reference_params(z)
    y = np.asarray(y, np.float64)
    x1, x2, eos = y[..., 0:1], y[..., 1:2], y[..., 2]
    s1, s2, rho = p["sigma1"], p["sigma2"], p["rho"]
    d1, d2 = (x1 - p["mu1"]) / s1, (x2 - p["mu2"]) / s2
    one_m_rho2 = 1 - rho ** 2
    log_n = (-np.log(2 * np.pi * s1 * s2) - 0.5 * np.log(one_m_rho2)
             - (d1 ** 2 + d2 ** 2 - 2 * rho * d1 * d2) / (2 * one_m_rho2))
    top = log_n.max(-1, keepdims=True)
    log_mix = top[..., 0] + np.log((p["pi"] * np.exp(log_n - top)).sum(-1))
    log_bern = np.where(eos > 0.5, np.log(p["e"]), np.log1p(-p["e"]))
    return -(log_mix + log_bern)
