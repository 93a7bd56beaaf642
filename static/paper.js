// "On pages, in mm": the text written on pages of paper by POST /api/paper (docs/paper.md),
// its progress read from the answer's stream of JSON lines, each page shown as the SVG in
// mm the server made (what a plotter takes), with the PDF of every page to download. It
// uses app.js's helpers: $, state, currentStyle, seedToSend, setStatus, save and
// unknownCharacters.
"use strict";

const sheets = {document: null, urls: []};

function paperChoice() {
  const size = Number($("size").value);
  return {
    paper: $("paper-size").value, landscape: $("landscape").checked,
    margins: $("margins").value.trim() || "20", size: size > 0 ? size : undefined,
    align: $("align").value, lifelike: $("lifelike").checked,
  };
}

// the answer's JSON lines, one by one, as they come
async function* jsonLines(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const {value, done} = await reader.read();
    buffer += decoder.decode(value || new Uint8Array(), {stream: !done});
    let end;
    while ((end = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, end).trim();
      buffer = buffer.slice(end + 1);
      if (line) yield JSON.parse(line);
    }
    if (done) return;
  }
}

function showProgress(done, of) {
  const bar = $("paper-progress");
  bar.hidden = false;
  bar.max = Math.max(of, 1);
  bar.value = done;
  setStatus(`Writing on paper: ${done} of ${of} lines…`);
}

async function writeOnPaper() {
  let body;
  try {
    const text = $("text").value;
    if (!text.trim()) throw new Error("type something to write");
    const unknown = unknownCharacters(text.replace(/\s/g, " "));
    if (unknown.length) throw new Error(`the model cannot write ${unknown.join(" ")}`);
    const limit = state.health.limits.max_paper_length;
    if (text.length > limit) throw new Error(`at most ${limit} characters on paper`);
    body = {text, bias: Number($("bias").value), seed: seedToSend(), ...currentStyle(),
      ...paperChoice()};
  } catch (err) {
    setStatus(err.message, true);
    return;
  }
  $("write").disabled = true;
  $("sheets").dataset.state = "waiting";
  showProgress(0, 1);
  setStatus("Writing on paper…");
  const started = performance.now();
  try {
    const response = await fetch("/api/paper", {
      method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body),
    });
    if (!response.ok) {
      const answer = await response.json().catch(() => null);
      throw new Error(answer && typeof answer.detail === "string" ? answer.detail
        : `the server answered ${response.status}`);
    }
    for await (const event of jsonLines(response)) {
      if (event.error) throw new Error(event.error);
      if (event.progress) showProgress(event.progress.lines, event.progress.of);
      if (event.document) {
        showSheets(event.document);
        const seconds = ((performance.now() - started) / 1000).toFixed(1);
        const pages = event.document.pages.length;
        setStatus(`Written on ${pages} page${pages > 1 ? "s" : ""} in ${seconds} s.`);
      }
    }
  } catch (err) {
    $("sheets").dataset.state = sheets.document ? "done" : "empty";
    setStatus(err.message, true);
  } finally {
    $("write").disabled = false;
    $("paper-progress").hidden = true;
  }
}

function showSheets(doc) {
  sheets.document = doc;
  for (const url of sheets.urls) URL.revokeObjectURL(url);
  sheets.urls = [];
  const box = $("sheets");
  box.replaceChildren();
  doc.pages.forEach((page, k) => {
    const figure = document.createElement("figure");
    const img = document.createElement("img");
    const url = URL.createObjectURL(new Blob([page.svg], {type: "image/svg+xml"}));
    sheets.urls.push(url);
    img.src = url;
    img.alt = `Page ${k + 1}: ${page.lines.join(" ")}`;
    const caption = document.createElement("figcaption");
    const label = document.createElement("span");
    label.textContent = `Page ${k + 1} of ${doc.pages.length}`;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "page-svg";
    button.textContent = "SVG (mm)";
    button.addEventListener("click", () => save(new Blob([page.svg], {type: "image/svg+xml"}),
      `handwriting-${doc.seed}.page-${k + 1}.svg`));
    caption.append(label, button);
    figure.append(img, caption);
    box.append(figure);
  });
  box.dataset.pages = String(doc.pages.length);
  box.dataset.state = "done";
  $("seed").value = String(doc.seed);
  $("download-pdf").disabled = false;
  showPaperMode();
}

function downloadPdf() {
  const bytes = Uint8Array.from(atob(sheets.document.pdf), (c) => c.charCodeAt(0));
  save(new Blob([bytes], {type: "application/pdf"}), `handwriting-${sheets.document.seed}.pdf`);
}

// on paper, a text's limit is the paper's (a few pages), not the screen's few lines
function updatePaperHint() {
  if (!$("on-paper").checked || state.mode !== "write" || !state.health) return;
  const text = $("text").value;
  if (unknownCharacters(text.replace(/\s/g, " ")).length) return; // app.js's hint stands
  const hint = $("text-hint");
  const limit = state.health.limits.max_paper_length;
  hint.classList.toggle("error", text.length > limit);
  hint.textContent = text.length > limit
    ? `The text has ${text.length} characters; at most ${limit} on paper.`
    : `${text.length} of ${limit} characters, on pages, each line filled to its width.`;
}

// the pages in place of the canvas, and their buttons in place of the canvas's, while
// "on pages" is ticked in the text mode
function showPaperMode() {
  const on = state.mode === "write" && $("on-paper").checked;
  $("paper-options").hidden = !on;
  $("paper").hidden = on;
  $("sheets").hidden = !on;
  $("download-pdf").hidden = !on;
  for (const id of ["replay", "download-svg", "download-png"]) $(id).hidden = on;
  $("result-info").hidden = on;
  $("readings").hidden = on;
  updateTextHint();
  updatePaperHint();
}

$("on-paper").addEventListener("change", showPaperMode);
$("text").addEventListener("input", updatePaperHint);
$("mode-write").addEventListener("click", showPaperMode);
$("mode-free").addEventListener("click", showPaperMode);
$("download-pdf").addEventListener("click", downloadPdf);
window.writeRnn.sheets = sheets;
