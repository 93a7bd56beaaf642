// One step of the synthesis network (model.SynthesisModel.step) in plain JavaScript, for a
// page that writes in the browser: the window layer (Graves eq. 46-51 on an LSTM, eq. 7-11),
// the LSTM layers above it, each reading (x, w, h of the layer below), and the mixture
// head reading every layer. Weights as export.web_weights writes them: a manifest and one
// Float32Array. One row at a time; the state is {h, c: one Float32Array a layer, kappa, w}.

import {addProduct, lstmUpdate, weightsOf} from "./layers.js";

// A network from a manifest ({config, weights: {name: {shape, offset}}}) and its buffer.
export function loadNetwork(manifest, buffer) {
  const config = manifest.config;
  return {config, w: weightsOf(manifest, buffer), units: config.rnn_size,
    layers: config.num_layers, mixtures: config.window_mixtures,
    vocab: config.alphabet.length + 1}; // code 0: unknown
}

export function zeroState(net) {
  const zeros = (n) => Array.from({length: net.layers}, () => new Float32Array(n));
  return {h: zeros(net.units), c: zeros(net.units), kappa: new Float32Array(net.mixtures),
    w: new Float32Array(net.vocab)};
}

// The window of eq. 46-51 from the first layer's h: its parameters, phi over the text's
// codes (positions 1..U) and w = sum_u phi(u) onehot(code_u).
function placeWindow(net, h, kappaPrev, codes) {
  const k = net.mixtures;
  const p = Float32Array.from(net.w["window_layer.window_bias"].data);
  addProduct(p, h, net.w["window_layer.window_kernel"]);
  const alpha = new Float32Array(k);
  const beta = new Float32Array(k);
  const kappa = new Float32Array(k);
  for (let m = 0; m < k; m++) {
    alpha[m] = Math.exp(p[m]);
    beta[m] = Math.exp(p[k + m]);
    kappa[m] = kappaPrev[m] + Math.exp(p[2 * k + m]);
  }
  const phi = new Float32Array(codes.length);
  const w = new Float32Array(net.vocab);
  for (let u = 0; u < codes.length; u++) {
    let sum = 0;
    for (let m = 0; m < k; m++) sum += alpha[m] * Math.exp(-beta[m] * (kappa[m] - (u + 1)) ** 2);
    phi[u] = sum;
    if (codes[u] >= 0) w[codes[u]] += sum;
  }
  return {alpha, beta, kappa, phi, w};
}

// x: [dx, dy, eos] in model units; codes: the text's codes (text.encode_text, -1 pads).
// -> {z: the head's outputs [1 + 6M], state, phi, alpha, beta, kappa}
export function synthesisStep(net, x, codes, state) {
  const n = net.units;
  const W = net.w;
  // the window layer reads (x, w of the last step) and its own h
  const a = Float32Array.from(W["window_layer.bias"].data);
  addProduct(a, x, W["window_layer.kernel"]);
  addProduct(a, state.w, W["window_layer.kernel"], x.length);
  addProduct(a, state.h[0], W["window_layer.recurrent_kernel"]);
  const h = [];
  const c = [];
  [h[0], c[0]] = lstmUpdate(a, state.c[0]);
  const window = placeWindow(net, h[0], state.kappa, codes);
  // every layer above reads (x, w, h of the layer below)
  for (let i = 1; i < net.layers; i++) {
    const name = `layer${i}`;
    const b = Float32Array.from(W[`${name}.bias`].data);
    addProduct(b, x, W[`${name}.kernel`]);
    addProduct(b, window.w, W[`${name}.kernel`], x.length);
    addProduct(b, h[i - 1], W[`${name}.kernel`], x.length + net.vocab);
    addProduct(b, state.h[i], W[`${name}.recurrent_kernel`]);
    [h[i], c[i]] = lstmUpdate(b, state.c[i]);
  }
  // the mixture head reads every layer
  const z = Float32Array.from(W["head.bias"].data);
  for (let i = 0; i < net.layers; i++) addProduct(z, h[i], W["head.kernel"], i * n);
  return {z, state: {h, c, kappa: window.kappa, w: window.w}, phi: window.phi,
    alpha: window.alpha, beta: window.beta, kappa: window.kappa};
}
