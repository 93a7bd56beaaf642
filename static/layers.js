// What the networks in JavaScript share (static/step.js, static/reader.js): weights by
// name from webexport.web_weights' manifest and buffer, the vector-matrix products of a
// batch of rows, and one LSTM update in Graves' gate layout [i, f, o, g] (lstm.lstm_gates,
// lstm_update). The products, nearly all of a step's time, run in WebAssembly SIMD
// (static/kernel.wat, built to kernel.wasm) where the browser has it, else in JavaScript.

const SCRATCH_FLOATS = 1 << 18; // kernel memory for the rows of one call: 1 MB
const LANES = 4; // kernel.wat's columns a pass: a matrix's rows are padded to this

// The compiled kernel from its URL, or null where it cannot run (no file, no SIMD): the
// products then run in JavaScript, the same sums in another order.
export async function loadKernel(url) {
  try {
    const bytes = await (await fetch(url)).arrayBuffer();
    return await WebAssembly.compile(bytes);
  } catch {
    return null;
  }
}

// One tensor of the buffer as float32: float32 as stored, or int8 times its column's
// scale (webexport.quantized: symmetric, one scale a column of the last axis).
function tensorOf(buffer, entry) {
  const size = entry.shape.reduce((a, b) => a * b, 1);
  if (entry.dtype !== "int8") return new Float32Array(buffer, entry.offset, size);
  const q = new Int8Array(buffer, entry.offset, size);
  const cols = entry.shape[entry.shape.length - 1];
  const scales = new Float32Array(buffer, entry.scales, cols);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i += cols) {
    for (let j = 0; j < cols; j++) out[i + j] = q[i + j] * scales[j];
  }
  return out;
}

// {name: {data, shape, rows, cols, stride}} from a manifest ({config, weights: {name:
// {shape, offset, dtype, scales}}}, offsets in bytes) and its buffer. With a kernel
// module, every matrix lives in the kernel's memory, each row padded to `stride`.
export function weightsOf(manifest, buffer, kernelModule = null) {
  const entries = Object.entries(manifest.weights);
  const matrices = entries.filter(([, e]) => e.shape.length > 1);
  const kernel = kernelModule && kernelFor(kernelModule, matrices);
  const w = {};
  let at = 0;
  for (const [name, entry] of entries) {
    const data = tensorOf(buffer, entry);
    const cols = entry.shape[entry.shape.length - 1];
    const rows = data.length / cols;
    if (entry.shape.length === 1 || !kernel) {
      w[name] = {data, shape: entry.shape, rows, cols, stride: cols};
      continue;
    }
    const stride = padded(cols);
    const view = kernel.f32.subarray(at, at + rows * stride);
    for (let r = 0; r < rows; r++) view.set(data.subarray(r * cols, (r + 1) * cols), r * stride);
    w[name] = {data: view, shape: entry.shape, rows, cols, stride, kernel, at};
    at += rows * stride;
  }
  return w;
}

const padded = (cols) => Math.ceil(cols / LANES) * LANES;

// An instance of the kernel with memory for the matrices and the scratch after them.
function kernelFor(module, matrices) {
  const floats = matrices.reduce((sum, [, e]) => {
    const cols = e.shape[e.shape.length - 1];
    return sum + (e.shape.reduce((a, b) => a * b, 1) / cols) * padded(cols);
  }, 0);
  const instance = new WebAssembly.Instance(module, {});
  const {memory, addProducts} = instance.exports;
  const bytes = (floats + SCRATCH_FLOATS) * 4;
  memory.grow(Math.ceil(Math.max(0, bytes - memory.buffer.byteLength) / 65536));
  return {f32: new Float32Array(memory.buffer), scratch: floats, run: addProducts};
}

// out[b] += v[b] M[rows from.., :] for each of the batch's rows b: out [batch, M's
// cols], v [batch, len], both flat.
export function addProducts(out, v, m, batch = 1, from = 0) {
  const len = v.length / batch;
  if (m.kernel) return kernelProducts(out, v, m, batch, len, from);
  const {cols, stride, data} = m;
  for (let b = 0; b < batch; b++) {
    const o = b * cols;
    for (let i = 0; i < len; i++) {
      const vi = v[b * len + i];
      if (vi === 0) continue;
      const row = (from + i) * stride;
      for (let j = 0; j < cols; j++) out[o + j] += vi * data[row + j];
    }
  }
}

// addProducts in the kernel: the rows copied into its scratch, as many as fit at a time
function kernelProducts(out, v, m, batch, len, from) {
  const {f32, scratch, run} = m.kernel;
  const {cols, stride} = m;
  const fit = Math.max(1, Math.floor(SCRATCH_FLOATS / (len + stride)));
  for (let first = 0; first < batch; first += fit) {
    const rows = Math.min(fit, batch - first);
    const outAt = scratch + rows * len;
    f32.set(v.subarray(first * len, (first + rows) * len), scratch);
    for (let b = 0; b < rows; b++) {
      f32.set(out.subarray((first + b) * cols, (first + b + 1) * cols), outAt + b * stride);
    }
    run(outAt * 4, scratch * 4, (m.at + from * stride) * 4, rows, len, stride);
    for (let b = 0; b < rows; b++) {
      out.set(f32.subarray(outAt + b * stride, outAt + b * stride + cols), (first + b) * cols);
    }
  }
}

// a bias repeated for each of a batch's rows: the pre-activations products add to
export function biasRows(bias, batch = 1) {
  const out = new Float32Array(bias.data.length * batch);
  for (let b = 0; b < batch; b++) out.set(bias.data, b * bias.data.length);
  return out;
}

const sigmoid = (a) => 1 / (1 + Math.exp(-a));

// pre-activations a = [i, f, o, g] a row and the cells c [batch, n] -> [h, the new cells]
export function lstmUpdate(a, c, batch = 1) {
  const n = c.length / batch;
  const h = new Float32Array(c.length);
  const next = new Float32Array(c.length);
  for (let b = 0; b < batch; b++) {
    const g0 = 4 * n * b;
    for (let j = 0; j < n; j++) {
      const i = sigmoid(a[g0 + j]);
      const f = sigmoid(a[g0 + n + j]);
      const o = sigmoid(a[g0 + 2 * n + j]);
      const g = Math.tanh(a[g0 + 3 * n + j]);
      const k = b * n + j;
      next[k] = f * c[k] + i * g;
      h[k] = o * Math.tanh(next[k]);
    }
  }
  return [h, next];
}
