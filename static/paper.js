// "On pages, in mm": the text written on pages of paper by POST /api/paper (docs/paper.md),
// its progress shown as its lines are written, each page shown as the SVG in mm the server
// made (what a plotter takes), with the PDF of every page to download.

import {server} from "./api.js";
import {save} from "./drawing.js";
import {currentStyle, seedToSend, textToWrite, updateTextHint} from "./form.js";
import {$, requestOrSay, setStatus, state} from "./state.js";
import {unknownCharacters} from "./textrules.js";

export const sheets = {document: null, urls: []};

function paperChoice() {
  const size = Number($("size").value);
  return {
    paper: $("paper-size").value, landscape: $("landscape").checked,
    margins: $("margins").value.trim() || "20", size: size > 0 ? size : undefined,
    align: $("align").value, lifelike: $("lifelike").checked,
  };
}

function showProgress(done, of) {
  const bar = $("paper-progress");
  bar.hidden = false;
  bar.max = Math.max(of, 1);
  bar.value = done;
  setStatus(`Writing on paper: ${done} of ${of} lines…`);
}

// the request's body, or an Error that says what is wrong with the form
function paperRequest() {
  const text = textToWrite();
  const limit = state.health.limits.max_paper_length;
  if (text.length > limit) throw new Error(`at most ${limit} characters on paper`);
  return {text, bias: Number($("bias").value), seed: seedToSend(), ...currentStyle(),
    ...paperChoice()};
}

export async function writeOnPaper() {
  const body = requestOrSay(paperRequest);
  if (!body) return;
  $("write").disabled = true;
  $("sheets").dataset.state = "waiting";
  showProgress(0, 1);
  setStatus("Writing on paper…");
  const started = performance.now();
  try {
    for await (const event of server.paper(body)) {
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

// a page as a figure: its SVG, and a button that saves it
function sheetFigure(doc, page, k) {
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
  return figure;
}

function showSheets(doc) {
  sheets.document = doc;
  for (const url of sheets.urls) URL.revokeObjectURL(url);
  sheets.urls = [];
  const box = $("sheets");
  box.replaceChildren();
  doc.pages.forEach((page, k) => box.append(sheetFigure(doc, page, k)));
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
  // the hint of unknown characters (updateTextHint's) stands
  if (unknownCharacters(text.replace(/\s/g, " ")).length) return;
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

// Bound after the form's own listeners, so that the mode is set and the screen's hint
// written before the paper's take their turn.
export function bindPaper() {
  $("on-paper").addEventListener("change", showPaperMode);
  $("text").addEventListener("input", updatePaperHint);
  $("mode-write").addEventListener("click", showPaperMode);
  $("mode-free").addEventListener("click", showPaperMode);
  $("download-pdf").addEventListener("click", downloadPdf);
}
