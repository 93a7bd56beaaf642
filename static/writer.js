// The writing loop (writer.write_loop) in plain JavaScript: from the start point and a
// state, points are drawn from the network and fed back until the stop rule ends the line
// or the point budget runs out. A batch of rows at once, each with its own text, bias,
// noise and budget; a row that has ended leaves the batch. The same rule as the Python
// writer: the window's peak has rested on the last character two steps and moved past it
// (Graves: phi(U + 1) > phi(u) for every u <= U, or fallen below half its peak), or, for a
// text read with an end mark (text.end_mark: a space after a last letter or digit), rested
// on that space two steps or left the text from its last letter; and the pen is up.

import {drawPoint, mixtureFromOutputs, withoutRestingPen} from "./mixture.js";
import {stateRows, synthesisStep, zeroState} from "./step.js";

export const START = [0, 0, 1]; // the first input of every line: pen lifted at the origin

// writer.priming_line and Writer.prime_state: a hand's line (strokes [[dx, dy, eos]] in
// tablet units) run through the network once for each of codes (a row's codes: the hand's
// text, a space, then the text to write) -> {state: a row each, first: the input that
// follows it} to write on from
export function primed(net, strokes, codes) {
  const {limit, data_scale: scale} = net.config;
  const clip = (v) => Math.min(limit, Math.max(-limit, v)) / scale;
  const line = strokes.map(([dx, dy, eos]) => [clip(dx), clip(dy), eos]);
  let state = zeroState(net, codes.length);
  for (const x of [START, ...line.slice(1, -1)]) {
    const xs = new Float32Array(3 * codes.length);
    for (let b = 0; b < codes.length; b++) xs.set(x, 3 * b);
    state = synthesisStep(net, xs, codes, state).state;
  }
  return {state, first: line[line.length - 1]};
}

// phi(U + 1): the window's weight just past the text (lstm.window_weights), for row b
function weightAfter(out, b, position) {
  const k = out.kappa.length / out.phi.length;
  let sum = 0;
  for (let m = b * k; m < (b + 1) * k; m++) {
    sum += out.alpha[m] * Math.exp(-out.beta[m] * (out.kappa[m] - position) ** 2);
  }
  return sum;
}

// where phi peaks in [from, to), counted from `from`
function peakIn(phi, [from, to]) {
  let at = from;
  for (let u = from + 1; u < to; u++) if (phi[u] > phi[at]) at = u;
  return at - from;
}

// One row's stop rule, its counters in `row` updated: whether the window is past the end.
function pastTheEnd(row, phi, after) {
  const length = phi.length;
  let at = 0;
  for (let u = 1; u < length; u++) if (phi[u] > phi[at]) at = u;
  row.run = at === length - 1 ? row.run + 1 : 0;
  if (row.run >= 2) row.peak = Math.max(row.peak, phi[length - 1]);
  row.reached = row.reached || at >= length - 2;
  const graves = after > phi[at];
  return row.marked ? row.run >= 2 || (row.reached && graves)
    : row.peak > 0 && (graves || phi[length - 1] < 0.5 * row.peak);
}

// rows: [{codes (with its end mark), noise(t) -> {uniform, gumbel, normal} of step t,
// bias, budget: points at most, first: its first input (START), text: [from, to) the
// codes of the text itself (all of them)}], state: a row each (zeroState or primed).
// -> [{points: [[dx, dy, eos]] in model units, stop: "end" | "budget", peaks: the text's
// character the window peaks on at each point (writer's info["phi"].argmax)}], a row each
export function writeLines(net, rows, state) {
  const space = net.config.alphabet.indexOf(" ") + 1;
  const dataScale = net.config.data_scale;
  const lines = rows.map((r) => ({...r, x: r.first || START, run: 0, peak: 0, reached: false,
    marked: r.codes[r.codes.length - 1] === space, points: [], peaks: [], stop: "budget",
    text: r.text || [0, r.codes.length]}));
  let live = lines.map((_, i) => i);
  for (let t = 0; live.length; t++) {
    const xs = new Float32Array(3 * live.length);
    live.forEach((i, b) => xs.set(lines[i].x, 3 * b));
    const out = synthesisStep(net, xs, live.map((i) => lines[i].codes), state);
    const m = out.z.length / live.length;
    const going = [];
    live.forEach((i, b) => {
      const line = lines[i];
      const pastEnd = pastTheEnd(line, out.phi[b], weightAfter(out, b, line.codes.length + 1));
      if (pastEnd && line.x[2] > 0.5 && t > 0) {
        line.stop = "end";
        return;
      }
      const z = out.z.subarray(b * m, (b + 1) * m);
      const params = mixtureFromOutputs(withoutRestingPen(z, dataScale), line.bias);
      const n = line.noise(t);
      line.x = drawPoint(params, n.uniform, n.gumbel, n.normal);
      line.points.push(line.x);
      line.peaks.push(peakIn(out.phi[b], line.text));
      if (pastEnd && line.x[2] > 0.5) line.stop = "end";
      else if (line.points.length < line.budget) going.push(b);
    });
    state = going.length === live.length ? out.state : stateRows(net, out.state, going);
    live = going.map((b) => live[b]);
  }
  return lines.map(({points, stop, peaks}) => ({points, stop, peaks}));
}
