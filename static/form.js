// What the form asks for, read from its fields for a request, on the canvas as on pages:
// the text (checked, and measured in the hint under its box), its hand, and the seed.

import {$, pad, reading, state} from "./state.js";
import {toSteps} from "./strokes.js";
import {measureText, unknownCharacters} from "./textrules.js";

// The text box's text, or an Error that says why the model cannot write it.
export function textToWrite() {
  const text = $("text").value;
  if (!text.trim()) throw new Error("type something to write");
  const unknown = unknownCharacters(text.replace(/\s/g, " "));
  if (unknown.length) throw new Error(`the model cannot write ${unknown.join(" ")}`);
  return text;
}

// the pad's hand as a style: {strokes, text}
function padStyle() {
  const text = $("pad-text").value.trim();
  if (!pad.strokes.length) throw new Error("write a few words on the pad first");
  if (!text && (reading.timer || reading.waiting)) {
    throw new Error("the pad is being read: a moment, then Write");
  }
  if (!text) throw new Error("type what you wrote on the pad");
  const strokes = toSteps(pad.strokes, text, state.health.limits.max_style_points);
  if (strokes.length < 2) throw new Error("write a little more on the pad");
  return {strokes, text};
}

// what a request says of its hand: {style} (strokes and text), {hand} (a named hand of
// the model's), or nothing (the model's own: the page keeps its first line's hand)
export function currentStyle() {
  const choice = document.querySelector('input[name="style"]:checked').value;
  if (choice === "hand") return {style: padStyle()};
  if (choice === "data") {
    if (!state.dataStyle) throw new Error("no IAM-OnDB line yet");
    return {style: {strokes: state.dataStyle.strokes, text: state.dataStyle.text}};
  }
  if (choice === "named") return {hand: $("hand-name").value};
  return {};
}

export function seedToSend() {
  if ($("fresh-seed").checked) return undefined;
  const value = $("seed").value.trim();
  if (value === "") return undefined;
  const seed = Number(value);
  if (!Number.isInteger(seed) || seed < 0 || seed >= state.health.seed_range) {
    throw new Error(`the seed must be a whole number from 0 to ${state.health.seed_range - 1}`);
  }
  return seed;
}

// Under the text box: how much of each limit the text takes (its characters, and the
// lines it makes once wrapped), or what is wrong with it.
export function updateTextHint() {
  const text = $("text").value;
  const hint = $("text-hint");
  const unknown = unknownCharacters(text.replace(/\s/g, " "));
  const {characters, lines, problem} = measureText(text);
  hint.classList.toggle("error", unknown.length > 0 || Boolean(problem));
  if (unknown.length) {
    hint.textContent = `The model cannot write ${unknown.join(" ")}.`;
  } else if (!state.health) {
    hint.textContent = "";
  } else if (problem) {
    hint.textContent = `${problem[0].toUpperCase()}${problem.slice(1)}.`;
  } else {
    const limits = state.health.limits;
    hint.textContent = `${lines} of ${limits.max_lines} lines of up to ` +
      `${limits.line_length} characters; ${characters} of ${limits.max_text_length} characters.`;
  }
  hint.dataset.lines = String(lines);
  hint.dataset.characters = String(characters);
}
