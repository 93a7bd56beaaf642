// One step of the synthesis network (model.SynthesisModel.step) in plain JavaScript, for a
// page that writes in the browser: the window layer (Graves eq. 46-51 on an LSTM, eq. 7-11),
// the LSTM layers above it, each reading (x, w, h of the layer below), and the mixture
// head reading every layer. Weights as webexport.web_weights writes them. A batch of rows at
// a time, each reading its own text; the state is {h, c: one Float32Array [batch, units]
// a layer, kappa [batch, mixtures], w [batch, vocab]}.

import {addProducts, biasRows, lstmUpdate, weightsOf} from "./layers.js";

// A network from a manifest ({config, weights}), its buffer and the kernel, if compiled.
export function loadNetwork(manifest, buffer, kernel = null) {
  const config = manifest.config;
  return {config, w: weightsOf(manifest, buffer, kernel), units: config.rnn_size,
    layers: config.num_layers, mixtures: config.window_mixtures,
    vocab: config.alphabet.length + 1}; // code 0: unknown
}

export function zeroState(net, batch = 1) {
  const zeros = (n) => Array.from({length: net.layers}, () => new Float32Array(n * batch));
  return {h: zeros(net.units), c: zeros(net.units),
    kappa: new Float32Array(net.mixtures * batch), w: new Float32Array(net.vocab * batch)};
}

// The state of rows `rows` (indices) of a batch's state: rows repeated, reordered, dropped.
export function stateRows(net, state, rows) {
  const pick = (a, size) => {
    const out = new Float32Array(rows.length * size);
    rows.forEach((r, i) => out.set(a.subarray(r * size, (r + 1) * size), i * size));
    return out;
  };
  return {h: state.h.map((h) => pick(h, net.units)), c: state.c.map((c) => pick(c, net.units)),
    kappa: pick(state.kappa, net.mixtures), w: pick(state.w, net.vocab)};
}

// The window of eq. 46-51 from the first layer's h [batch, units]: each row's parameters
// alpha, beta, kappa [batch, K], phi over its text's codes (positions 1..U) and
// w = sum_u phi(u) onehot(code_u) [batch, vocab].
function placeWindow(net, h, kappaPrev, codes) {
  const k = net.mixtures;
  const batch = codes.length;
  const p = biasRows(net.w["window_layer.window_bias"], batch);
  addProducts(p, h, net.w["window_layer.window_kernel"], batch);
  const alpha = new Float32Array(k * batch);
  const beta = new Float32Array(k * batch);
  const kappa = new Float32Array(k * batch);
  const w = new Float32Array(net.vocab * batch);
  const phi = [];
  for (let b = 0; b < batch; b++) {
    for (let m = 0; m < k; m++) {
      alpha[b * k + m] = Math.exp(p[3 * k * b + m]);
      beta[b * k + m] = Math.exp(p[3 * k * b + k + m]);
      kappa[b * k + m] = kappaPrev[b * k + m] + Math.exp(p[3 * k * b + 2 * k + m]);
    }
    const text = codes[b];
    const row = new Float32Array(text.length);
    for (let u = 0; u < text.length; u++) {
      let sum = 0;
      for (let m = 0; m < k; m++) {
        sum += alpha[b * k + m] * Math.exp(-beta[b * k + m] * (kappa[b * k + m] - (u + 1)) ** 2);
      }
      row[u] = sum;
      if (text[u] >= 0) w[b * net.vocab + text[u]] += sum;
    }
    phi.push(row);
  }
  return {alpha, beta, kappa, phi, w};
}

// x: [batch, 3] (dx, dy, eos) in model units; codes: each row's text codes (text.
// encode_text, -1 pads). -> {z: the head's outputs [batch, 1 + 6M], state, phi (a
// Float32Array a row), alpha, beta, kappa}
export function synthesisStep(net, x, codes, state) {
  const batch = codes.length;
  const W = net.w;
  // the window layer reads (x, w of the last step) and its own h
  const a = biasRows(W["window_layer.bias"], batch);
  addProducts(a, x, W["window_layer.kernel"], batch);
  addProducts(a, state.w, W["window_layer.kernel"], batch, 3);
  addProducts(a, state.h[0], W["window_layer.recurrent_kernel"], batch);
  const h = [];
  const c = [];
  [h[0], c[0]] = lstmUpdate(a, state.c[0], batch);
  const window = placeWindow(net, h[0], state.kappa, codes);
  // every layer above reads (x, w, h of the layer below)
  for (let i = 1; i < net.layers; i++) {
    const name = `layer${i}`;
    const b = biasRows(W[`${name}.bias`], batch);
    addProducts(b, x, W[`${name}.kernel`], batch);
    addProducts(b, window.w, W[`${name}.kernel`], batch, 3);
    addProducts(b, h[i - 1], W[`${name}.kernel`], batch, 3 + net.vocab);
    addProducts(b, state.h[i], W[`${name}.recurrent_kernel`], batch);
    [h[i], c[i]] = lstmUpdate(b, state.c[i], batch);
  }
  // the mixture head reads every layer: [h0, h1, ...] a row
  const z = biasRows(W["head.bias"], batch);
  for (let i = 0; i < net.layers; i++) addProducts(z, h[i], W["head.kernel"], batch, i * net.units);
  return {z, state: {h, c, kappa: window.kappa, w: window.w}, phi: window.phi,
    alpha: window.alpha, beta: window.beta, kappa: window.kappa};
}
