// The writer and the reader of a page that writes in the browser, in a Web Worker so that
// the page never freezes: it loads the models a static build holds (export.py --web), then
// writes pages (static/writepage.js), a message a line as each is written, and reads lines.
// Messages in: {type: "load", base, site}, {type: "write", id, lines, bias, seed, hand (a
// name or {strokes, text} or null), tries}, {type: "read", id, strokes}. Messages out:
// {type: "ready", kernel}, {type: "line", id, index, line}, {type: "done", id, seconds},
// {type: "reading", id, text, seconds}, {type: "error", id, message}.

import {loadKernel} from "./layers.js";
import {loadReader, readLine} from "./reader.js";
import {loadNetwork} from "./step.js";
import {writePage} from "./writepage.js";

let models = null;

async function fetched(url, as) {
  const answer = await fetch(url);
  if (!answer.ok) throw new Error(`${url}: ${answer.status} ${answer.statusText}`);
  return as === "json" ? answer.json() : answer.arrayBuffer();
}

// site.models names the files, relative to the page's folder (base)
async function load(base, site) {
  const kernel = await loadKernel(new URL("static/kernel.wasm", base));
  const model = async (path) => [await fetched(new URL(`${path}.json`, base), "json"),
    await fetched(new URL(`${path}.bin`, base))];
  return {writer: loadNetwork(...await model(site.models.writer), kernel),
    reader: loadReader(...await model(site.models.reader), kernel),
    hands: await fetched(new URL(site.models.hands, base), "json"), kernel: kernel !== null};
}

function handOf(hand) {
  if (typeof hand !== "string") return hand || null;
  if (!(hand in models.hands)) throw new Error(`no hand named ${hand}`);
  return models.hands[hand];
}

self.onmessage = async ({data}) => {
  const {id, type} = data;
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  try {
    if (type === "load") {
      models = await load(data.base, data.site);
      postMessage({type: "ready", id, kernel: models.kernel, seconds: seconds()});
    } else if (type === "write") {
      const options = {bias: data.bias, seed: data.seed, hand: handOf(data.hand), tries: data.tries};
      writePage(models, data.lines, options,
        (index, line) => postMessage({type: "line", id, index, line, seconds: seconds()}));
      postMessage({type: "done", id, seconds: seconds()});
    } else if (type === "read") {
      postMessage({type: "reading", id, text: readLine(models.reader, data.strokes), seconds: seconds()});
    }
  } catch (err) {
    postMessage({type: "error", id, message: err.message});
  }
};
