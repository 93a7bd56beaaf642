// The text rules of text.py, mirrored so that the page says what the server would before
// it is asked: the typography folded, lines cleaned and wrapped, the limits measured, and
// the characters the model cannot write.

import {state} from "./state.js";

// Python's white space (str.isspace, str.split), and the line breaks of str.splitlines.
const PY_SPACES = new RegExp("[\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a" +
  "\\u2028\\u2029\\u202f\\u205f\\u3000]+");
const PY_LINE_BREAK = /\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]/;
const chars = (s) => Array.from(s); // characters as Python counts them (code points)

// What the server folds onto the alphabet (text.TYPOGRAPHY, which /api/health gives; an
// accent typed as a letter and a combining mark composed, as NFC does):
// curly quotes as straight ones, dashes as hyphens, an ellipsis as three dots, ...
const fold = (text) =>
  chars(text.normalize("NFC")).map((c) => state.health?.typography?.[c] ?? c).join("");

// A line as the server writes it (text.as_written): its typography folded, every run of
// white space one space, none at the ends.
export const cleanLine = (line) => fold(line).split(PY_SPACES).filter((word) => word).join(" ");

// Python's textwrap.wrap(line, width, break_on_hyphens=False) of a clean line, as the
// server wraps it: at spaces, into lines of at most `width` characters; a word longer
// than that is cut.
function textwrap(line, width) {
  const chunks = line.split(/( )/).filter((c) => c).map(chars).reverse();
  const space = (chunk) => chunk.length === 0 || chunk.join("") === " ";
  const last = () => chunks[chunks.length - 1];
  const lines = [];
  while (chunks.length) {
    const words = [];
    let length = 0;
    if (lines.length && space(last())) chunks.pop();
    while (chunks.length && length + last().length <= width) {
      length += last().length;
      words.push(chunks.pop());
    }
    if (chunks.length && last().length > width) {
      const room = width - length; // 0 when the line is full: the word goes on the next
      words.push(last().slice(0, room));
      chunks[chunks.length - 1] = last().slice(room);
    }
    if (words.length && space(words[words.length - 1])) words.pop();
    if (words.length) lines.push(words.map((c) => c.join("")).join(""));
  }
  return lines;
}

// The lines the server writes for a text (text.wrap_text): the text's own line breaks
// kept, each line cleaned and wrapped, blank lines dropped.
export function pageLines(text, width) {
  return text.split(PY_LINE_BREAK).flatMap((line) => textwrap(cleanLine(line), width));
}

// The text measured against the server's limits: {characters, lines, problem}; problem
// is what stops the server from writing it, said as the server would, or "".
export function measureText(text) {
  const limits = state.health ? state.health.limits : null;
  const characters = chars(text).length;
  if (!limits) return {characters, lines: 0, problem: ""};
  const lines = pageLines(text, limits.line_length).length;
  let problem = "";
  if (characters > limits.max_text_length) {
    problem = `the text has ${characters} characters; at most ${limits.max_text_length}`;
  } else if (lines > limits.max_lines) {
    problem = `the text makes ${lines} lines of at most ${limits.line_length} characters; ` +
      `at most ${limits.max_lines} are written`;
  }
  return {characters, lines, problem};
}

export function unknownCharacters(text) {
  const alphabet = state.health && state.health.alphabet;
  if (!alphabet) return [];
  // an accented letter whose base letter the model writes is written, the mark added
  const accented = state.health.accented || {};
  return [...new Set([...fold(text)].filter((c) => !alphabet.includes(c) && !(c in accented)))]
    .map((c) => JSON.stringify(c));
}
