// What the page's modules share: the page's state, the pad's strokes, the reading of the
// pad, and the two helpers every one of them uses ($ and setStatus).

export const $ = (id) => document.getElementById(id);

export const state = {
  health: null,
  mode: "write",
  result: null, // {prime: [[x, y, eos]...] absolute, points: same, seed, ...}
  animation: null,
  dataStyle: null, // {strokes, text, line}
  lastRequest: null,
};

// the strokes on the pad (pad.js), {x, y, t} in CSS pixels and milliseconds. version: one
// more for every stroke begun and every Clear, so that a reading of the pad can tell
// whether the pad still holds what was read
export const pad = {strokes: [], current: null, ready: false, version: 0};

// the recogniser's reading of the pad into the style's text box (pad.js)
export const reading = {
  text: null, // what the box was last filled with, while the user has not edited it
  timer: null, // a reading about to be asked for
  asked: 0, // requests so far: an answer to an older one is dropped
  waiting: false, // a request under way
  version: -1, // pad.version when the pad was last read
};

export function setStatus(text, isError) {
  const el = $("status");
  el.textContent = text;
  el.classList.toggle("error", Boolean(isError));
}

// build()'s request, or null once the status line says what is wrong with the form
export function requestOrSay(build) {
  try {
    return build();
  } catch (err) {
    setStatus(err.message, true);
    return null;
  }
}
