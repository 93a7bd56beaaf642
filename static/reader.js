// The recogniser (recognizer.py) in plain JavaScript: a line's features, two 1-D
// convolutions, bidirectional LSTM layers, the head's logits and best-path CTC decoding.
// Weights as webexport.web_weights writes them. One line at a time, as read alone; each
// layer's products over all the line's frames at once.

import {addProducts, biasRows, lstmUpdate, weightsOf} from "./layers.js";

const STEP_LIMIT = 500; // tablet units, as recognizer.STEP_LIMIT
const FEATURE_LIMIT = 4; // line heights, as recognizer.FEATURE_LIMIT
const CONV_WIDTH = 5;
const STRIDES = [1, 2];

export function loadReader(manifest, buffer, kernel = null) {
  return {config: manifest.config, w: weightsOf(manifest, buffer, kernel)};
}

// numpy's percentile (linear interpolation) of sorted values, q in [0, 1]
function quantile(sorted, q) {
  const at = q * (sorted.length - 1);
  const low = Math.floor(at);
  const high = Math.min(low + 1, sorted.length - 1);
  return sorted[low] + (sorted[high] - sorted[low]) * (at - low);
}

// recognizer.line_features: [T, 5] rows (dx, dy in line heights with the baseline
// levelled, pen lifted before, stroke ends here, height above the line's middle)
export function lineFeatures(strokes) {
  const t = strokes.length;
  const clip = (v, l) => Math.min(l, Math.max(-l, v));
  const steps = strokes.map(([dx, dy]) => [clip(dx, STEP_LIMIT), clip(dy, STEP_LIMIT)]);
  const xs = new Float64Array(t);
  const ys = new Float64Array(t);
  let x = 0;
  let y = 0;
  steps.forEach(([dx, dy], i) => { x += dx; y += dy; xs[i] = x; ys[i] = y; });
  // cleaning.baseline_slope and level_and_scale
  const mean = (a) => a.reduce((s, v) => s + v, 0) / a.length;
  const mx = mean(xs);
  const my = mean(ys);
  let spread = 0;
  let cov = 0;
  for (let i = 0; i < t; i++) { spread += (xs[i] - mx) ** 2; cov += (xs[i] - mx) * (ys[i] - my); }
  const slope = spread > 0 ? clip(cov / spread, 1) : 0;
  const level = Array.from(ys, (v, i) => v - slope * xs[i]);
  const sorted = [...level].sort((a, b) => a - b);
  const height = Math.max(quantile(sorted, 0.9) - quantile(sorted, 0.1), 1);
  const middle = quantile(sorted, 0.5);
  return strokes.map(([, , eos], i) => [
    clip(steps[i][0] / height, FEATURE_LIMIT),
    clip((steps[i][1] - slope * steps[i][0]) / height, FEATURE_LIMIT),
    i === 0 || strokes[i - 1][2] > 0.5 ? 1 : 0,
    eos > 0.5 ? 1 : 0,
    clip((level[i] - middle) / height, FEATURE_LIMIT),
  ]);
}

// a Keras Conv1D (kernel [width, in, out]) over frames [T, in] zero-padded by width / 2
// each side, strided, with relu -> [count, out]: each tap a product over every frame
function conv(frames, count0, kernel, bias, stride) {
  const [width, inputs, outputs] = kernel.shape;
  const half = Math.floor(width / 2);
  const count = Math.floor((count0 + 2 * half - width) / stride) + 1;
  const out = biasRows(bias, count);
  for (let k = 0; k < width; k++) {
    const taken = new Float32Array(count * inputs);
    for (let f = 0; f < count; f++) {
      const at = f * stride + k - half;
      if (at >= 0 && at < count0) taken.set(frames.subarray(at * inputs, (at + 1) * inputs), f * inputs);
    }
    addProducts(out, taken, kernel, count, k * inputs);
  }
  return [out.map((v) => Math.max(v, 0)), count, outputs];
}

// one direction of an LSTM layer over frames [T, in] -> its h at every frame [T, n]; the
// inputs' products for every frame at once, then the recurrence frame by frame
function lstmRun(frames, count, w, name, reverse) {
  const n = w[`${name}.recurrent_kernel`].rows;
  const inputs = biasRows(w[`${name}.bias`], count);
  addProducts(inputs, frames, w[`${name}.kernel`], count);
  const out = new Float32Array(count * n);
  let h = new Float32Array(n);
  let c = new Float32Array(n);
  for (let s = 0; s < count; s++) {
    const t = reverse ? count - 1 - s : s;
    const a = inputs.slice(t * 4 * n, (t + 1) * 4 * n);
    addProducts(a, h, w[`${name}.recurrent_kernel`]);
    [h, c] = lstmUpdate(a, c);
    out.set(h, t * n);
  }
  return out;
}

// recognizer.Recognizer.read for one line of strokes [[dx, dy, eos]] in tablet units
export function readLine(reader, strokes) {
  const w = reader.w;
  let frames = Float32Array.from(lineFeatures(strokes).flat());
  let count = strokes.length;
  let size = 5;
  STRIDES.forEach((stride, i) => {
    [frames, count, size] = conv(frames, count, w[`conv${i}.kernel`], w[`conv${i}.bias`], stride);
  });
  for (let i = 0; i < reader.config.num_layers; i++) {
    const ahead = lstmRun(frames, count, w, `forward${i}`, false);
    const behind = lstmRun(frames, count, w, `backward${i}`, true);
    size = ahead.length / count;
    frames = new Float32Array(count * size * 2);
    for (let t = 0; t < count; t++) {
      frames.set(ahead.subarray(t * size, (t + 1) * size), 2 * t * size);
      frames.set(behind.subarray(t * size, (t + 1) * size), (2 * t + 1) * size);
    }
  }
  // the head's most likely class a frame, repeats merged, blanks (0) dropped
  const alphabet = reader.config.alphabet;
  const head = w["head.kernel"];
  const logits = biasRows(w["head.bias"], count);
  addProducts(logits, frames, head, count);
  let text = "";
  let last = -1;
  for (let t = 0; t < count; t++) {
    let best = 0;
    for (let j = 1; j < head.cols; j++) {
      if (logits[t * head.cols + j] > logits[t * head.cols + best]) best = j;
    }
    if (best !== last && best > 0) text += alphabet[best - 1];
    last = best;
  }
  return text;
}
