// What the networks in JavaScript share (static/step.js, static/reader.js): weights by
// name from export.web_weights' manifest and buffer, a vector-matrix product, and one
// LSTM update in Graves' gate layout [i, f, o, g] (lstm.lstm_gates, lstm_update).

// {name: {data: Float32Array, shape}} from a manifest ({config, weights}) and its buffer
export function weightsOf(manifest, buffer) {
  const all = new Float32Array(buffer);
  const w = {};
  for (const [name, {shape, offset}] of Object.entries(manifest.weights)) {
    const size = shape.reduce((a, b) => a * b, 1);
    w[name] = {data: all.subarray(offset, offset + size), shape};
  }
  return w;
}

// out += v M[rows from..from + v.length], M row-major [rows, cols]
export function addProduct(out, v, m, from = 0) {
  const cols = m.shape[m.shape.length - 1];
  const data = m.data;
  for (let i = 0; i < v.length; i++) {
    const vi = v[i];
    if (vi === 0) continue;
    const row = (from + i) * cols;
    for (let j = 0; j < cols; j++) out[j] += vi * data[row + j];
  }
}

const sigmoid = (a) => 1 / (1 + Math.exp(-a));

// pre-activations a = [i, f, o, g] and the cell c -> [h, the new cell]
export function lstmUpdate(a, c) {
  const n = c.length;
  const h = new Float32Array(n);
  const next = new Float32Array(n);
  for (let j = 0; j < n; j++) {
    const i = sigmoid(a[j]);
    const f = sigmoid(a[n + j]);
    const o = sigmoid(a[2 * n + j]);
    const g = Math.tanh(a[3 * n + j]);
    next[j] = f * c[j] + i * g;
    h[j] = o * Math.tanh(next[j]);
  }
  return [h, next];
}
