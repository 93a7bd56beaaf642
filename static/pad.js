// The hand pad: what is written on it with a mouse, pen or finger, kept in this browser
// between visits, downloaded and loaded as a hand file, and read by the recogniser into
// the style's text box.

import {server} from "./api.js";
import {fitCanvas, save} from "./drawing.js";
import {$, pad, reading, setStatus, state} from "./state.js";
import {toSteps} from "./strokes.js";

// The pad's hand is kept in this browser between visits, and downloads as a hand file,
// {"text", "strokes": [[dx, dy, eos], ...]} in tablet units as /api/write's style takes
// it, which sample.py --style and model.write(style=...) take too.
const PAD_KEY = "write-rnn.pad";

function keepPad() {
  try {
    localStorage.setItem(PAD_KEY, JSON.stringify({strokes: pad.strokes,
                                                  text: $("pad-text").value}));
  } catch (err) { /* private browsing, or full: the pad is kept for this visit only */ }
  $("pad-download").disabled = !pad.strokes.length;
}

function restorePad() {
  let kept = null;
  try { kept = JSON.parse(localStorage.getItem(PAD_KEY)); } catch (err) { kept = null; }
  if (!kept || !Array.isArray(kept.strokes)) return;
  pad.strokes = kept.strokes;
  pad.version++;
  if (!$("pad-text").value) $("pad-text").value = kept.text || "";
  $("pad-download").disabled = !pad.strokes.length;
}

function downloadHand() {
  const text = $("pad-text").value.trim();
  if (!text) {
    setStatus("type what you wrote on the pad: the hand file holds its text", true);
    return;
  }
  const strokes = toSteps(pad.strokes, text, state.health.limits.max_style_points);
  save(new Blob([JSON.stringify({text, strokes})], {type: "application/json"}), "hand.json");
}

function isHand(hand) {
  const rows = hand && Array.isArray(hand.strokes) ? hand.strokes : [];
  return typeof hand?.text === "string" && hand.text.trim() && rows.length > 1 &&
    rows.every((r) => Array.isArray(r) && r.length === 3 && r.every(Number.isFinite));
}

// A hand file's rows as strokes on the pad's canvas, fitted to it.
function fittedToPad(rows, canvas) {
  let x = 0, y = 0, stroke = [];
  const strokes = [stroke];
  rows.forEach(([dx, dy, eos], i) => {
    x += dx;
    y += dy;
    stroke.push({x, y, t: 0});
    if (eos > 0.5 && i < rows.length - 1) strokes.push(stroke = []);
  });
  const points = strokes.flat();
  const left = Math.min(...points.map((p) => p.x)), top = Math.min(...points.map((p) => p.y));
  const width = Math.max(...points.map((p) => p.x)) - left || 1;
  const height = Math.max(...points.map((p) => p.y)) - top || 1;
  const margin = 10;
  const scale = Math.min((canvas.clientWidth - 2 * margin) / width,
                         (canvas.clientHeight - 2 * margin) / height);
  return strokes.filter((s) => s.length).map((s) => s.map((p) => (
    {x: margin + (p.x - left) * scale, y: margin + (p.y - top) * scale, t: 0})));
}

// A hand file (as downloadHand writes it) back on the pad, fitted to it.
async function loadHand(file, ctx) {
  let hand;
  try {
    hand = JSON.parse(await file.text());
  } catch (err) {
    hand = null;
  }
  if (!isHand(hand)) {
    setStatus(`${file.name} is not a hand file: it holds {"text", "strokes": [[dx, dy, eos], ...]}`,
              true);
    return;
  }
  pad.strokes = fittedToPad(hand.strokes, ctx.canvas);
  pad.version++;
  forgetReading();
  $("pad-text").value = hand.text.trim();
  keepPad();
  drawPad(ctx);
  setStatus(`loaded the hand of ${file.name}: "${hand.text.trim()}"`);
}

function drawPad(ctx) {
  const canvas = ctx.canvas;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.strokeStyle = $("ink").value;
  ctx.lineWidth = 2;
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  for (const s of pad.strokes) {
    ctx.beginPath();
    ctx.moveTo(s[0].x, s[0].y);
    for (const p of s.slice(1)) ctx.lineTo(p.x, p.y);
    if (s.length === 1) ctx.lineTo(s[0].x + 0.01, s[0].y);
    ctx.stroke();
  }
}

// The pen on the pad: each stroke with its points' times, read once the pen is lifted.
function bindPen(canvas, ctx) {
  const point = (e) => ({x: e.offsetX, y: e.offsetY, t: e.timeStamp});
  canvas.addEventListener("pointerdown", (e) => {
    e.preventDefault();
    canvas.setPointerCapture(e.pointerId);
    pad.current = [point(e)];
    pad.strokes.push(pad.current);
    pad.version++;
    cancelReading();
    drawPad(ctx);
  });
  canvas.addEventListener("pointermove", (e) => {
    if (!pad.current) return;
    const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [];
    for (const ev of events.length ? events : [e]) pad.current.push(point(ev));
    drawPad(ctx);
  });
  const end = () => {
    if (!pad.current) return;
    pad.current = null;
    keepPad();
    scheduleReading();
  };
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);
}

function bindButtons(ctx) {
  $("pad-clear").addEventListener("click", () => {
    pad.strokes = [];
    pad.current = null;
    pad.version++;
    forgetReading();
    keepPad();
    drawPad(ctx);
  });
  $("pad-download").addEventListener("click", downloadHand);
  $("pad-file").addEventListener("change", (e) => {
    if (e.target.files.length) loadHand(e.target.files[0], ctx);
    e.target.value = "";  // the same file may be loaded again
  });
  $("pad-text").addEventListener("input", keepPad);
}

export function setupPad() {
  pad.ready = true;
  const canvas = $("pad");
  const ctx = fitCanvas(canvas, canvas.clientWidth, 150);
  restorePad();
  drawPad(ctx);
  bindPen(canvas, ctx);
  bindButtons(ctx);
}

// ------------------------------------------------------------ reading the pad

// What is written on the pad is read by the recogniser (POST /api/read) a moment after
// the pen is lifted, and the reading goes into the style's text box, where it can be
// corrected before Write. The box is filled only while it is empty or still holds the
// last reading: what the user typed, or corrected, is never overwritten.
const READ_AFTER_MS = 400; // after the pen is lifted, unless it comes down again

function setPadStatus(text, name = "", isError = false) {
  const el = $("pad-status");
  el.textContent = text;
  el.dataset.state = name;
  el.classList.toggle("error", isError);
}

const sentence = (s) => `${s[0].toUpperCase()}${s.slice(1)}${/[.!?]$/.test(s) ? "" : "."}`;

// The pad is read only where its text box is: writing a text in your own hand.
const padIsRead = () => state.mode === "write" && !$("hand-panel").hidden;

// A reading of the pad, READ_AFTER_MS from now, unless it has been read as it is.
export function scheduleReading() {
  clearTimeout(reading.timer);
  reading.timer = null;
  if (!padIsRead() || !state.health || !pad.strokes.length || pad.current) return;
  if (!state.health.reading) {
    setPadStatus(sentence(state.health.why_not_reading || "the server does not read "
                          + "handwriting"), "off");
    return;
  }
  if (reading.version === pad.version) return;
  reading.timer = setTimeout(readPad, READ_AFTER_MS);
}

// No reading of what is on the pad now: the pen is down again, or the pad is cleared.
function cancelReading() {
  clearTimeout(reading.timer);
  reading.timer = null;
  reading.asked++;
  reading.waiting = false;
}

// Clear: the reading goes with the line it read, unless the user has made it theirs.
function forgetReading() {
  cancelReading();
  if (reading.text !== null && $("pad-text").value === reading.text) $("pad-text").value = "";
  reading.text = null;
  reading.version = -1;
  setPadStatus("");
}

// The recogniser's reading in the style's text box, unless the user's text is there.
function showReading(text) {
  const box = $("pad-text");
  if (box.value.trim() && box.value !== reading.text) {
    setPadStatus(`The recogniser reads “${text}”; your text is kept.`, "kept");
    return;
  }
  box.value = text;
  reading.text = text;
  keepPad();
  if (text) {
    setPadStatus("Read by the recogniser: correct it if needed.", "read");
  } else {
    setPadStatus("The recogniser cannot read it: type what you wrote.", "read");
  }
}

async function readPad() {
  reading.timer = null;
  const version = pad.version;
  const strokes = toSteps(pad.strokes, "", state.health.limits.max_style_points);
  if (strokes.length < 2) return;
  const asked = ++reading.asked;
  reading.waiting = true;
  setPadStatus("Reading…", "reading");
  let text;
  try {
    text = (await server.read(strokes)).text;
  } catch (err) {
    if (asked === reading.asked) {
      reading.waiting = false;
      setPadStatus(`Not read: ${err.message}`, "error", true);
    }
    return;
  }
  if (asked !== reading.asked || version !== pad.version) return; // the pad has changed
  reading.waiting = false;
  reading.version = version;
  showReading(text);
}
