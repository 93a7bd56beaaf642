// The page's backend when it runs in the browser alone (a static build, export.py --web):
// api.js's functions answered here, by the writer and the reader in a Web Worker
// (static/worker.js), with no server. Free writing, IAM-OnDB lines and paper are a
// server's; a page written here arrives a line at a time, so the pen can start at once.

import {pageAsDrawn} from "./pagelayout.js";
import {cleanLine, pageLines} from "./textrules.js";

const SITE = new URL("../site.json", import.meta.url); // beside index.html

// What the build says of itself (webexport.site_facts), or null: not a static build (whose
// index.html webexport.build_web marks), so app.py's page asks nothing of site.json
export async function siteFacts() {
  if (!document.querySelector('meta[name="backend"][content="browser"]')) return null;
  try {
    const answer = await fetch(SITE);
    return answer.ok ? await answer.json() : null;
  } catch {
    return null;
  }
}

const serverOnly = (what) => () =>
  Promise.reject(new Error(`${what} needs the server (python app.py): this page runs alone`));

// A worker and the calls waiting on it: call(message, onLine) -> its last answer
function workerCalls(site) {
  const worker = new Worker(new URL("./worker.js", import.meta.url), {type: "module"});
  const waiting = new Map();
  let next = 0;
  const settle = (id, how, value) => {
    const job = waiting.get(id);
    waiting.delete(id);
    if (job) job[how](value);
  };
  worker.onmessage = ({data}) => {
    if (data.type === "error") settle(data.id, "reject", new Error(data.message));
    else if (data.type === "line") waiting.get(data.id)?.onLine(data);
    else settle(data.id, "resolve", data);
  };
  const call = (message, onLine = () => {}) => new Promise((resolve, reject) => {
    const id = next++;
    waiting.set(id, {resolve, reject, onLine});
    worker.postMessage({...message, id});
  });
  const loaded = call({type: "load", base: new URL("..", import.meta.url).href, site});
  return {call, loaded};
}

// The answer of /api/write for the lines written so far (webapp.service.write's shape);
// line i's seed wraps round at the seed range, as writepage.js draws it
export function answerOf(lines, seed, seedRange) {
  const written = lines.filter(Boolean);
  return {strokes: pageAsDrawn(written.map((l) => l.strokes)), seed,
    stop: written.every((l) => l.stop === "end") ? "end" : "budget", note: "",
    lines: written.map((l, i) => ({text: l.text, strokes: l.strokes, seed: (seed + i) % seedRange,
      stop: l.stop, reading: l.reading, read_right: l.read_right}))};
}

// api.js's server, in the browser. write(body, onPart): onPart(answer so far) as each
// line is written, the lines in order.
export function inBrowser(site) {
  const {call, loaded} = workerCalls(site);
  return {
    health: async () => ({...site, kernel: (await loaded).kernel}),
    async write(body, onPart = () => {}) {
      await loaded;
      const lines = pageLines(body.text, site.limits.line_length);
      const seed = body.seed ?? Math.floor(Math.random() * site.seed_range);
      const hand = body.style ? {strokes: body.style.strokes, text: cleanLine(body.style.text)}
        : body.hand ?? null;
      const written = [];
      await call({type: "write", lines, bias: body.bias, seed, hand, tries: site.tries},
        ({index, line}) => {
          written[index] = line;
          if (written.filter(Boolean).length === index + 1) {
            onPart(answerOf(written, seed, site.seed_range));
          }
        });
      return answerOf(written, seed, site.seed_range);
    },
    read: async (strokes) => ({text: (await call({type: "read", strokes})).text}),
    sample: serverOnly("free writing"),
    styleLine: serverOnly("a line of IAM-OnDB"),
    paper: serverOnly("writing on pages"),
  };
}
