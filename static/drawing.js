// The writing drawn: laid out on the paper canvas, played point by point at the pen's
// pace or redrawn at once, and saved as an SVG or PNG file.

import {$, state} from "./state.js";
import {bounds, splitStrokes} from "./strokes.js";

const MARGIN = 24; // CSS pixels around the writing
const MAX_SCALE = 0.22; // CSS pixels per tablet unit: short texts are not blown up
const MIN_HEIGHT = 120; // CSS pixels of paper, however little is written
const MAX_HEIGHT = 2400; // and at most: taller writing is drawn smaller
const PRIME_INK = "#a8a8a8"; // what the writing carries on from, in grey

// A canvas of cssWidth x cssHeight CSS pixels, sharp on this screen; returns its context
// in CSS pixels.
export function fitCanvas(canvas, cssWidth, cssHeight) {
  const ratio = window.devicePixelRatio || 1;
  canvas.style.height = `${cssHeight}px`;
  canvas.width = Math.round(cssWidth * ratio);
  canvas.height = Math.round(cssHeight * ratio);
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  return ctx;
}

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

// where a point of the writing goes in a layout
const placer = (box) => ([x, y]) => [box.x0 + x * box.scale, box.y0 + y * box.scale];

export function pointsPerSecond() {
  // 20 to 2,000 points a second; the tablet recorded about 100
  return Math.round(20 * Math.pow(100, $("speed").value / 100));
}

function stopAnimation() {
  if (state.animation) cancelAnimationFrame(state.animation.frame);
  state.animation = null;
}

export function drawStrokes(ctx, strokes, at, color, width) {
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

// A line of writing (absolute points) fitted whole into a canvas `height` CSS pixels high.
export function drawPreview(canvas, points, height, color, width) {
  const b = bounds(points), margin = 8;
  const ctx = fitCanvas(canvas, canvas.clientWidth, height);
  const scale = Math.min((canvas.clientWidth - 2 * margin) / Math.max(1, b.maxX - b.minX),
    (height - 2 * margin) / Math.max(1, b.maxY - b.minY));
  const at = ([x, y]) => [margin + (x - b.minX) * scale, margin + (y - b.minY) * scale];
  drawStrokes(ctx, splitStrokes(points), at, color, width);
}

// The paper laid out for state.result, cleared, with the prime drawn in grey: the
// context, where a point goes, and the pen before the first point (where the prime
// ended, or nowhere).
function preparePaper() {
  const result = state.result;
  const canvas = $("paper");
  const box = layout(result.prime.concat(result.points), canvas.clientWidth);
  const ctx = fitCanvas(canvas, box.width, box.height);
  const at = placer(box);
  drawStrokes(ctx, splitStrokes(result.prime), at, PRIME_INK, Number($("width").value));
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

// on a small screen (a phone) the paper is below the controls: bring the writing into
// view as it is drawn, rather than under the first screen
function bringIntoView(canvas) {
  const box = canvas.getBoundingClientRect();
  if (box.top >= window.innerHeight || box.bottom <= 0) {
    canvas.scrollIntoView({block: "start"});
  }
}

// Draw state.result on the paper, point after point at the chosen pace (a pen-up
// step takes its time too, as on the tablet).
export function play() {
  stopAnimation();
  const result = state.result;
  if (!result) return;
  const canvas = $("paper");
  const points = result.points;
  const paper = preparePaper();
  canvas.dataset.state = "drawing";
  bringIntoView(canvas);
  canvas.dataset.points = String(points.length);
  canvas.dataset.strokes = String(splitStrokes(points).length);
  canvas.dataset.drawn = "0";
  // waited: ms the pen has stood waiting for lines still being written; since: from when
  const animation = {frame: 0, drawn: 0, paper, pen: paper.pen, start: performance.now(),
    waited: 0, since: null};
  const step = (now) => {
    const points = state.result.points; // lines still being written are added to it
    if (animation.since !== null && points.length > animation.drawn) {
      // the next line has come: the pen takes up its pace from where it waited
      animation.waited += now - animation.since;
      animation.since = null;
      animation.start = now - animation.drawn / pointsPerSecond() * 1000;
    }
    // (a frame's time can be a little before the start)
    const target = Math.max(animation.drawn, Math.min(points.length,
      Math.floor((now - animation.start) / 1000 * pointsPerSecond()) + 1));
    animation.pen = drawPoints(animation.paper, animation.drawn, target, animation.pen);
    animation.drawn = target;
    canvas.dataset.drawn = String(target);
    if (target < points.length) {
      animation.frame = requestAnimationFrame(step);
    } else if (state.result.pending) {
      // the pen has caught up with the writer: it waits, and the wait is counted
      animation.since = animation.since ?? now;
      animation.frame = requestAnimationFrame(step);
    } else {
      canvas.dataset.state = "done";
      canvas.dataset.waited = String(Math.round(animation.waited));
      state.animation = null;
    }
  };
  state.animation = animation;
  animation.frame = requestAnimationFrame(step);
}

// Draw again, at once, what is drawn so far (all of it once the animation is over): for
// a new stroke width, ink or size of the window. An animation under way goes on from
// where it was.
export function redraw() {
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

// ------------------------------------------------------------ downloads

export function svgText() {
  const result = state.result;
  const all = result.prime.concat(result.points);
  const box = layout(all, $("paper").clientWidth);
  const at = placer(box);
  const width = Number($("width").value);
  const path = (strokes) => strokes.map((s) => {
    const pts = s.length === 1 ? [s[0], s[0]] : s;
    return "M" + pts.map((p) => {
      const [x, y] = at(p);
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
    group(splitStrokes(result.prime), PRIME_INK) +
    group(splitStrokes(result.points), $("ink").value) + "</svg>\n";
}

export function save(blob, name) {
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

export function downloadSvg() {
  save(new Blob([svgText()], {type: "image/svg+xml"}), fileName("svg"));
}

export function downloadPng() {
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
  const at = placer(box);
  const width = Number($("width").value);
  drawStrokes(ctx, splitStrokes(result.prime), at, PRIME_INK, width);
  drawStrokes(ctx, splitStrokes(result.points), at, $("ink").value, width);
  canvas.toBlob((blob) => save(blob, fileName("png")), "image/png");
}
