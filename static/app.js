// The page of app.py: it talks only to this server's API (/api/health, /api/write,
// /api/sample, /api/read, /api/style). Strokes are [[dx, dy, eos], ...] rows in tablet
// units, as IAM-OnDB records them: the step from the previous point, eos = 1 on the last
// point of each stroke.
"use strict";

// IAM-OnDB's writing, measured on its lines: a line is about 350 tablet units high
// (5th to 95th percentile of y), a character about 184 wide, and a pen-down step 20
// long. What is written on the pad is brought to these, as the model saw its data.
const DATA = {lineHeight: 350, charWidth: 184, step: 20};
const MARGIN = 24; // CSS pixels around the writing
const MAX_SCALE = 0.22; // CSS pixels per tablet unit: short texts are not blown up
const MIN_HEIGHT = 120; // CSS pixels of paper, however little is written
const MAX_HEIGHT = 2400; // and at most: taller writing is drawn smaller

const $ = (id) => document.getElementById(id);
const state = {
  health: null,
  mode: "write",
  result: null, // {prime: [[x, y, eos]...] absolute, points: same, seed, ...}
  animation: null,
  dataStyle: null, // {strokes, text, line}
  lastRequest: null,
};

// ------------------------------------------------------------ the API

async function api(path, body) {
  const options = body === undefined ? {} : {
    method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body),
  };
  const response = await fetch(path, options);
  let answer = null;
  try {
    answer = await response.json();
  } catch (err) {
    throw new Error(`the server answered ${response.status} without JSON`);
  }
  if (!response.ok) {
    const detail = typeof answer.detail === "string" ? answer.detail : JSON.stringify(answer);
    throw new Error(detail);
  }
  return answer;
}

function setStatus(text, isError) {
  const el = $("status");
  el.textContent = text;
  el.classList.toggle("error", Boolean(isError));
}

// ------------------------------------------------------------ strokes

// Relative rows -> absolute points [x, y, eos], starting at (x0, y0).
function absolute(rows, x0 = 0, y0 = 0) {
  let x = x0, y = y0;
  return rows.map(([dx, dy, eos]) => {
    x += dx;
    y += dy;
    return [x, y, eos];
  });
}

// Absolute points -> strokes: lists of [x, y], split after each eos.
function splitStrokes(points) {
  const strokes = [];
  let current = [];
  for (const [x, y, eos] of points) {
    current.push([x, y]);
    if (eos > 0.5) {
      strokes.push(current);
      current = [];
    }
  }
  if (current.length) strokes.push(current);
  return strokes;
}

function bounds(points) {
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (const [x, y] of points) {
    minX = Math.min(minX, x); maxX = Math.max(maxX, x);
    minY = Math.min(minY, y); maxY = Math.max(maxY, y);
  }
  return {minX, minY, maxX, maxY};
}

function percentile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))];
}

// Points at the times t0, t0 + 1/rate, ... along a stroke [{x, y, t}], and its last point.
function resampleInTime(stroke, rate) {
  const out = [stroke[0]];
  let next = stroke[0].t + 1 / rate;
  for (let i = 1; i < stroke.length; i++) {
    const a = stroke[i - 1], b = stroke[i];
    while (b.t > a.t && next <= b.t) {
      const f = (next - a.t) / (b.t - a.t);
      out.push({x: a.x + f * (b.x - a.x), y: a.y + f * (b.y - a.y), t: next});
      next += 1 / rate;
    }
  }
  const last = stroke[stroke.length - 1];
  if (out[out.length - 1] !== last && out.length > 1) {
    const prev = out[out.length - 1];
    if (Math.hypot(last.x - prev.x, last.y - prev.y) > 1e-9) out.push(last);
  } else if (out.length === 1 && stroke.length > 1) {
    out.push(last);
  }
  return out;
}

// Points every `step` along a stroke (when its times cannot be used).
function resampleInSpace(stroke, step) {
  const out = [stroke[0]];
  let carried = 0;
  for (let i = 1; i < stroke.length; i++) {
    const a = stroke[i - 1], b = stroke[i];
    const length = Math.hypot(b.x - a.x, b.y - a.y);
    let at = step - carried;
    while (at <= length) {
      const f = at / length;
      out.push({x: a.x + f * (b.x - a.x), y: a.y + f * (b.y - a.y), t: 0});
      at += step;
    }
    carried = length - (at - step);
  }
  const last = stroke[stroke.length - 1];
  if (stroke.length > 1 && out[out.length - 1] !== last) out.push(last);
  return out;
}

// What was written on the pad (strokes of {x, y, t} in CSS pixels and milliseconds)
// -> [[dx, dy, eos], ...] in tablet units, as the tablet of IAM-OnDB recorded lines:
// scaled to its size (by the height of the writing, and by its width per character
// when the text is known), then sampled at a constant rate in time so that a pen-down
// step is as long as the data's on average: slow parts get more points, as on the
// tablet. The first row is a zero step, as in the data.
function toSteps(strokes, text, maxPoints) {
  strokes = strokes.filter((s) => s.length > 0);
  if (!strokes.length) return [];
  const all = strokes.flat();
  const ys = all.map((p) => p.y).sort((a, b) => a - b);
  const xs = all.map((p) => p.x);
  const height = Math.max(percentile(ys, 0.95) - percentile(ys, 0.05), 1);
  let scale = DATA.lineHeight / height;
  if (text && text.trim()) {
    const width = Math.max(Math.max(...xs) - Math.min(...xs), 1);
    scale = Math.sqrt(scale * (DATA.charWidth * text.trim().length / width));
  }
  const scaled = strokes.map((s) => s.map((p) => ({x: p.x * scale, y: p.y * scale, t: p.t})));
  let length = 0, duration = 0;
  for (const s of scaled) {
    for (let i = 1; i < s.length; i++) {
      length += Math.hypot(s[i].x - s[i - 1].x, s[i].y - s[i - 1].y);
      duration += Math.max(0, s[i].t - s[i - 1].t);
    }
  }
  const budget = Math.max(2, (maxPoints || 3000) - 2 * scaled.length);
  const wanted = Math.min(Math.max(length / DATA.step, scaled.length), budget);
  const timed = duration > 0 && scaled.every((s) => s.every((p, i) => i === 0 || p.t >= s[i - 1].t));
  const resampled = scaled.map((s) => timed
    ? resampleInTime(s, wanted / duration)
    : resampleInSpace(s, Math.max(length / wanted, 1e-6)));
  const rows = [];
  let px = null, py = null;
  for (const s of resampled) {
    s.forEach((p, i) => {
      const dx = px === null ? 0 : p.x - px, dy = py === null ? 0 : p.y - py;
      rows.push([round1(dx), round1(dy), i === s.length - 1 ? 1 : 0]);
      px = p.x;
      py = p.y;
    });
  }
  return rows;
}

const round1 = (v) => Math.round(v * 10) / 10;

// ------------------------------------------------------------ the pad

// version: one more for every stroke begun and every Clear, so that a reading of the
// pad can tell whether the pad still holds what was read
const pad = {strokes: [], current: null, ready: false, version: 0};

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

// A hand file (as downloadHand writes it) back on the pad, fitted to it.
async function loadHand(file, ctx) {
  let hand;
  try {
    hand = JSON.parse(await file.text());
  } catch (err) {
    hand = null;
  }
  const rows = hand && Array.isArray(hand.strokes) ? hand.strokes : [];
  const valid = typeof hand?.text === "string" && hand.text.trim() && rows.length > 1 &&
    rows.every((r) => Array.isArray(r) && r.length === 3 && r.every(Number.isFinite));
  if (!valid) {
    setStatus(`${file.name} is not a hand file: it holds {"text", "strokes": [[dx, dy, eos], ...]}`,
              true);
    return;
  }
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
  const margin = 10, canvas = ctx.canvas;
  const scale = Math.min((canvas.clientWidth - 2 * margin) / width,
                         (canvas.clientHeight - 2 * margin) / height);
  pad.strokes = strokes.filter((s) => s.length).map((s) => s.map((p) => (
    {x: margin + (p.x - left) * scale, y: margin + (p.y - top) * scale, t: 0})));
  pad.version++;
  forgetReading();
  $("pad-text").value = hand.text.trim();
  keepPad();
  drawPad(ctx);
  setStatus(`loaded the hand of ${file.name}: "${hand.text.trim()}"`);
}

function setupPad() {
  pad.ready = true;
  const canvas = $("pad");
  const ctx = fitCanvas(canvas, canvas.clientWidth, 150);
  restorePad();
  drawPad(ctx);
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

// ------------------------------------------------------------ reading the pad

// What is written on the pad is read by the recogniser (POST /api/read) a moment after
// the pen is lifted, and the reading goes into the style's text box, where it can be
// corrected before Write. The box is filled only while it is empty or still holds the
// last reading: what the user typed, or corrected, is never overwritten.
const READ_AFTER_MS = 400; // after the pen is lifted, unless it comes down again
const reading = {
  text: null, // what the box was last filled with, while the user has not edited it
  timer: null, // a reading about to be asked for
  asked: 0, // requests so far: an answer to an older one is dropped
  waiting: false, // a request under way
  version: -1, // pad.version when the pad was last read
};

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
function scheduleReading() {
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
    text = (await api("/api/read", {strokes})).text;
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

// A canvas of cssWidth x cssHeight CSS pixels, sharp on this screen; returns its context
// in CSS pixels.
function fitCanvas(canvas, cssWidth, cssHeight) {
  const ratio = window.devicePixelRatio || 1;
  canvas.style.height = `${cssHeight}px`;
  canvas.width = Math.round(cssWidth * ratio);
  canvas.height = Math.round(cssHeight * ratio);
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  return ctx;
}

// ------------------------------------------------------------ drawing the result

// Where the points go on a canvas cssWidth wide: scale and offset, and its height. The
// writing is as large as the width allows (up to MAX_SCALE), and the paper as tall as
// the writing then is: a page of several lines gets the height its lines need.
function layout(points, cssWidth) {
  const b = bounds(points);
  const w = Math.max(b.maxX - b.minX, 1), h = Math.max(b.maxY - b.minY, 1);
  const scale = Math.min((cssWidth - 2 * MARGIN) / w, MAX_SCALE, (MAX_HEIGHT - 2 * MARGIN) / h);
  const height = Math.ceil(Math.max(MIN_HEIGHT, h * scale + 2 * MARGIN));
  const x0 = MARGIN - b.minX * scale + Math.max(0, (cssWidth - 2 * MARGIN - w * scale) / 2);
  const y0 = (height - h * scale) / 2 - b.minY * scale;
  return {scale, x0, y0, width: cssWidth, height};
}

function pointsPerSecond() {
  // 20 to 2,000 points a second; the tablet recorded about 100
  return Math.round(20 * Math.pow(100, $("speed").value / 100));
}

function stopAnimation() {
  if (state.animation) cancelAnimationFrame(state.animation.frame);
  state.animation = null;
}

// The paper laid out for state.result, cleared, with the prime drawn in grey: the
// context, where a point goes, and the pen before the first point (where the prime
// ended, or nowhere).
function preparePaper() {
  const result = state.result;
  const canvas = $("paper");
  const box = layout(result.prime.concat(result.points), canvas.clientWidth);
  const ctx = fitCanvas(canvas, box.width, box.height);
  const at = ([x, y]) => [box.x0 + x * box.scale, box.y0 + y * box.scale];
  drawStrokes(ctx, splitStrokes(result.prime), at, "#a8a8a8", Number($("width").value));
  const pen = result.prime.length ? result.prime[result.prime.length - 1] : null;
  canvas.dataset.scale = String(box.scale);
  canvas.dataset.width = String(box.width);
  return {ctx, at, pen};
}

// Points from..to-1 of state.result, in the ink and width chosen, the pen at `pen`
// before them (a pen-up step draws nothing). Returns the pen after them.
function drawPoints(paper, from, to, pen) {
  const {ctx, at} = paper;
  const points = state.result.points;
  ctx.strokeStyle = $("ink").value;
  ctx.lineWidth = Number($("width").value);
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  ctx.beginPath();
  for (let i = from; i < to; i++) {
    const p = points[i];
    const [x, y] = at(p);
    if (pen && pen[2] < 0.5) {
      const [px, py] = at(pen);
      ctx.moveTo(px, py);
      ctx.lineTo(x, y);
    } else if (p[2] > 0.5) { // a stroke of one point: a dot
      ctx.moveTo(x, y);
      ctx.lineTo(x + 0.01, y);
    }
    pen = p;
  }
  ctx.stroke();
  return pen;
}

// Draw state.result on the paper, point after point at the chosen pace (a pen-up
// step takes its time too, as on the tablet).
function play() {
  stopAnimation();
  const result = state.result;
  if (!result) return;
  const canvas = $("paper");
  const points = result.points;
  const paper = preparePaper();
  canvas.dataset.state = "drawing";
  // on a small screen (a phone) the paper is below the controls: bring the writing into
  // view as it is drawn, rather than under the first screen
  const box = canvas.getBoundingClientRect();
  if (box.top >= window.innerHeight || box.bottom <= 0) {
    canvas.scrollIntoView({block: "start"});
  }
  canvas.dataset.points = String(points.length);
  canvas.dataset.strokes = String(splitStrokes(points).length);
  canvas.dataset.drawn = "0";
  const animation = {frame: 0, drawn: 0, paper, pen: paper.pen, start: performance.now()};
  const step = (now) => {
    // (a frame's time can be a little before the start)
    const target = Math.max(animation.drawn, Math.min(points.length,
      Math.floor((now - animation.start) / 1000 * pointsPerSecond()) + 1));
    animation.pen = drawPoints(animation.paper, animation.drawn, target, animation.pen);
    animation.drawn = target;
    canvas.dataset.drawn = String(target);
    if (target < points.length) {
      animation.frame = requestAnimationFrame(step);
    } else {
      canvas.dataset.state = "done";
      state.animation = null;
    }
  };
  state.animation = animation;
  animation.frame = requestAnimationFrame(step);
}

// Draw again, at once, what is drawn so far (all of it once the animation is over): for
// a new stroke width, ink or size of the window. An animation under way goes on from
// where it was.
function redraw() {
  if (!state.result) return;
  const animation = state.animation;
  const paper = preparePaper();
  const drawn = animation ? animation.drawn : state.result.points.length;
  const pen = drawPoints(paper, 0, drawn, paper.pen);
  if (animation) {
    animation.paper = paper;
    animation.pen = pen;
  }
}

function drawStrokes(ctx, strokes, at, color, width) {
  ctx.strokeStyle = color;
  ctx.lineWidth = width;
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  for (const s of strokes) {
    ctx.beginPath();
    const [x, y] = at(s[0]);
    ctx.moveTo(x, y);
    if (s.length === 1) ctx.lineTo(x + 0.01, y);
    for (const p of s.slice(1)) ctx.lineTo(...at(p));
    ctx.stroke();
  }
}

// ------------------------------------------------------------ downloads

function svgText() {
  const result = state.result;
  const all = result.prime.concat(result.points);
  const box = layout(all, $("paper").clientWidth);
  const width = Number($("width").value);
  const path = (strokes) => strokes.map((s) => {
    const pts = s.length === 1 ? [s[0], s[0]] : s;
    return "M" + pts.map((p) => {
      const x = box.x0 + p[0] * box.scale, y = box.y0 + p[1] * box.scale;
      return `${x.toFixed(2)},${y.toFixed(2)}`;
    }).join(" L");
  });
  const group = (strokes, color) => strokes.length ? `<g fill="none" stroke="${color}" ` +
    `stroke-width="${width}" stroke-linecap="round" stroke-linejoin="round">\n` +
    path(strokes).map((d) => `<path d="${d}"/>`).join("\n") + "\n</g>\n" : "";
  return `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<svg xmlns="http://www.w3.org/2000/svg" width="${box.width}" height="${box.height}" ` +
    `viewBox="0 0 ${box.width} ${box.height}">\n` +
    `<rect width="100%" height="100%" fill="white"/>\n` +
    group(splitStrokes(result.prime), "#a8a8a8") +
    group(splitStrokes(result.points), $("ink").value) + "</svg>\n";
}

function save(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

function fileName(ext) {
  return `handwriting-${state.result.seed}.${ext}`;
}

function downloadPng() {
  const result = state.result;
  const all = result.prime.concat(result.points);
  const box = layout(all, $("paper").clientWidth);
  const canvas = document.createElement("canvas");
  const ratio = 2; // twice the screen's CSS pixels
  canvas.width = Math.round(box.width * ratio);
  canvas.height = Math.round(box.height * ratio);
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "white";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  const at = ([x, y]) => [box.x0 + x * box.scale, box.y0 + y * box.scale];
  const width = Number($("width").value);
  drawStrokes(ctx, splitStrokes(result.prime), at, "#a8a8a8", width);
  drawStrokes(ctx, splitStrokes(result.points), at, $("ink").value, width);
  canvas.toBlob((blob) => save(blob, fileName("png")), "image/png");
}

// ------------------------------------------------------------ writing

// what a request says of its hand: {style} (strokes and text), {hand} (a named hand of
// the model's), or nothing (the model's own: the page keeps its first line's hand)
function currentStyle() {
  const choice = document.querySelector('input[name="style"]:checked').value;
  if (choice === "hand") {
    const text = $("pad-text").value.trim();
    if (!pad.strokes.length) throw new Error("write a few words on the pad first");
    if (!text && (reading.timer || reading.waiting)) {
      throw new Error("the pad is being read: a moment, then Write");
    }
    if (!text) throw new Error("type what you wrote on the pad");
    const strokes = toSteps(pad.strokes, text, state.health.limits.max_style_points);
    if (strokes.length < 2) throw new Error("write a little more on the pad");
    return {style: {strokes, text}};
  }
  if (choice === "data") {
    if (!state.dataStyle) throw new Error("no IAM-OnDB line yet");
    return {style: {strokes: state.dataStyle.strokes, text: state.dataStyle.text}};
  }
  if (choice === "named") return {hand: $("hand-name").value};
  return {};
}

function seedToSend() {
  if ($("fresh-seed").checked) return undefined;
  const value = $("seed").value.trim();
  if (value === "") return undefined;
  const seed = Number(value);
  if (!Number.isInteger(seed) || seed < 0 || seed >= state.health.seed_range) {
    throw new Error(`the seed must be a whole number from 0 to ${state.health.seed_range - 1}`);
  }
  return seed;
}

async function write() {
  if (state.mode === "write" && $("on-paper").checked) return writeOnPaper(); // paper.js
  let path, body, prime = [];
  try {
    const seed = seedToSend();
    const bias = Number($("bias").value);
    if (state.mode === "write") {
      const text = $("text").value;
      if (!text.trim()) throw new Error("type something to write");
      const unknown = unknownCharacters(text.replace(/\s/g, " "));
      if (unknown.length) throw new Error(`the model cannot write ${unknown.join(" ")}`);
      const {problem} = measureText(text);
      if (problem) throw new Error(problem);
      path = "/api/write";
      body = {text, bias, seed, ...currentStyle()};
    } else {
      path = "/api/sample";
      body = {num_points: Number($("points").value), bias, seed};
      if ($("carry-on").checked) {
        if (!pad.strokes.length) throw new Error("write something on the pad to carry on from");
        body.prime = toSteps(pad.strokes, "", state.health.limits.max_style_points);
        prime = absolute(body.prime);
      }
    }
  } catch (err) {
    setStatus(err.message, true);
    return;
  }
  state.lastRequest = body;
  $("write").disabled = true;
  $("paper").dataset.state = "waiting";
  setStatus("Writing…");
  const started = performance.now();
  try {
    const answer = await api(path, body);
    const start = prime.length ? prime[prime.length - 1] : [0, 0];
    state.result = {
      prime, points: absolute(answer.strokes, start[0], start[1]), seed: answer.seed,
      answer,
    };
    $("seed").value = String(answer.seed);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    // what the text's typography was written as, if the server folded it
    setStatus(`Written in ${seconds} s.` + (answer.note ? ` Its ${answer.note}.` : ""));
    describe(answer);
    for (const id of ["replay", "download-svg", "download-png"]) $(id).disabled = false;
    play();
  } catch (err) {
    $("paper").dataset.state = state.result ? "done" : "empty";
    setStatus(err.message, true);
  } finally {
    $("write").disabled = false;
  }
}

function describe(answer) {
  const info = $("result-info");
  const read = (answer.lines || []).map((l) => l.reading);
  // what the recogniser makes of each line: the writing's legibility, line by line, and
  // the lines no try of which it read as written
  $("readings").textContent = read.length && read.every((r) => typeof r === "string")
    ? `Read back: ${answer.lines.map((l) => `“${l.reading}”` +
      (l.read_right === false ? " (misread)" : "")).join(", ")}` : "";
  if (!answer.lines) {
    info.textContent = `seed ${answer.seed} · ${answer.strokes.length} points`;
    return;
  }
  const ran = answer.lines.filter((l) => l.stop === "budget").length;
  info.textContent = `seed ${answer.seed} · ${answer.lines.length} line` +
    (answer.lines.length === 1 ? "" : "s") + ": " +
    answer.lines.map((l) => `“${l.text}”`).join(", ") +
    (ran ? ` · ${ran} ran out of points before the end of the text` : "");
}

function unknownCharacters(text) {
  const alphabet = state.health && state.health.alphabet;
  if (!alphabet) return [];
  // an accented letter whose base letter the model writes is written, the mark added
  const accented = state.health.accented || {};
  return [...new Set([...fold(text)].filter((c) => !alphabet.includes(c) && !(c in accented)))]
    .map((c) => JSON.stringify(c));
}

// ------------------------------------------------------------ the text's limits

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
const cleanLine = (line) => fold(line).split(PY_SPACES).filter((word) => word).join(" ");

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
function pageLines(text, width) {
  return text.split(PY_LINE_BREAK).flatMap((line) => textwrap(cleanLine(line), width));
}

// The text measured against the server's limits: {characters, lines, problem}; problem
// is what stops the server from writing it, said as the server would, or "".
function measureText(text) {
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

// Under the text box: how much of each limit the text takes (its characters, and the
// lines it makes once wrapped), or what is wrong with it.
function updateTextHint() {
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

// ------------------------------------------------------------ the controls

function setMode(mode) {
  state.mode = mode;
  $("mode-write").setAttribute("aria-selected", String(mode === "write"));
  $("mode-free").setAttribute("aria-selected", String(mode === "free"));
  $("write-options").hidden = mode !== "write";
  $("free-options").hidden = mode !== "free";
  showPanels();
}

function showPanels() {
  const choice = document.querySelector('input[name="style"]:checked').value;
  const hand = state.mode === "write" ? choice === "hand" : $("carry-on").checked;
  $("hand-panel").hidden = !hand;
  $("pad-text").hidden = state.mode !== "write";
  $("pad-status").hidden = state.mode !== "write";
  const reads = Boolean(state.health && state.health.reading);
  $("pad-text").placeholder = reads ? "what you wrote (the recogniser reads it)"
    : "what you wrote";
  $("pad-hint").textContent = state.mode !== "write"
    ? "Write here with a mouse, pen or finger: the model carries on in that hand."
    : reads ? "Write a few words here with a mouse, pen or finger: the recogniser reads " +
      "them into the box below, where you can correct them, and the model writes the " +
      "text in that hand."
    : "Write a few words here with a mouse, pen or finger, then type what you wrote: " +
      "the model writes the text in that hand.";
  $("data-panel").hidden = !(state.mode === "write" && choice === "data");
  $("style-column").hidden = $("hand-panel").hidden && $("data-panel").hidden;
  if (!$("hand-panel").hidden && !pad.ready) setupPad();
  scheduleReading(); // what was written in free writing is read when the text box opens
  if (!$("data-panel").hidden && !state.dataStyle) nextDataLine();
}

// the model's named hands in the style menu, the first of them chosen: a page in one
// hand that reads well, from the first line on
function showNamedHands(names) {
  const select = $("hand-name");
  select.replaceChildren(...names.map((name) => new Option(name, name)));
  $("style-named-option").hidden = !names.length;
  if (names.length) {
    document.querySelector('input[name="style"][value="named"]').checked = true;
    showPanels();
  }
}

async function nextDataLine() {
  try {
    state.dataStyle = await api("/api/style");
    $("data-text").textContent = `“${state.dataStyle.text}” (${state.dataStyle.line})`;
    const canvas = $("data-preview");
    const points = absolute(state.dataStyle.strokes);
    const b = bounds(points), height = 90, margin = 8;
    const ctx = fitCanvas(canvas, canvas.clientWidth, height);
    const scale = Math.min((canvas.clientWidth - 2 * margin) / Math.max(1, b.maxX - b.minX),
      (height - 2 * margin) / Math.max(1, b.maxY - b.minY));
    const at = ([x, y]) => [margin + (x - b.minX) * scale, margin + (y - b.minY) * scale];
    drawStrokes(ctx, splitStrokes(points), at, "#444", 1.25);
  } catch (err) {
    setStatus(err.message, true);
  }
}

function bindOutputs() {
  const show = () => {
    $("bias-out").textContent = Number($("bias").value).toFixed(2);
    $("width-out").textContent = `${Number($("width").value).toFixed(2)} px`;
    $("speed-out").textContent = `${pointsPerSecond()} points/s`;
    $("points-out").textContent = $("points").value;
  };
  for (const id of ["bias", "width", "speed", "points"]) $(id).addEventListener("input", show);
  show();
  // a new width or ink redraws the writing at once, without writing it out again
  for (const id of ["width", "ink"]) $(id).addEventListener("input", redraw);
  // and so does a paper of another width (a resized window, a scroll bar come or gone)
  new ResizeObserver(() => {
    if (state.result && $("paper").clientWidth !== Number($("paper").dataset.width)) redraw();
  }).observe($("paper"));
}

async function init() {
  bindOutputs();
  $("mode-write").addEventListener("click", () => !$("mode-write").disabled && setMode("write"));
  $("mode-free").addEventListener("click", () => setMode("free"));
  for (const radio of document.querySelectorAll('input[name="style"]')) {
    radio.addEventListener("change", showPanels);
  }
  $("carry-on").addEventListener("change", showPanels);
  // picking a hand from the menu picks the named hands
  $("hand-name").addEventListener("change", () => {
    document.querySelector('input[name="style"][value="named"]').checked = true;
    showPanels();
  });
  $("data-next").addEventListener("click", nextDataLine);
  $("text").addEventListener("input", updateTextHint);
  // typed in the style's text box: the user's text from now on, never overwritten
  $("pad-text").addEventListener("input", () => { reading.text = null; });
  $("text").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) write();
  });
  $("seed").addEventListener("input", () => { $("fresh-seed").checked = false; });
  $("write").addEventListener("click", write);
  $("replay").addEventListener("click", play);
  $("download-svg").addEventListener("click", () =>
    save(new Blob([svgText()], {type: "image/svg+xml"}), fileName("svg")));
  $("download-png").addEventListener("click", downloadPng);
  try {
    state.health = await api("/api/health");
  } catch (err) {
    setStatus(`The server does not answer: ${err.message}`, true);
    return;
  }
  const health = state.health;
  $("points").max = String(health.limits.max_points);
  $("bias").max = String(Math.min(3, health.bias_max));
  if (!health.writing) {
    const notice = $("notice");
    const why = health.why_not_writing;
    notice.textContent = `${why[0].toUpperCase()}${why.slice(1)}.`;
    notice.hidden = false;
    $("mode-write").disabled = true;
    $("mode-write").title = health.why_not_writing;
    setMode("free");
  } else {
    setMode("write");
  }
  $("style-data-option").hidden = health.styles_from_data !== "ready";
  showNamedHands(health.styles);
  updateTextHint();
  document.body.dataset.ready = "true";
}

// for the tests and for the curious, from the browser's console
window.writeRnn = {state, pad, reading, toSteps, absolute, splitStrokes, svgText, pageLines,
  measureText, play, redraw};

init();
