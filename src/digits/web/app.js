// The drawing page: pointer strokes on a transparent canvas, debounced predictions,
// probability bars, the 28×28 preview, and uploads by drop or file picker.
"use strict";

const canvas = document.getElementById("pad");
const context = canvas.getContext("2d");
const brush = document.getElementById("brush");
const brushSize = document.getElementById("brush-size");
const state = document.getElementById("state");
const digitText = document.getElementById("digit");
const message = document.getElementById("message");
const preview = document.getElementById("preview");
const previewFigure = document.getElementById("preview-figure");
const bars = document.getElementById("bars");
const drop = document.getElementById("drop");
const fileInput = document.getElementById("file");

const UNSURE_BELOW = 0.6;
const DEBOUNCE_MS = 150;
let strokes = [];
let current = null;
let timer = null;
let sequence = 0;

for (let digit = 0; digit < 10; digit++) {
  const item = document.createElement("li");
  item.innerHTML = `<span>${digit}</span><div class="bar" role="progressbar" aria-label="digit ${digit}"
    aria-valuemin="0" aria-valuemax="100" aria-valuenow="0" data-digit="${digit}"><span></span></div>
    <span class="value">0.0%</span>`;
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

function redraw() {
  context.clearRect(0, 0, canvas.width, canvas.height);
  strokes.forEach(drawStroke);
}

canvas.addEventListener("pointerdown", (event) => {
  event.preventDefault();
  canvas.setPointerCapture(event.pointerId);
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
document.addEventListener("keydown", (event) => {
  if ((event.ctrlKey || event.metaKey) && event.key === "z") { event.preventDefault(); undo(); }
  if (event.key === "Escape") clear();
});

function undo() {
  strokes.pop();
  redraw();
  schedule(0);
}

function clear() {
  strokes = [];
  redraw();
  schedule(0);
}

function schedule(delay) {
  clearTimeout(timer);
  timer = setTimeout(predictCanvas, delay);
}

function predictCanvas() {
  if (!strokes.length) {
    sequence++;
    showEmpty("No digit yet: draw one.");
    return;
  }
  canvas.toBlob((blob) => send(blob, "canvas.png"), "image/png");
}

async function send(blob, name) {
  const mine = ++sequence;
  const form = new FormData();
  form.append("image", blob, name);
  let result;
  let ok = false;
  try {
    const response = await fetch("/api/predict?preview=1", { method: "POST", body: form });
    ok = response.ok;
    result = await response.json();
  } catch (error) {
    result = { error: `No answer from the server (${error.message}).` };
  }
  if (mine !== sequence) return; // a newer request has been sent since
  if (!ok || result.error) showError(result.error || "The server refused the image.");
  else if (result.digit === null) showEmpty(`No digit: ${result.reason}.`);
  else show(result);
}

function setBars(probabilities) {
  const top = probabilities.indexOf(Math.max(...probabilities));
  bars.querySelectorAll("li").forEach((item, digit) => {
    const percent = 100 * (probabilities[digit] || 0);
    item.classList.toggle("top", probabilities.length > 0 && digit === top);
    item.querySelector(".bar span").style.width = `${percent}%`;
    item.querySelector(".bar").setAttribute("aria-valuenow", percent.toFixed(1));
    item.querySelector(".value").textContent = `${percent.toFixed(1)}%`;
  });
}

function show(result) {
  const unsure = result.confidence < UNSURE_BELOW;
  state.dataset.state = unsure ? "unsure" : "digit";
  digitText.textContent = String(result.digit);
  message.textContent = `${(100 * result.confidence).toFixed(1)}% sure` + (unsure ? ": unsure, try writing it larger or clearer" : "");
  setBars(result.probabilities);
  if (result.preview) { preview.src = result.preview; previewFigure.hidden = false; }
}

function showNoAnswer(kind, symbol, text) {
  state.dataset.state = kind;
  digitText.textContent = symbol;
  message.textContent = text;
  setBars([]);
  previewFigure.hidden = true;
}

const showEmpty = (text) => showNoAnswer("empty", "–", text);
const showError = (text) => showNoAnswer("error", "!", text);

function upload(file) {
  if (!file) return;
  strokes = [];
  redraw();
  send(file, file.name);
}

drop.addEventListener("click", () => fileInput.click());
drop.addEventListener("keydown", (event) => {
  if (event.key === "Enter" || event.key === " ") { event.preventDefault(); fileInput.click(); }
});
fileInput.addEventListener("change", () => upload(fileInput.files[0]));
drop.addEventListener("dragover", (event) => { event.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (event) => {
  event.preventDefault();
  drop.classList.remove("over");
  upload(event.dataTransfer.files[0]);
});
