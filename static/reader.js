// The recogniser (recognizer.py) in plain JavaScript: a line's features, two 1-D
// convolutions, bidirectional LSTM layers, the head's logits and best-path CTC decoding.
// Weights as export.web_weights writes them. One line at a time, as read alone.

import {addProduct, lstmUpdate, weightsOf} from "./layers.js";

const STEP_LIMIT = 500; // tablet units, as recognizer.STEP_LIMIT
const FEATURE_LIMIT = 4; // line heights, as recognizer.FEATURE_LIMIT
const CONV_WIDTH = 5;
const STRIDES = [1, 2];

export function loadReader(manifest, buffer) {
  return {config: manifest.config, w: weightsOf(manifest, buffer)};
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

// a Keras Conv1D (kernel [width, in, out]) over frames zero-padded by width / 2 each
// side, strided, with relu
function conv(frames, kernel, bias, stride) {
  const [width, inputs, outputs] = kernel.shape;
  const half = Math.floor(width / 2);
  const count = Math.floor((frames.length + 2 * half - width) / stride) + 1;
  const out = [];
  for (let f = 0; f < count; f++) {
    const o = Float32Array.from(bias.data);
    for (let k = 0; k < width; k++) {
      const at = f * stride + k - half;
      if (at < 0 || at >= frames.length) continue;
      addProduct(o, frames[at], {data: kernel.data.subarray(k * inputs * outputs,
        (k + 1) * inputs * outputs), shape: [inputs, outputs]});
    }
    out.push(o.map((v) => Math.max(v, 0)));
  }
  return out;
}

// one direction of an LSTM layer over frames -> its h at every frame
function lstmRun(frames, w, name) {
  const n = w[`${name}.recurrent_kernel`].shape[0];
  let h = new Float32Array(n);
  let c = new Float32Array(n);
  return frames.map((x) => {
    const a = Float32Array.from(w[`${name}.bias`].data);
    addProduct(a, x, w[`${name}.kernel`]);
    addProduct(a, h, w[`${name}.recurrent_kernel`]);
    [h, c] = lstmUpdate(a, c);
    return h;
  });
}

// recognizer.Recognizer.read for one line of strokes [[dx, dy, eos]] in tablet units
export function readLine(reader, strokes) {
  const w = reader.w;
  let frames = lineFeatures(strokes).map((row) => Float32Array.from(row));
  STRIDES.forEach((stride, i) => {
    frames = conv(frames, w[`conv${i}.kernel`], w[`conv${i}.bias`], stride);
  });
  for (let i = 0; i < reader.config.num_layers; i++) {
    const ahead = lstmRun(frames, w, `forward${i}`);
    const behind = lstmRun([...frames].reverse(), w, `backward${i}`).reverse();
    frames = ahead.map((h, t) => {
      const both = new Float32Array(h.length * 2);
      both.set(h);
      both.set(behind[t], h.length);
      return both;
    });
  }
  // the head's most likely class a frame, repeats merged, blanks (0) dropped
  const alphabet = reader.config.alphabet;
  let text = "";
  let last = -1;
  for (const x of frames) {
    const logits = Float32Array.from(w["head.bias"].data);
    addProduct(logits, x, w["head.kernel"]);
    let best = 0;
    for (let j = 1; j < logits.length; j++) if (logits[j] > logits[best]) best = j;
    if (best !== last && best > 0) text += alphabet[best - 1];
    last = best;
  }
  return text;
}
