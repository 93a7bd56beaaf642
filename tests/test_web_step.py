"""The writer in plain JavaScript for a page that writes in the browser, in headless
Chromium (tests/browser.py), against TensorFlow: static/step.js (the synthesis network's
step) gives model.SynthesisModel.step's outputs and window for the same inputs, and
static/writer.js (the loop, the mixture of static/mixture.js, the stop rule), given the
noise Python drew, writes the points writer.Writer.write writes and stops where it stops.
The weights reach the page as export.web_weights writes them."""

import http.server
import shutil
import threading
from pathlib import Path

import browser
import numpy as np
import pytest
import tiny

from export import export_web
from mixture import sampling_noise
from model import load_model, load_network
from text import encode_text, end_mark, pad_texts
from writer import POINTS_PER_CHAR

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(browser.missing() is not None, reason=str(browser.missing()))

RUN = """
const [name, xs, codes, done] = arguments;
(async () => {
  const step = await import('/step.js');
  const manifest = await (await fetch(`/${name}.json`)).json();
  const buffer = await (await fetch(`/${name}.bin`)).arrayBuffer();
  const net = step.loadNetwork(manifest, buffer);
  let state = step.zeroState(net);
  const out = [];
  for (const x of xs) {
    const r = step.synthesisStep(net, Float32Array.from(x), Int32Array.from(codes), state);
    state = r.state;
    out.push({z: Array.from(r.z), phi: Array.from(r.phi), kappa: Array.from(r.kappa)});
  }
  return out;
})().then(done, (err) => done({error: String(err)}));
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A folder served over HTTP on 127.0.0.1 (ES modules do not load from file://), with
    step.js, and a headless Chromium on its empty page: (folder, driver)."""
    folder = tmp_path_factory.mktemp("web")
    for name in ("step.js", "layers.js"):
        shutil.copy(ROOT / "static" / name, folder)
    (folder / "index.html").write_text("<!doctype html><title>step</title>")
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = lambda *a: Quiet(*a, directory=str(folder))  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    driver = browser.chrome()
    try:
        driver.get(f"http://127.0.0.1:{server.server_port}/index.html")
        yield folder, driver
    finally:
        driver.quit()
        server.shutdown()


def tensorflow_steps(network, xs, codes):
    """z, phi and kappa of network.step along xs, teacher-forced, from a zero state."""
    import tensorflow as tf

    chars = network.one_hot(tf.constant([codes]))
    state, out = network.zero_state(1), []
    for x in xs:
        z, state, (phi, _, _, kappa) = network.step(tf.constant([x], tf.float32), chars, state)
        out.append((z[0].numpy(), phi[0].numpy(), kappa[0].numpy()))
    return out


@pytest.mark.parametrize("which", ["tiny", "shipped"])
def test_the_browser_step_gives_tensorflow_s_outputs(served, tmp_path, which):
    folder, driver = served
    if which == "tiny":
        tiny.save_tiny_model(tmp_path / "m", synthesis=True, alphabet=tiny.ALPHABET,
                             num_layers=3)
        network = load_network(tmp_path / "m")
    else:
        network = load_network(ROOT / "save" / "synthesis")
    export_web(network, folder, which)
    rng = np.random.default_rng(0)
    xs = rng.normal(0, 1, (40, 3)).astype(np.float32)
    xs[:, 2] = rng.random(40) < 0.2
    codes = encode_text("ab cab", network.alphabet).tolist() + [-1, -1]  # padded, as written
    got = driver.execute_async_script(RUN, which, xs.tolist(), codes)
    assert not isinstance(got, dict), got
    want = tensorflow_steps(network, xs, codes)
    for t, (mine, (z, phi, kappa)) in enumerate(zip(got, want, strict=True)):
        np.testing.assert_allclose(mine["z"], z, atol=1e-4, err_msg=f"z at step {t}")
        np.testing.assert_allclose(mine["phi"], phi, atol=1e-4, err_msg=f"phi at step {t}")
        np.testing.assert_allclose(mine["kappa"], kappa, atol=1e-4, err_msg=f"kappa at {t}")
    assert np.ptp([g["kappa"][0] for g in got]) > 0.1  # the window moved along the text


WRITE = """
const [name, codes, noise, bias, budget, hand, done] = arguments;
(async () => {
  const step = await import('/step.js');
  const writer = await import('/writer.js');
  const manifest = await (await fetch(`/${name}.json`)).json();
  const buffer = await (await fetch(`/${name}.bin`)).arrayBuffer();
  const net = step.loadNetwork(manifest, buffer);
  const draw = (t) => ({uniform: noise.uniform[t], gumbel: noise.gumbel[t],
                        normal: noise.normal[t]});
  const chars = Int32Array.from(codes);
  const start = hand ? writer.primed(net, hand, chars) : {state: step.zeroState(net)};
  return writer.writeLine(net, chars, draw, {bias, budget, ...start});
})().then(done, (err) => done({error: String(err)}));
"""


@pytest.mark.parametrize("text, seed, hand", [("hello", 3, None), ("Quiz: 42 boxes.", 1, None),
                                             ("a dog", 8, "hand-1"), ("in a hand.", 2, "hand-1")])
def test_the_browser_writes_the_line_python_writes_from_the_same_noise(served, text, seed,
                                                                        hand):
    folder, driver = served
    for name in ("mixture.js", "writer.js"):
        shutil.copy(ROOT / "static" / name, folder)
    writer = load_model(ROOT / "save" / "synthesis")
    if not (folder / "shipped.json").exists():
        export_web(writer.network, folder, "shipped")
    strokes, info = writer.write(text, bias=0.75, seed=seed, style=hand)
    # what the window reads: a hand's text and a space, the text, its end mark
    prefix = writer.styles[hand][1] + " " if hand else ""
    codes = encode_text(prefix + text + end_mark(text, writer.alphabet), writer.alphabet)
    # the noise Writer.write drew for the line: its capacity is the padded codes'
    capacity = POINTS_PER_CHAR * pad_texts([codes]).shape[1]
    budget = POINTS_PER_CHAR * (len(codes) - len(prefix))
    noise = {k: v.numpy()[:budget, 0].tolist()
             for k, v in sampling_noise(seed, capacity, 1, writer.config.num_mixture).items()}
    strokes_of_hand = writer.styles[hand][0].tolist() if hand else None
    got = driver.execute_async_script(WRITE, "shipped", codes.tolist(), noise, 0.75, budget,
                                      strokes_of_hand)
    assert "error" not in got, got
    assert got["stop"] == info["stop"]
    scale = writer.config.data_scale
    points = np.array(got["points"]) * [scale, scale, 1.0]  # model units -> tablet units
    assert points.shape == strokes.shape
    np.testing.assert_allclose(points, strokes, atol=1e-3)


READ = """
const [lines, done] = arguments;
(async () => {
  const reader = await import('/reader.js');
  const manifest = await (await fetch('/reader.json')).json();
  const buffer = await (await fetch('/reader.bin')).arrayBuffer();
  const net = reader.loadReader(manifest, buffer);
  return lines.map((line) => ({text: reader.readLine(net, line),
                               features: reader.lineFeatures(line).slice(0, 50)}));
})().then(done, (err) => done({error: String(err)}));
"""


def test_the_browser_reads_what_the_shipped_reader_reads(served):
    from recognizer import line_features

    folder, driver = served
    shutil.copy(ROOT / "static" / "reader.js", folder)
    reader = load_model(ROOT / "save" / "recognizer")
    export_web(reader, folder, "reader")
    writer = load_model(ROOT / "save" / "synthesis")
    texts = [t for t in (ROOT / "docs" / "sentences.txt").read_text().splitlines() if t][:20]
    lines, _ = writer.write(texts, bias=0.75, seed=list(range(20)))
    lines = [np.round(line, 1) for line in lines]  # as the page sends them: tenths
    got = driver.execute_async_script(READ, [line.tolist() for line in lines])
    assert not isinstance(got, dict), got
    for line, mine in zip(lines, got, strict=True):
        np.testing.assert_allclose(mine["features"], line_features(line)[:50], atol=1e-5)
    assert [g["text"] for g in got] == reader.read(lines)
