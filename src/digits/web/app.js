// The drawing page: pointer strokes on a transparent canvas, debounced predictions, probability
// meters, what the model saw, a number mode, and uploads by file picker or drop on the page.
//
// Every answer carries `message`, the server's plain words for it (server.py's plain_message);
// the page shows it as is. Only failures without an answer (HTTP errors, no server) are worded
// here, in failureMessage.
"use strict";

const canvas = document.getElementById("pad");
const context = canvas.getContext("2d");
const padSection = document.getElementById("pad-section");
const brush = document.getElementById("brush");
const brushSize = document.getElementById("brush-size");
const numberMode = document.getElementById("number-mode");
const state = document.getElementById("state");
const digitText = document.getElementById("digit");
const message = document.getElementById("message");
const preview = document.getElementById("preview");
const previewFigure = document.getElementById("preview-figure");
const parts = document.getElementById("parts");
const bars = document.getElementById("bars");
const fileInput = document.getElementById("file");
const modelChoice = document.getElementById("model");
const correction = document.getElementById("correction");
const correctLabel = document.getElementById("correct-label");
const writerInput = document.getElementById("writer");
const correctionStatus = document.getElementById("correction-status");

const DEBOUNCE_MS = 150;
const SIZES = { digit: [280, 280], number: [560, 280] };  // canvas pixels, width × height
const EMPTY_MESSAGE = "No digit yet: draw one, or choose an image.";
let strokes = [];
let current = null;
let uploaded = null;  // {file, bitmap}: an image chosen or dropped, shown on the canvas until drawing starts
let timer = null;
// Taken when an answer is asked for; an answer that comes back for an older one is dropped.
let sequence = 0;
// The image behind the answer shown: {blob, name}; a correction sends it back with the right label.
let answered = null;

for (let digit = 0; digit < 10; digit++) {
  const item = document.createElement("li");
  item.innerHTML = `<label for="meter-${digit}">${digit}</label>
    <meter id="meter-${digit}" min="0" max="1" value="0"></meter>
    <span class="value" aria-hidden="true">0.0%</span>`;
  bars.appendChild(item);
}

function point(event) {
  const box = canvas.getBoundingClientRect();
  return [(event.clientX - box.left) * canvas.width / box.width, (event.clientY - box.top) * canvas.height / box.height];
}

function drawStroke(stroke) {
  context.lineCap = "round";
  context.lineJoin = "round";
  context.strokeStyle = "#000";
  context.fillStyle = "#000";
  context.lineWidth = stroke.size;
  const [first, ...rest] = stroke.points;
  context.beginPath();
  if (!rest.length) {
    context.arc(first[0], first[1], stroke.size / 2, 0, 2 * Math.PI);
    context.fill();
    return;
  }
  context.moveTo(...first);
  for (const next of rest) context.lineTo(...next);
  context.stroke();
}

function drawUploaded({ bitmap }) {
  if (!bitmap) return;  // a format the browser cannot show (TIFF): the server still reads it
  const scale = Math.min(canvas.width / bitmap.width, canvas.height / bitmap.height);
  const [width, height] = [bitmap.width * scale, bitmap.height * scale];
  context.drawImage(bitmap, (canvas.width - width) / 2, (canvas.height - height) / 2, width, height);
}

function redraw() {
  context.clearRect(0, 0, canvas.width, canvas.height);
  if (uploaded) drawUploaded(uploaded);
  strokes.forEach(drawStroke);
}

canvas.addEventListener("pointerdown", (event) => {
  event.preventDefault();
  canvas.setPointerCapture(event.pointerId);
  uploaded = null;  // drawing starts a new digit over a shown upload
  current = { size: Number(brush.value), points: [point(event)] };
  strokes.push(current);
  redraw();
});
canvas.addEventListener("pointermove", (event) => {
  if (!current) return;
  current.points.push(point(event));
  redraw();
  schedule(DEBOUNCE_MS);
});
for (const name of ["pointerup", "pointercancel"]) {
  canvas.addEventListener(name, () => {
    if (!current) return;
    current = null;
    schedule(0);
  });
}

brush.addEventListener("input", () => { brushSize.value = brush.value; });
document.getElementById("undo").addEventListener("click", undo);
document.getElementById("clear").addEventListener("click", clear);
document.getElementById("choose").addEventListener("click", () => fileInput.click());
document.addEventListener("keydown", (event) => {
  if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "z") { event.preventDefault(); undo(); }
  if (event.key === "Escape") clear();
});

numberMode.addEventListener("change", () => {
  const [width, height] = SIZES[numberMode.checked ? "number" : "digit"];
  canvas.width = width;  // resizing wipes the canvas; the strokes are drawn again
  canvas.height = height;
  canvas.classList.toggle("wide", numberMode.checked);
  bars.hidden = numberMode.checked;
  redraw();
  if (strokes.length || uploaded) predictNow();
});

function undo() {
  if (uploaded && !strokes.length) uploaded = null;
  strokes.pop();
  redraw();
  predictNow();  // at once: undoing the last stroke must not leave its answer showing
}

function clear() {
  strokes = [];
  uploaded = null;
  redraw();
  predictNow();
}

function schedule(delay) {
  clearTimeout(timer);
  timer = setTimeout(predictNow, delay);
}

function predictNow() {
  clearTimeout(timer);
  const mine = ++sequence;
  if (uploaded) {
    send(uploaded.file, uploaded.file.name, mine);
  } else if (!strokes.length) {
    showEmpty();
  } else {
    setBusy(true);
    canvas.toBlob((blob) => { if (mine === sequence) send(blob, "canvas.png", mine); }, "image/png");
  }
}

async function send(blob, name, mine) {
  setBusy(true);
  const form = new FormData();
  form.append("image", blob, name);
  const query = (numberMode.checked ? "?number=1&preview=1" : "?preview=1") + modelQuery("&");
  let result;
  try {
    const response = await fetch("/api/predict" + query, { method: "POST", body: form });
    result = await readAnswer(response);
  } catch (error) {
    result = { failure: "No answer from the server: is digits serve still running? Try again." };
  }
  if (mine !== sequence) return;  // the drawing changed, or another image came, since this was asked
  setBusy(false);
  answered = result.failure ? null : { blob, name };
  if (result.failure) showError(result.failure, result.detail);
  else if ("digits" in result) showNumber(result);
  else if (result.digit === null) showNone(result);
  else showDigit(result);
}

async function readAnswer(response) {
  const text = await response.text();
  let body = null;
  try { body = JSON.parse(text); } catch { body = null; }  // a proxy's or a crash's HTML or text page
  if (response.ok && body && !body.error) return body;
  const detail = body && typeof body.error === "string" ? body.error : "";
  return { failure: failureMessage(response.status, detail), detail };
}

function failureMessage(status, detail) {
  if (status === 413) return "That image is too large: choose a smaller one (under 5 MB).";
  if (status === 415) return "That file is not an image digits can read: choose a PNG, JPEG, BMP, GIF, WebP or TIFF.";
  if (status === 400) return "That image cannot be read: it may be damaged. Try another.";
  if (status === 503) return "The server is busy: try again in a moment.";
  if (status >= 500 || !detail) return "The server failed on this image: try again. If it keeps failing, its log says why.";
  return detail;
}

function setBusy(busy) {
  state.setAttribute("aria-busy", String(busy));
  state.dataset.busy = String(busy);
}

function setBars(probabilities) {
  const top = probabilities.length ? probabilities.indexOf(Math.max(...probabilities)) : -1;
  bars.querySelectorAll("li").forEach((item, digit) => {
    const value = probabilities[digit] || 0;
    item.classList.toggle("top", digit === top);
    item.querySelector("meter").value = value;
    item.querySelector(".value").textContent = `${(100 * value).toFixed(1)}%`;
  });
}

function setPreview(result) {
  previewFigure.hidden = !result.preview;
  if (result.preview) preview.src = result.preview;
}

function setParts(digits) {
  parts.replaceChildren(...(digits || []).map((part) => {
    const item = document.createElement("li");
    item.textContent = part.digit === null ? "? not a digit" : `${part.digit} · ${(100 * part.confidence).toFixed(0)}%`;
    item.classList.toggle("bad", part.digit === null);
    return item;
  }));
  parts.hidden = !numberMode.checked || !parts.children.length;
}

function showAnswer(kind, symbol, text, result = {}) {
  state.dataset.state = kind;
  // "That's wrong" is offered for one digit's answer (a number's digits are not corrected one by one).
  correction.hidden = numberMode.checked || !["digit", "unsure", "none"].includes(kind);
  correctLabel.value = "";
  correctionStatus.textContent = "";
  digitText.textContent = symbol;
  message.textContent = text;
  message.title = "";
  setBars(result.probabilities && kind !== "none" ? result.probabilities : []);
  setParts(result.digits);
  setPreview(result);
}

const showEmpty = () => { setBusy(false); showAnswer("empty", "–", EMPTY_MESSAGE); };
const showDigit = (result) => showAnswer(result.low_confidence ? "unsure" : "digit", String(result.digit), result.message, result);
const showNone = (result) => showAnswer("none", "–", result.message, result);
const showNumber = (result) => showAnswer(result.number === null ? "none" : (result.low_confidence ? "unsure" : "digit"),
                                          result.number ?? "–", result.message, result);

function showError(text, detail) {
  showAnswer("error", "!", text);
  message.title = detail || "";
}

async function upload(file) {
  fileInput.value = "";  // so that choosing the same file again is a change too
  if (!file) return;
  const mine = ++sequence;
  strokes = [];
  current = null;
  showAnswer("working", "…", "Reading your image…");
  setBusy(true);
  let bitmap = null;
  try { bitmap = await createImageBitmap(file); } catch { bitmap = null; }
  if (mine !== sequence) return;  // cleared, or another image chosen, meanwhile
  uploaded = { file, bitmap };
  redraw();
  predictNow();
}

fileInput.addEventListener("change", () => upload(fileInput.files[0]));
// A file dropped anywhere on the page (the canvas included) is read, never opened by the browser.
document.addEventListener("dragover", (event) => {
  event.preventDefault();
  padSection.classList.add("over");
});
document.addEventListener("dragleave", (event) => {
  if (!event.relatedTarget) padSection.classList.remove("over");
});
document.addEventListener("drop", (event) => {
  event.preventDefault();
  padSection.classList.remove("over");
  upload(event.dataTransfer && event.dataTransfer.files[0]);
});

// Models: the served one first; a personal model (`digits tune`) can be chosen when the server has one.
function modelQuery(separator) {
  return modelChoice.value && !modelChoice.options[modelChoice.selectedIndex].dataset.served
    ? `${separator}model=${encodeURIComponent(modelChoice.value)}` : "";
}

async function loadModels() {
  let models = [];
  try {
    const response = await fetch("/api/models");
    if (response.ok) models = await response.json();
  } catch { models = []; }
  modelChoice.replaceChildren(...models.map((model) => {
    const option = document.createElement("option");
    option.value = model.name;
    option.textContent = model.personal ? `${model.name} (personal)` : model.name;
    if (model.served) option.dataset.served = "true";
    return option;
  }));
  modelChoice.closest("label").hidden = models.length < 2;
}

modelChoice.addEventListener("change", () => { if (strokes.length || uploaded) predictNow(); });
loadModels();

// Corrections: the image just answered, what it really is, and optionally whose handwriting it is.
writerInput.value = localStorage.getItem("digits-writer") || "";
correction.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!answered || !correctLabel.value) {
    correctionStatus.dataset.kind = "error";
    correctionStatus.textContent = "Choose what it really is first.";
    correctLabel.focus();
    return;
  }
  const form = new FormData();
  form.append("image", answered.blob, answered.name);
  form.append("label", correctLabel.value);
  form.append("source", "page");
  const writer = writerInput.value.trim();
  if (writer) form.append("writer", writer);
  localStorage.setItem("digits-writer", writer);
  correctionStatus.dataset.kind = "working";
  correctionStatus.textContent = "Saving…";
  let result;
  try {
    const response = await fetch("/api/corrections" + modelQuery("?"), { method: "POST", body: form });
    result = await readAnswer(response);
  } catch {
    result = { failure: "No answer from the server: is digits serve still running? Try again." };
  }
  correctionStatus.dataset.kind = result.failure ? "error" : "saved";
  correctionStatus.textContent = result.failure ? (result.detail || result.failure) : result.message;
});
