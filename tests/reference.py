"""Independent float64 numpy versions of the paper's equations, the oracle of the tests.

Imported as a module and named where used: reference.mixture(z), reference.nll(z, y),
reference.line_by_line_nll(model, lines)."""

import numpy as np

START = (0.0, 0.0, 1.0)  # the protocol's first input, written out again here


def mixture(z, bias=0.0):
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


def nll(z, y):
    """-log of eq. 26 per point, float64, straight from the bivariate normal density
    (inf or nan where that naive formula breaks down: the point of the comparison)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return _nll(z, y)


def _nll(z, y):
    p = mixture(z)
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


def line_by_line_nll(model, lines, texts=None):
    """evaluate.py's protocol, one line at a time: every line [T, 3] (model units) runs
    alone through the network from a zero state, reading START then its true steps
    1..T-2 (and, for a synthesis model, its text), and is scored on steps 1..T-1 by
    eq. 26 above. No batching, padding or masking; only the network's outputs z come
    from the code under test. Returns (the nats of each line [N], the points scored)."""
    sums, points = [], 0
    for i, line in enumerate(lines):
        line = np.asarray(line, np.float32)
        x = np.concatenate([[START], line[1:-1]]).astype(np.float32)[None]
        if texts is None:
            z, _ = model(x)
        else:  # the text as the model's alphabet numbers it: 1, 2, ... (0: unknown)
            chars = np.array([[model.alphabet.find(c) + 1 for c in texts[i]]], np.int32)
            z, _ = model(x, chars)
        sums.append(float(nll(np.asarray(z)[0], line[1:]).sum()))
        points += len(line) - 1
    return np.array(sums), points
