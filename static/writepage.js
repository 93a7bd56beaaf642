// A page written in the browser, as writer.Writer.write_page and Writer.write write one:
// every line primed with the hand (or, without one, the first line written in the
// model's own hand and the others primed with it), several tries of a line in one batch,
// each read by the recogniser and the best kept (measures.best_try), a line whose every
// try lost the text written once more. Lines come out one at a time, in order, so that a
// page can draw the first while the next is written.

import {readLine} from "./reader.js";
import {lineNoise, trySeed} from "./noise.js";
import {stateRows, zeroState} from "./step.js";
import {START, primed, writeLines} from "./writer.js";

export const POINTS_PER_CHAR = 60; // writer.POINTS_PER_CHAR: the point budget a character
export const SEED_RANGE = 2 ** 31; // text.SEED_RANGE
const LOST_SHARE = 2; // measures.LOST_SHARE
const FINAL_MARKS = ".,;:!?'\"-"; // text.FINAL_MARKS

// text.encode_text: 1 + each character's place in the alphabet, or an error naming those
// it cannot write
export function encode(text, alphabet) {
  const missing = [...new Set([...text].filter((c) => !alphabet.includes(c)))];
  if (missing.length) throw new Error(`the model cannot write ${missing.map((c) => JSON.stringify(c)).join(" ")}`);
  return [...text].map((c) => alphabet.indexOf(c) + 1);
}

// text.end_mark: a space after a line that ends in a letter or a digit
export const endMark = (line, alphabet) =>
  /[\p{L}\p{N}]$/u.test(line) && alphabet.includes(" ") ? " " : "";

// measures.final_character_share from the window's peak at each point
function finalShare(peaks, length) {
  const t0 = peaks.indexOf(length - 1);
  return t0 < 0 ? null : (peaks.length - t0) * length / peaks.length;
}

export function lostTheText(line) {
  const share = finalShare(line.peaks, [...line.text].length);
  return line.stop !== "end" || share === null || share > LOST_SHARE;
}

export function editDistance(a, b) {
  let row = Array.from({length: b.length + 1}, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length];
}

// measures.best_try: the try read closest to its text (spaces aside) among those that did
// not lose the text, if any; ties to the earlier
export function bestTry(tries) {
  const score = (t) => {
    const text = t.text.replace(/ /g, "");
    const cer = t.reading === null ? 0 : editDistance(text, t.reading.replace(/ /g, "")) / Math.max(1, text.length);
    return [lostTheText(t) ? 1 : 0, cer];
  };
  const scores = tries.map(score);
  let best = 0;
  scores.forEach(([lost, cer], i) => {
    if (lost < scores[best][0] || (lost === scores[best][0] && cer < scores[best][1])) best = i;
  });
  return best;
}

// The tries of one line from its primed state {state (one row), first}: [{text, points in
// tablet units, stop, peaks, reading}], tries `from` .. `from + count - 1`
function linesTried(models, text, codes, seed, primedLine, bias, from, count) {
  const {writer: net, reader} = models;
  const scale = net.config.data_scale;
  const mark = endMark(text, net.config.alphabet);
  const state = stateRows(net, primedLine.state, Array(count).fill(0));
  const rows = Array.from({length: count}, (_, k) => ({
    codes, bias, first: primedLine.first,
    noise: lineNoise(from + k === 0 ? seed : trySeed(seed, from + k), net.config.num_mixture),
    budget: POINTS_PER_CHAR * [...text + mark].length,
    text: [codes.length - [...text + mark].length, codes.length - [...mark].length],
  }));
  return writeLines(net, rows, state).map(({points, stop, peaks}) => {
    const strokes = points.map(([dx, dy, eos]) => [dx * scale, dy * scale, eos]);
    return {text, strokes, stop, peaks, reading: reader ? readLine(reader, strokes) : null};
  });
}

// One line's tries and the one kept (Writer.write, tries a line): {text, strokes, stop,
// reading, read_right, tries}
function writeLine(models, text, codes, seed, primedLine, {bias, tries}) {
  let tried = linesTried(models, text, codes, seed, primedLine, bias, 0, tries);
  if (tries > 1 && tried.every(lostTheText)) {
    tried = tried.concat(linesTried(models, text, codes, seed, primedLine, bias, tries, tries));
  }
  const kept = tried[bestTry(tried)];
  return {text, strokes: kept.strokes, stop: kept.stop, reading: kept.reading, tries: tried.length,
    read_right: kept.reading === null ? null
      : kept.reading.replace(/ /g, "") === text.replace(/ /g, "")};
}

// Where each line starts: primed with hand {strokes, text}, in one batch, or from zero
function startsOf(net, hand, codesList) {
  if (!hand) return codesList.map(() => ({state: zeroState(net), first: START}));
  const {state, first} = primed(net, hand.strokes, codesList);
  return codesList.map((_, i) => ({state: stateRows(net, state, [i]), first}));
}

// text.hand_of: the first line's text as a hand's, without its final marks
function withoutFinalMarks(line) {
  let end = line.length;
  while (end > 0 && FINAL_MARKS.includes(line[end - 1])) end--;
  return line.slice(0, end) || line;
}

// lines: the page's lines (clean, as text.wrap_text gives them); options {bias, seed,
// hand: {strokes, text} or null, tries}; onLine(i, line) as each is written. -> the lines
// written, as writeLine gives them
export function writePage(models, lines, options, onLine = () => {}) {
  const net = models.writer;
  const alphabet = net.config.alphabet;
  const written = [];
  const writeLines = (from, to, hand) => {
    const prefix = hand ? encode(`${hand.text.trim().split(/\s+/).join(" ")} `, alphabet) : [];
    const codes = lines.slice(from, to).map((t) => [...prefix, ...encode(t + endMark(t, alphabet), alphabet)]);
    startsOf(net, hand, codes).forEach((start, j) => {
      const i = from + j;
      written[i] = writeLine(models, lines[i], codes[j], (options.seed + i) % SEED_RANGE, start, options);
      onLine(i, written[i]);
    });
  };
  if (options.hand || lines.length === 1) {
    writeLines(0, lines.length, options.hand);
  } else { // text.page_plan: the first line in the model's own hand, then the others in it
    writeLines(0, 1, null);
    writeLines(1, lines.length, {strokes: written[0].strokes, text: withoutFinalMarks(lines[0])});
  }
  return written;
}
