"""How legibly the page writes in the browser alone (docs/browser.md): docs/sentences.txt
written by a static build (export.py --web) in headless Chromium at the page's default
(the first named hand, bias 0.75, the best of DEFAULT_TRIES picked by the reader in the
browser), read by save/recognizer in Python, beside Writer.write's lines of the same
sentences at the same settings, read by the same reader.

    python docs/measure_browser.py --rounds 2 [--precision float32]
"""

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import browser  # noqa: E402

from config import DEFAULT_TRIES, RECOGNIZER_DIR, SYNTHESIS_DIR  # noqa: E402
from evaluate import legibility_figures  # noqa: E402
from model import load_model  # noqa: E402
from webexport import PRECISIONS, build_web  # noqa: E402

# every sentence a line of one page a round, primed with the hand in one batch, as the
# worker writes a page; the lines in tablet units, as they came
WRITE = """
const [lines, rounds, hand, tries] = arguments;
window.measured = {written: [], finished: false};
(async () => {
  const site = await (await fetch('site.json')).json();
  const worker = new Worker('static/worker.js', {type: 'module'});
  let round = 0;
  const next = () => worker.postMessage({type: 'write', id: round, lines, bias: 0.75,
                                         seed: round * lines.length, hand, tries});
  worker.onmessage = ({data}) => {
    if (data.type === 'error') window.measured = {error: data.message, finished: true};
    if (data.type === 'ready') next();
    if (data.type === 'line') window.measured.written.push(data.line);
    if (data.type === 'done' && ++round < rounds) next();
    else if (data.type === 'done') window.measured.finished = true;
  };
  worker.postMessage({type: 'load', id: -1, base: location.href, site});
})();
"""


def browser_lines(site, sentences, rounds, hand):
    """The lines the page's worker writes, polled for (a call to the browser times out
    long before a few hundred lines are written)."""
    with browser.serving(site) as (url, _):
        driver = browser.chrome()
        try:
            driver.get(url)
            driver.execute_script(WRITE, sentences, rounds, hand, DEFAULT_TRIES)
            browser.wait_for(driver, "return window.measured.finished", timeout=4 * 3600,
                             poll=2)
            measured = driver.execute_script("return window.measured")
        finally:
            driver.quit()
    if "error" in measured:
        raise RuntimeError(measured["error"])
    return measured["written"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--precision", choices=PRECISIONS, default="int8")
    parser.add_argument("--sentences", default=str(ROOT / "docs" / "sentences.txt"))
    args = parser.parse_args()
    sentences = [s.strip() for s in open(args.sentences, encoding="utf-8") if s.strip()]
    writer, reader = load_model(SYNTHESIS_DIR), load_model(RECOGNIZER_DIR)
    writer.reader = reader
    hand = writer.first_hand
    texts = sentences * args.rounds
    with tempfile.TemporaryDirectory() as folder:
        build_web(Path(folder) / "site", SYNTHESIS_DIR, RECOGNIZER_DIR, args.precision)
        started = time.monotonic()
        written = browser_lines(Path(folder) / "site", sentences, args.rounds, hand)
        browser_s = time.monotonic() - started
    import numpy as np

    figures = {"lines": len(texts), "precision": args.precision, "hand": hand,
               "browser_s": round(browser_s, 1),
               "browser_lost": sum(w["stop"] != "end" for w in written)}
    figures.update(legibility_figures(reader, [np.array(w["strokes"]) for w in written],
                                      texts, "browser_"))
    started = time.monotonic()
    seeds = [r * len(sentences) + i for r in range(args.rounds) for i in range(len(sentences))]
    lines, infos = [], []
    for start in range(0, len(texts), 25):  # as evaluate.py --sentences batches them
        more = writer.write(texts[start:start + 25], bias=0.75, seed=seeds[start:start + 25],
                            style=hand, tries=DEFAULT_TRIES)
        lines, infos = lines + more[0], infos + more[1]
    figures["python_s"] = round(time.monotonic() - started, 1)
    figures["python_lost"] = sum(info["stop"] != "end" for info in infos)
    figures.update(legibility_figures(reader, lines, texts, "python_"))
    for key in list(figures):
        if key.endswith(("_characters", "_readings")):
            del figures[key]
    print(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
