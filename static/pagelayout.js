// A page of written lines as the server's pictures show it (drawing.page_as_drawn): each
// line smoothed and levelled, then the lines laid on evenly spaced baselines. A page that
// writes in the browser lays its lines out with this, so that it looks as the server's.
// Rows are [dx, dy, eos] in tablet units (y down); the sums are float64, as numpy's.

const SMOOTHING_WINDOW = 7; // cleaning.SMOOTHING_WINDOW: points of the cubic's window
const LINE_GAP = 1.2; // drawing.LINE_GAP: line height over the tallest ascender and descender

// ---------------------------------------------------------------- numbers as numpy has them

// numpy's astype(np.float32), which as_drawn and join_lines end with.
function float32Rows(rows) {
  return rows.map((row) => row.map(Math.fround));
}

// Running sums of the rows' dx and dy from the first row: cleaning.positions.
function positions(rows) {
  let x = 0, y = 0;
  return rows.map(([dx, dy]) => [(x += dx), (y += dy)]);
}

// Linear interpolation from a to b as numpy's _lerp does it (from b when t >= 0.5).
function lerp(a, b, t) {
  return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
}

// np.percentile(values, q), method "linear".
function percentile(values, q) {
  const sorted = Float64Array.from(values).sort();
  const at = (sorted.length - 1) * (q / 100);
  if (at >= sorted.length - 1) return sorted[sorted.length - 1];
  const below = Math.floor(at);
  return lerp(sorted[below], sorted[below + 1], at - below);
}

// np.median(values): the middle value, or the mean of the middle two.
function median(values) {
  const sorted = Float64Array.from(values).sort();
  const half = sorted.length >> 1;
  return sorted.length % 2 ? sorted[half] : (sorted[half - 1] + sorted[half]) / 2;
}

// Point indices of each stroke, split after each eos: cleaning.stroke_indices.
function strokeIndices(rows) {
  const strokes = [];
  let current = [];
  rows.forEach(([, , eos], i) => {
    current.push(i);
    if (eos > 0.5) {
      strokes.push(current);
      current = [];
    }
  });
  if (current.length) strokes.push(current);
  return strokes;
}

// ---------------------------------------------------------------- one line as drawn

// The Savitzky-Golay weights of a cubic through `window` points, for its middle point:
// cleaning.savitzky_golay_weights(window), in the closed form of Savitzky and Golay (1964).
function savitzkyGolayWeights(window) {
  const m = window >> 1;
  const norm = (2 * m - 1) * (2 * m + 1) * (2 * m + 3);
  return Array.from({length: window}, (_, j) =>
    (3 * (3 * m * m + 3 * m - 1) - 15 * (j - m) ** 2) / norm);
}

// Each stroke smoothed by the cubic through the `window` points around each point, the
// points near a stroke's ends and strokes shorter than the window kept: cleaning.smooth.
function smooth(line, window = SMOOTHING_WINDOW) {
  const out = line.map((row) => [...row]);
  const half = window >> 1;
  if (window <= 3 || out.length <= 2 * half) return out;
  const xy = positions(out);
  const stroke = [0]; // each point's stroke: the eos before it
  for (let i = 1; i < out.length; i++) stroke.push(stroke[i - 1] + (out[i - 1][2] > 0.5));
  const weights = savitzkyGolayWeights(2 * half + 1);
  const fitted = xy.slice(half, -half).map((point, i) => {
    if (stroke[i] !== stroke[i + 2 * half]) return point; // the window spans a pen lift
    return [0, 1].map((axis) =>
      weights.reduce((sum, w, j) => sum + w * xy[i + j][axis], 0));
  });
  xy.splice(half, fitted.length, ...fitted);
  for (let i = 1; i < out.length; i++) {
    out[i][0] = xy[i][0] - xy[i - 1][0];
    out[i][1] = xy[i][1] - xy[i - 1][1];
  }
  return out;
}

// The slope dy/dx of the least-squares line through points xy, within -1 to 1; 0 for
// points that do not spread along x: cleaning.baseline_slope.
function baselineSlope(xy) {
  const mean = (axis) => xy.reduce((sum, p) => sum + p[axis], 0) / xy.length;
  const mx = mean(0), my = mean(1);
  let spread = 0, cross = 0;
  for (const [x, y] of xy) {
    spread += (x - mx) * (x - mx);
    cross += (x - mx) * (y - my);
  }
  return spread > 0 ? Math.min(Math.max(cross / spread, -1), 1) : 0;
}

// The line turned about its first point so that the least-squares line through its
// points is horizontal: cleaning.level with cleaning.tilt(line, 0).
function level(line) {
  const out = line.map((row) => [...row]);
  if (out.length < 2) return out;
  const angle = Math.atan2(baselineSlope(positions(out)), 1);
  const cos = Math.cos(angle), sin = Math.sin(angle);
  for (const row of out.slice(1)) {
    const [dx, dy] = row;
    row[0] = dx * cos + dy * sin;
    row[1] = dy * cos - dx * sin;
  }
  return out;
}

// A line as the pictures draw it, smoothed and levelled: drawing.as_drawn.
export function asDrawn(line) {
  return float32Rows(level(smooth(line)));
}

// ---------------------------------------------------------------- lines on a page

// Indices where y turns from going down to going up (down: a low point, y down the
// page) or the other way round, a flat stretch counted once: drawing._turns.
function turns(y, down) {
  const found = [];
  for (let i = 1; i < y.length - 1; i++) {
    const turn = down ? y[i] >= y[i - 1] && y[i] > y[i + 1]
      : y[i] <= y[i - 1] && y[i] < y[i + 1];
    if (turn) found.push(i);
  }
  return found;
}

// Where a line sits, from where its pen starts: [baseline, bodyTop, top, bottom], the
// medians of its strokes' low and high points beyond its median height, and the 2nd
// and 98th percentiles of y: drawing.line_guides.
export function lineGuides(line) {
  const y = positions(line).map(([, py]) => py);
  const middle = median(y);
  const lows = [], highs = [];
  for (const idx of strokeIndices(line)) {
    const stroke = idx.map((i) => y[i]);
    lows.push(...turns(stroke, true).map((i) => stroke[i]).filter((v) => v > middle));
    highs.push(...turns(stroke, false).map((i) => stroke[i]).filter((v) => v < middle));
  }
  const baseline = lows.length ? median(lows) : percentile(y, 80);
  const bodyTop = highs.length ? median(highs) : percentile(y, 20);
  return [baseline, bodyTop, percentile(y, 2), percentile(y, 98)];
}

// The default line height: room for the tallest ascender above a baseline and the
// longest descender below it, and a gap (join_lines' line_height=None).
function defaultLineHeight(known) {
  const ascent = Math.max(...known.map(([baseline, , top]) => baseline - top));
  const descent = Math.max(...known.map(([baseline, , , bottom]) => bottom - baseline));
  return LINE_GAP * Math.max(ascent + descent, 0);
}

// Lines -> one page of rows: each line starting at the left on its own baseline,
// lineHeight below the last one's (an empty line leaves its place blank), the pen
// lifted at the end of every line: drawing.join_lines.
export function joinLines(lines, lineHeight = null) {
  const guides = lines.map((line) => (line.length ? lineGuides(line) : null));
  const known = guides.filter((g) => g !== null);
  if (!known.length) return [];
  const height = lineHeight ?? defaultLineHeight(known);
  const first = guides.findIndex((g) => g !== null);
  const page = [];
  let endX = 0, endY = 0; // where the pen is at the end of the page so far
  lines.forEach((line, i) => {
    if (guides[i] === null) return;
    const rows = line.map((row) => [...row]);
    rows[rows.length - 1][2] = 1;
    // from the end of the last line to where this line's baseline belongs
    rows[0][0] += 0 - endX;
    rows[0][1] += (i - first) * height + known[0][0] - guides[i][0] - endY;
    let sumX = 0, sumY = 0;
    for (const [dx, dy] of rows) {
      sumX += dx;
      sumY += dy;
    }
    endX += sumX;
    endY += sumY;
    page.push(...rows);
  });
  return float32Rows(page);
}

// A page of written lines as its pictures show it: drawing.page_as_drawn.
export function pageAsDrawn(lines) {
  return joinLines(lines.map(asDrawn));
}
