// The mixture density output (mixture.py) in plain JavaScript: network outputs z [1 + 6M]
// -> mixture parameters sharpened by a bias (Graves eq. 18-23, 61-62), the writer's guard
// against a resting pen, and one point drawn with noise given from outside.

const PEN_AT_REST = 3.0; // tablet units, as mixture.PEN_AT_REST

// z -> its parts (eq. 17): e's logit, then z_pi, mu1, mu2, z_sigma1, z_sigma2, z_rho
function splitOutputs(z) {
  const m = (z.length - 1) / 6;
  const part = (k) => z.subarray(1 + k * m, 1 + (k + 1) * m);
  return {ze: z[0], zpi: part(0), mu1: part(1), mu2: part(2), zs1: part(3), zs2: part(4),
    zrho: part(5), m};
}

// mixture.without_resting_pen: the components whose means and spreads are all under
// PEN_AT_REST tablet units left out (unless every one is)
export function withoutRestingPen(z, dataScale) {
  const {zpi, mu1, mu2, zs1, zs2, m} = splitOutputs(z);
  const limit = PEN_AT_REST / dataScale;
  const rest = [];
  for (let k = 0; k < m; k++) {
    rest.push(Math.abs(mu1[k]) < limit && Math.abs(mu2[k]) < limit &&
      Math.exp(zs1[k]) < limit && Math.exp(zs2[k]) < limit);
  }
  if (rest.every(Boolean)) return z;
  const out = Float32Array.from(z);
  const low = Math.min(...zpi) - 1e4;
  for (let k = 0; k < m; k++) if (rest[k]) out[1 + k] = low;
  return out;
}

// mixture.mixture_from_outputs: e, log pi, mu, sigma, rho, sharpened by bias b
export function mixtureFromOutputs(z, bias = 0) {
  const {ze, zpi, mu1, mu2, zs1, zs2, zrho, m} = splitOutputs(z);
  const logits = Array.from(zpi, (v) => v * (1 + bias));
  const top = Math.max(...logits);
  const norm = top + Math.log(logits.reduce((s, v) => s + Math.exp(v - top), 0));
  return {
    e: 1 / (1 + Math.exp(ze)),
    logPi: logits.map((v) => v - norm),
    mu1, mu2, m,
    sigma1: Array.from(zs1, (v) => Math.exp(v - bias)),
    sigma2: Array.from(zs2, (v) => Math.exp(v - bias)),
    rho: Array.from(zrho, Math.tanh),
  };
}

// mixture.draw_point: eos ~ Bernoulli(e) by uniform, the component by Gumbel-max, then
// (dx, dy) from it, correlated through rho, by the two normals
export function drawPoint(p, uniform, gumbel, normal) {
  const eos = uniform < p.e ? 1 : 0;
  let k = 0;
  for (let j = 1; j < p.m; j++) if (p.logPi[j] + gumbel[j] > p.logPi[k] + gumbel[k]) k = j;
  const [n1, n2] = normal;
  const rho = p.rho[k];
  return [p.mu1[k] + p.sigma1[k] * n1,
    p.mu2[k] + p.sigma2[k] * (rho * n1 + Math.sqrt(1 - rho * rho) * n2), eos];
}
