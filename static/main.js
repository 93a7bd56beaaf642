// The page of app.py, put together: the form's modes and panels, Write, and what the
// server's health says the page can do. The other modules each do one job for it.

import {server, standIn} from "./api.js";
import {downloadPng, downloadSvg, drawPreview, play, pointsPerSecond, redraw, svgText}
  from "./drawing.js";
import {currentStyle, seedToSend, textToWrite, updateTextHint} from "./form.js";
import {scheduleReading, setupPad} from "./pad.js";
import {inBrowser, siteFacts} from "./inbrowser.js";
import {bindPaper, sheets, writeOnPaper} from "./paper.js";
import {$, pad, reading, requestOrSay, setStatus, state} from "./state.js";
import {absolute, splitStrokes, toSteps} from "./strokes.js";
import {measureText, pageLines} from "./textrules.js";

// ------------------------------------------------------------ the controls

function setMode(mode) {
  state.mode = mode;
  $("mode-write").setAttribute("aria-selected", String(mode === "write"));
  $("mode-free").setAttribute("aria-selected", String(mode === "free"));
  $("write-options").hidden = mode !== "write";
  $("free-options").hidden = mode !== "free";
  showPanels();
}

// the pad's hint and placeholder: what the pad is for in this mode, and who reads it
function describePad() {
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
}

function showPanels() {
  const choice = document.querySelector('input[name="style"]:checked').value;
  const hand = state.mode === "write" ? choice === "hand" : $("carry-on").checked;
  $("hand-panel").hidden = !hand;
  $("pad-text").hidden = state.mode !== "write";
  $("pad-status").hidden = state.mode !== "write";
  describePad();
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
    state.dataStyle = await server.styleLine();
    $("data-text").textContent = `“${state.dataStyle.text}” (${state.dataStyle.line})`;
    drawPreview($("data-preview"), absolute(state.dataStyle.strokes), 90, "#444", 1.25);
  } catch (err) {
    setStatus(err.message, true);
  }
}

// ------------------------------------------------------------ writing

// What Write asks of the server in this mode: the call, its body, and the prime the
// writing carries on from (absolute points); an Error says what is wrong with the form.
function writeRequest() {
  const seed = seedToSend();
  const bias = Number($("bias").value);
  if (state.mode === "write") {
    const text = textToWrite();
    const {problem} = measureText(text);
    if (problem) throw new Error(problem);
    return {call: "write", body: {text, bias, seed, ...currentStyle()}, prime: []};
  }
  const body = {num_points: Number($("points").value), bias, seed};
  let prime = [];
  if ($("carry-on").checked) {
    if (!pad.strokes.length) throw new Error("write something on the pad to carry on from");
    body.prime = toSteps(pad.strokes, "", state.health.limits.max_style_points);
    prime = absolute(body.prime);
  }
  return {call: "sample", body, prime};
}

// The page so far, as a backend that writes in the browser gives it a line at a time:
// the pen starts on the first line and goes on with the others as they come.
function showPart(answer, prime) {
  const start = prime.length ? prime[prime.length - 1] : [0, 0];
  const points = absolute(answer.strokes, start[0], start[1]);
  if (state.result && state.result.pending) {
    Object.assign(state.result, {points, answer});
    redraw(); // laid out again: a new line can change the line height
  } else {
    state.result = {prime, points, seed: answer.seed, answer, pending: true};
    play();
  }
  setStatus(`Writing… ${answer.lines.length} line${answer.lines.length === 1 ? "" : "s"} ` +
    "written.");
}

function showResult(answer, prime, started) {
  const streamed = state.result && state.result.pending;
  const start = prime.length ? prime[prime.length - 1] : [0, 0];
  state.result = Object.assign(streamed ? state.result : {}, {
    prime, points: absolute(answer.strokes, start[0], start[1]), seed: answer.seed,
    answer, pending: false,
  });
  $("seed").value = String(answer.seed);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  // what the text's typography was written as, if the server folded it
  setStatus(`Written in ${seconds} s.` + (answer.note ? ` Its ${answer.note}.` : ""));
  describe(answer);
  for (const id of ["replay", "download-svg", "download-png"]) $(id).disabled = false;
  if (streamed) redraw();
  else play();
}

async function write() {
  if (state.mode === "write" && $("on-paper").checked) return writeOnPaper();
  const request = requestOrSay(writeRequest);
  if (!request) return;
  state.lastRequest = request.body;
  $("write").disabled = true;
  $("paper").dataset.state = "waiting";
  setStatus("Writing…");
  const started = performance.now();
  try {
    const answer = await server[request.call](request.body,
      (part) => showPart(part, request.prime));
    showResult(answer, request.prime, started);
  } catch (err) {
    if (state.result) state.result.pending = false;
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

// ------------------------------------------------------------ starting

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

function bindControls() {
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
  $("download-svg").addEventListener("click", downloadSvg);
  $("download-png").addEventListener("click", downloadPng);
}

// what the server can do, shown: its limits on the controls, and why it cannot write
function showHealth(health) {
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
}

// Where the writing is done, said at the foot of the page: in this browser (a static
// build, export.py --web) or by the server (app.py)
function showBackend(health) {
  const alone = health.backend === "browser";
  $("backend").textContent = !alone ? "Written by the server (app.py)."
    : "Written in this browser: nothing you type or draw leaves it" +
      (health.kernel ? "." : " (without WebAssembly SIMD: slowly).");
  $("api-link").hidden = alone;
  $("mode-free").hidden = !health.free_writing;
  $("paper-choice").hidden = alone;
}

async function init() {
  bindOutputs();
  bindControls();
  bindPaper();
  const site = await siteFacts();
  if (site) standIn(inBrowser(site));
  try {
    state.health = await server.health();
  } catch (err) {
    setStatus(`The server does not answer: ${err.message}`, true);
    return;
  }
  showBackend(state.health);
  showHealth(state.health);
  updateTextHint();
  document.body.dataset.ready = "true";
}

// for the tests and for the curious, from the browser's console
window.writeRnn = {state, pad, reading, toSteps, absolute, splitStrokes, svgText, pageLines,
  measureText, play, redraw, sheets};

init();
