// Strokes as numbers, with no page around them: relative rows to absolute points and
// strokes, their bounds, and what is written on the pad turned into the data's rows.

// Strokes are [[dx, dy, eos], ...] rows in tablet units, as IAM-OnDB records them: the
// step from the previous point, eos = 1 on the last point of each stroke.

// IAM-OnDB's writing, measured on its lines: a line is about 350 tablet units high
// (5th to 95th percentile of y), a character about 184 wide, and a pen-down step 20
// long. What is written on the pad is brought to these, as the model saw its data.
const DATA = {lineHeight: 350, charWidth: 184, step: 20};

// Relative rows -> absolute points [x, y, eos], starting at (x0, y0).
export function absolute(rows, x0 = 0, y0 = 0) {
  let x = x0, y = y0;
  return rows.map(([dx, dy, eos]) => {
    x += dx;
    y += dy;
    return [x, y, eos];
  });
}

// Absolute points -> strokes: lists of [x, y], split after each eos.
export function splitStrokes(points) {
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

export function bounds(points) {
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

// Tablet units per pad pixel: by the height of the writing, and by its width per
// character when the text is known.
function padScale(strokes, text) {
  const all = strokes.flat();
  const ys = all.map((p) => p.y).sort((a, b) => a - b);
  const xs = all.map((p) => p.x);
  const height = Math.max(percentile(ys, 0.95) - percentile(ys, 0.05), 1);
  let scale = DATA.lineHeight / height;
  if (text && text.trim()) {
    const width = Math.max(Math.max(...xs) - Math.min(...xs), 1);
    scale = Math.sqrt(scale * (DATA.charWidth * text.trim().length / width));
  }
  return scale;
}

// The pen-down length of strokes [{x, y, t}], and the time it took.
function lengthAndDuration(strokes) {
  let length = 0, duration = 0;
  for (const s of strokes) {
    for (let i = 1; i < s.length; i++) {
      length += Math.hypot(s[i].x - s[i - 1].x, s[i].y - s[i - 1].y);
      duration += Math.max(0, s[i].t - s[i - 1].t);
    }
  }
  return {length, duration};
}

const round1 = (v) => Math.round(v * 10) / 10;

// Strokes [{x, y}] -> [[dx, dy, eos], ...], the first row a zero step, as in the data.
function asRows(strokes) {
  const rows = [];
  let px = null, py = null;
  for (const s of strokes) {
    s.forEach((p, i) => {
      const dx = px === null ? 0 : p.x - px, dy = py === null ? 0 : p.y - py;
      rows.push([round1(dx), round1(dy), i === s.length - 1 ? 1 : 0]);
      px = p.x;
      py = p.y;
    });
  }
  return rows;
}

// What was written on the pad (strokes of {x, y, t} in CSS pixels and milliseconds)
// -> [[dx, dy, eos], ...] in tablet units, as the tablet of IAM-OnDB recorded lines:
// scaled to its size (by the height of the writing, and by its width per character
// when the text is known), then sampled at a constant rate in time so that a pen-down
// step is as long as the data's on average: slow parts get more points, as on the
// tablet. The first row is a zero step, as in the data.
export function toSteps(strokes, text, maxPoints) {
  strokes = strokes.filter((s) => s.length > 0);
  if (!strokes.length) return [];
  const scale = padScale(strokes, text);
  const scaled = strokes.map((s) => s.map((p) => ({x: p.x * scale, y: p.y * scale, t: p.t})));
  const {length, duration} = lengthAndDuration(scaled);
  const budget = Math.max(2, (maxPoints || 3000) - 2 * scaled.length);
  const wanted = Math.min(Math.max(length / DATA.step, scaled.length), budget);
  const timed = duration > 0 && scaled.every((s) => s.every((p, i) => i === 0 || p.t >= s[i - 1].t));
  return asRows(scaled.map((s) => timed
    ? resampleInTime(s, wanted / duration)
    : resampleInSpace(s, Math.max(length / wanted, 1e-6))));
}
