// The writing loop (writer.write_loop) in plain JavaScript: from the start point and a
// state, points are drawn from the network and fed back until the stop rule ends the line
// or the point budget runs out. The same rule as the Python writer: the window's peak has
// rested on the last character two steps and moved past it (Graves: phi(U + 1) > phi(u)
// for every u <= U, or fallen below half its peak), or, for a text read with an end mark
// (text.end_mark: a space after a last letter or digit), rested on that space two steps
// or left the text from its last letter; and the pen is up.

import {drawPoint, mixtureFromOutputs, withoutRestingPen} from "./mixture.js";
import {synthesisStep, zeroState} from "./step.js";

const START = [0, 0, 1]; // the first input of every line: pen lifted at the origin

// writer.priming_line and Writer.prime_state: a hand's line (strokes [[dx, dy, eos]] in
// tablet units) run through the network reading codes (the hand's text, a space, then
// the text to write) -> {state, first: the input that follows it} to write on from
export function primed(net, strokes, codes) {
  const {limit, data_scale: scale} = net.config;
  const clip = (v) => Math.min(limit, Math.max(-limit, v)) / scale;
  const line = strokes.map(([dx, dy, eos]) => [clip(dx), clip(dy), eos]);
  let state = zeroState(net);
  for (const x of [START, ...line.slice(1, -1)]) {
    state = synthesisStep(net, Float32Array.from(x), codes, state).state;
  }
  return {state, first: line[line.length - 1]};
}

// phi(U + 1): the window's weight just past the text (lstm.window_weights)
function weightAfter(alpha, beta, kappa, position) {
  let sum = 0;
  for (let k = 0; k < kappa.length; k++) {
    sum += alpha[k] * Math.exp(-beta[k] * (kappa[k] - position) ** 2);
  }
  return sum;
}

// codes: the text's codes (with its end mark), U of them; noise(t) -> {uniform, gumbel,
// normal} of step t; budget: points at most. -> {points: [[dx, dy, eos]] in model units,
// stop: "end" | "budget"}
export function writeLine(net, codes, noise, {bias = 0, budget, state, first = START}) {
  const length = codes.length;
  const space = net.config.alphabet.indexOf(" ") + 1;
  const marked = codes[length - 1] === space;
  const dataScale = net.config.data_scale;
  let x = first;
  let run = 0;
  let peak = 0;
  let reached = false;
  const points = [];
  for (let t = 0; t < budget; t++) {
    const out = synthesisStep(net, Float32Array.from(x), codes, state);
    state = out.state;
    const phi = out.phi;
    let at = 0;
    for (let u = 1; u < length; u++) if (phi[u] > phi[at]) at = u;
    const phiLast = phi[length - 1];
    run = at === length - 1 ? run + 1 : 0;
    if (run >= 2) peak = Math.max(peak, phiLast);
    reached = reached || at >= length - 2;
    const graves = weightAfter(out.alpha, out.beta, out.kappa, length + 1) > phi[at];
    const pastEnd = marked ? run >= 2 || (reached && graves)
      : peak > 0 && (graves || phiLast < 0.5 * peak);
    if (pastEnd && x[2] > 0.5 && t > 0) return {points, stop: "end"};
    const params = mixtureFromOutputs(withoutRestingPen(out.z, dataScale), bias);
    const n = noise(t);
    x = drawPoint(params, n.uniform, n.gumbel, n.normal);
    points.push(x);
    if (pastEnd && x[2] > 0.5) return {points, stop: "end"};
  }
  return {points, stop: "budget"};
}
