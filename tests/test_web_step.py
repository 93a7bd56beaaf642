"""The writer in plain JavaScript for a page that writes in the browser, in headless
Chromium (tests/browser.py), against TensorFlow: static/step.js (the synthesis network's
step) gives model.SynthesisModel.step's outputs and window for the same inputs, and
static/writer.js (the loop, the mixture of static/mixture.js, the stop rule), given the
noise Python drew, writes the points writer.Writer.write writes and stops where it stops.
The weights reach the page as webexport.web_weights writes them."""

import shutil
from pathlib import Path

import browser
import numpy as np
import pytest
import tiny

from mixture import sampling_noise
from model import load_model, load_network
from text import encode_text, end_mark, pad_texts
from webexport import compile_kernel, export_web, quantized
from writer import POINTS_PER_CHAR

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(browser.missing() is not None, reason=str(browser.missing()))]

# a network from NAME.json and NAME.bin, its products in the WebAssembly kernel or not
LOAD = """
const load = async (module, name, wasm) => {
  const layers = await import('/layers.js');
  const kernel = wasm ? await layers.loadKernel('/kernel.wasm') : null;
  if (wasm && !kernel) throw new Error('the kernel did not compile');
  const manifest = await (await fetch(`/${name}.json`)).json();
  const buffer = await (await fetch(`/${name}.bin`)).arrayBuffer();
  return [manifest, buffer, kernel];
};
"""

# rows xs [T, batch, 3] and codes [batch][U] stepped together
RUN = LOAD + """
const [name, xs, codes, wasm, done] = arguments;
(async () => {
  const step = await import('/step.js');
  const net = step.loadNetwork(...await load(step, name, wasm));
  let state = step.zeroState(net, codes.length);
  const out = [];
  for (const x of xs) {
    const r = step.synthesisStep(net, Float32Array.from(x.flat()), codes, state);
    state = r.state;
    out.push({z: Array.from(r.z), phi: r.phi.map((p) => Array.from(p)),
              kappa: Array.from(r.kappa)});
  }
  return out;
})().then(done, (err) => done({error: String(err)}));
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A folder served over HTTP with the networks' scripts and the kernel, and a headless
    Chromium on its empty page: (folder, driver)."""
    folder = tmp_path_factory.mktemp("web")
    for name in ("step.js", "layers.js", "mixture.js", "writer.js", "reader.js"):
        shutil.copy(ROOT / "static" / name, folder)
    if shutil.which("node") and shutil.which("npm"):
        compile_kernel(ROOT / "static" / "kernel.wat", folder / "kernel.wasm")
    (folder / "index.html").write_text("<!doctype html><title>step</title>")
    with browser.serving(folder) as (url, _):
        driver = browser.chrome()
        try:
            driver.get(url + "index.html")
            yield folder, driver
        finally:
            driver.quit()


def tensorflow_steps(network, xs, codes):
    """z, phi and kappa of network.step along xs, teacher-forced, from a zero state."""
    import tensorflow as tf

    chars = network.one_hot(tf.constant([codes]))
    state, out = network.zero_state(1), []
    for x in xs:
        z, state, (phi, _, _, kappa) = network.step(tf.constant([x], tf.float32), chars, state)
        out.append((z[0].numpy(), phi[0].numpy(), kappa[0].numpy()))
    return out


def kernel_or_skip(folder, wasm):
    if wasm and not (folder / "kernel.wasm").exists():
        pytest.skip("no node and npm to build the WebAssembly kernel")


@pytest.mark.parametrize("wasm", [False, True], ids=["js", "wasm"])
@pytest.mark.parametrize("which", ["tiny", "shipped", "shipped-int8"])
def test_the_browser_step_gives_tensorflow_s_outputs(served, tmp_path, which, wasm):
    folder, driver = served
    kernel_or_skip(folder, wasm)
    if which == "tiny":
        tiny.save_tiny_model(tmp_path / "m", synthesis=True, alphabet=tiny.ALPHABET,
                             num_layers=3)
        network = load_network(tmp_path / "m")
    else:
        network = load_network(ROOT / "save" / "synthesis")
    int8 = which.endswith("int8")
    export_web(network, folder, which, "int8" if int8 else "float32")
    if int8:  # TensorFlow runs the weights the browser reads: int8 times the scales
        for v in network.weights:
            if len(v.shape) > 1:
                q, scales = quantized(v.numpy())
                v.assign(q * scales)
    rng = np.random.default_rng(0)
    xs = rng.normal(0, 1, (40, 2, 3)).astype(np.float32)
    xs[..., 2] = rng.random((40, 2)) < 0.2
    # two rows, each reading its own text, the first padded as a batch is
    texts = [encode_text("ab cab", network.alphabet).tolist() + [-1, -1],
             encode_text("ba", network.alphabet).tolist()]
    got = driver.execute_async_script(RUN, which, xs.tolist(), texts, wasm)
    assert not isinstance(got, dict), got
    k = network.config.window_mixtures
    for row, codes in enumerate(texts):
        want = tensorflow_steps(network, xs[:, row], codes)
        for t, (mine, (z, phi, kappa)) in enumerate(zip(got, want, strict=True)):
            z_row = np.reshape(mine["z"], (2, -1))[row]
            np.testing.assert_allclose(z_row, z, atol=1e-4, err_msg=f"z at step {t}")
            np.testing.assert_allclose(mine["phi"][row], phi, atol=1e-4, err_msg=f"phi at {t}")
            np.testing.assert_allclose(mine["kappa"][row * k:(row + 1) * k], kappa, atol=1e-4,
                                       err_msg=f"kappa at {t}")
    assert np.ptp([g["kappa"][0] for g in got]) > 0.1  # the window moved along the text


def test_int8_weights_are_within_half_a_step_of_the_float_ones():
    rng = np.random.default_rng(1)
    m = rng.normal(0, 1, (30, 7)) * rng.uniform(0.01, 3, 7)  # columns of unlike sizes
    q, scales = quantized(m)
    assert q.dtype == np.int8 and scales.shape == (7,)
    assert np.all(np.abs(q * scales - m) <= scales / 2 + 1e-7)
    assert np.all(np.abs(q).max(axis=0) == 127)  # each column uses the whole range


WRITE = LOAD + """
const [name, rows, hand, wasm, done] = arguments;
(async () => {
  const step = await import('/step.js');
  const writer = await import('/writer.js');
  const net = step.loadNetwork(...await load(step, name, wasm));
  const codes = rows.map((r) => r.codes);
  const start = hand ? writer.primed(net, hand, codes)
    : {state: step.zeroState(net, rows.length), first: writer.START};
  return writer.writeLines(net, rows.map((r) => ({...r, first: start.first,
    noise: (t) => ({uniform: r.noise.uniform[t], gumbel: r.noise.gumbel[t],
                    normal: r.noise.normal[t]})})), start.state);
})().then(done, (err) => done({error: String(err)}));
"""


@pytest.mark.parametrize("texts, seed, hand, wasm", [
    (["hello", "Quiz: 42 boxes."], 3, None, False), (["a dog"], 8, "hand-1", False),
    (["in a hand.", "a dog", "hello"], 2, "hand-1", True)])
def test_the_browser_writes_the_lines_python_writes_from_the_same_noise(served, texts, seed,
                                                                         hand, wasm):
    """Rows of a batch, each with its own text and noise, written together in the browser
    as Writer.write writes each (a row leaving the batch when it ends)."""
    folder, driver = served
    kernel_or_skip(folder, wasm)
    writer = load_model(ROOT / "save" / "synthesis")
    if not (folder / "shipped.json").exists():
        export_web(writer.network, folder, "shipped")
    seeds = [seed + i for i in range(len(texts))]
    lines, infos = writer.write(texts, bias=0.75, seed=seeds, style=hand)
    # what the window reads: a hand's text and a space, the text, its end mark
    prefix = writer.styles[hand][1] + " " if hand else ""
    rows = []
    for text, row_seed in zip(texts, seeds):
        codes = encode_text(prefix + text + end_mark(text, writer.alphabet), writer.alphabet)
        # the noise Writer.write drew for the line: its capacity is the padded codes'
        widest = max(len(prefix + t) + 1 for t in texts)
        capacity = POINTS_PER_CHAR * pad_texts([np.zeros(widest)]).shape[1]
        budget = POINTS_PER_CHAR * (len(codes) - len(prefix))
        noise = {k: v.numpy()[:budget, 0].tolist() for k, v in
                 sampling_noise(row_seed, capacity, 1, writer.config.num_mixture).items()}
        rows.append({"codes": codes.tolist(), "noise": noise, "bias": 0.75, "budget": budget,
                     "text": [len(prefix), len(prefix) + len(text)]})
    strokes_of_hand = writer.styles[hand][0].tolist() if hand else None
    got = driver.execute_async_script(WRITE, "shipped", rows, strokes_of_hand, wasm)
    assert "error" not in got, got
    scale = writer.config.data_scale
    for line, info, mine in zip(lines, infos, got, strict=True):
        assert mine["stop"] == info["stop"]
        points = np.array(mine["points"]) * [scale, scale, 1.0]  # model -> tablet units
        assert points.shape == line.shape
        # to 1e-3 tablet units, or float32's rounding on a long pen-up jump (163 units)
        np.testing.assert_allclose(points, line, atol=1e-3, rtol=1e-5)
        assert mine["peaks"] == info["phi"].argmax(axis=1).tolist()


READ = LOAD + """
const [lines, wasm, done] = arguments;
(async () => {
  const reader = await import('/reader.js');
  const net = reader.loadReader(...await load(reader, 'reader', wasm));
  return lines.map((line) => ({text: reader.readLine(net, line),
                               features: reader.lineFeatures(line).slice(0, 50)}));
})().then(done, (err) => done({error: String(err)}));
"""


@pytest.mark.parametrize("wasm", [False, True], ids=["js", "wasm"])
def test_the_browser_reads_what_the_shipped_reader_reads(served, wasm):
    from recognizer import line_features

    folder, driver = served
    kernel_or_skip(folder, wasm)
    reader = load_model(ROOT / "save" / "recognizer")
    export_web(reader, folder, "reader")
    writer = load_model(ROOT / "save" / "synthesis")
    count = 20 if wasm else 4  # JavaScript alone is slow: a few lines say the same
    texts = [t for t in (ROOT / "docs" / "sentences.txt").read_text().splitlines() if t][:count]
    lines, _ = writer.write(texts, bias=0.75, seed=list(range(count)))
    lines = [np.round(line, 1) for line in lines]  # as the page sends them: tenths
    got = driver.execute_async_script(READ, [line.tolist() for line in lines], wasm)
    assert not isinstance(got, dict), got
    for line, mine in zip(lines, got, strict=True):
        np.testing.assert_allclose(mine["features"], line_features(line)[:50], atol=1e-5)
    assert [g["text"] for g in got] == reader.read(lines)
