// mien's page: photos, explanations, videos and the live camera over the HTTP API (/openapi.json).
"use strict";

const $ = (id) => document.getElementById(id);
const DEFAULT_METHODS = ["saliency", "occlusion", "xrai"]; // fast and sharp on mien's models
const CAMERA_WIDTH = 480; // frames are sent at most this wide: faster, and plenty for a webcam face
const CAMERA_REQUESTS = 2; // in flight at once, so the network and the model overlap
let server = { model: "", models: [], classes: [], methods: [] };
let serverReady = Promise.resolve(); // becomes connect(): what /healthz and /api/mesh said, before any use

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

async function postFile(url, blob, name, fields = {}) {
  const form = new FormData();
  form.append("file", blob, name);
  for (const [key, value] of Object.entries(fields)) form.append(key, value);
  const response = await fetch(url, { method: "POST", body: form });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.detail || `the server answered ${response.status}`);
  return body;
}

const percent = (value) => `${(100 * value).toFixed(0)}%`;
// The model chosen on the page, as a form field; none until /healthz answered (the server's default).
const modelField = () => ($("model-select").value ? { model: $("model-select").value } : {});
// What a photo or video request sends: the model, and landmarks when the switch is on (they cost time).
const requestFields = () => ({ ...modelField(), ...($("landmarks-switch").checked ? { landmarks: true } : {}) });

function faceBoxes(container, result, onClick) {
  container.replaceChildren();
  result.faces.forEach((face, index) => {
    const [x, y, w, h] = face.box;
    const box = element("div", "face-box");
    box.dataset.face = index;
    Object.assign(box.style, {
      left: `${(100 * x) / result.width}%`, top: `${(100 * y) / result.height}%`,
      width: `${(100 * w) / result.width}%`, height: `${(100 * h) / result.height}%`,
    });
    box.append(element("span", "face-label", `${face.label} ${percent(face.scores[face.label])}`));
    if (onClick) box.addEventListener("click", () => onClick(index));
    container.append(box);
  });
}

// ---- Photo ----------------------------------------------------------------------------------
const photo = { file: null, result: null };

async function showPhoto(file) {
  await serverReady;
  photo.file = file;
  $("photo-error").textContent = "";
  $("photo-summary").textContent = "Looking for faces…";
  $("explain-panel").hidden = true;
  $("face-list").replaceChildren();
  $("photo-boxes").replaceChildren();
  try {
    photo.result = await postFile("/api/predict", file, file.name, requestFields());
  } catch (err) {
    $("photo-summary").textContent = "";
    $("photo-stage").hidden = true;
    $("photo-error").textContent = err.message;
    return;
  }
  const url = URL.createObjectURL(file);
  $("photo-image").src = url;
  $("photo-stage").hidden = false;
  const count = photo.result.faces.length;
  const model = `model ${photo.result.model}`;
  $("photo-summary").textContent = count ? `${count} face${count > 1 ? "s" : ""} (${model}): click one to see why.`
    : `No face found in this photo (${model}).`;
  faceBoxes($("photo-boxes"), photo.result, explainFace);
  drawMeshes($("photo-boxes"), photo.result);
  photo.result.faces.forEach((face, index) => $("face-list").append(faceCard(face, index)));
}

function faceCard(face, index) {
  const card = element("div", "face-card");
  card.dataset.face = index;
  const extra = face.compound ? ` (with ${face.compound[1]})` : "";
  card.append(element("strong", "", `Face ${index + 1}: ${face.label}${extra}`));
  const bars = element("div", "bars");
  const ranked = Object.entries(face.scores).sort((a, b) => b[1] - a[1]);
  ranked.forEach(([name, p], rank) => {
    const bar = element("div", rank === 0 ? "bar top" : "bar");
    const track = element("div", "track");
    const fill = element("div", "fill");
    fill.style.width = percent(p);
    track.append(fill);
    bar.append(element("span", "", name), track, element("span", "", percent(p)));
    bars.append(bar);
  });
  const body = element("div", "card-body");
  body.append(bars);
  if (face.geometry) body.append(geometryBlock(face.geometry));
  card.append(body);
  card.addEventListener("click", () => explainFace(index));
  return card;
}

async function explainFace(index) {
  await serverReady;
  document.querySelectorAll(".face-box, .face-card").forEach((node) =>
    node.classList.toggle("selected", Number(node.dataset.face) === index));
  const face = photo.result.faces[index];
  photo.face = index;
  $("explain-title").textContent = `Face ${index + 1}: why ${face.label}?`;
  const target = $("explain-target");
  // The classes of the model that answered, in its order: its scores name every one.
  target.replaceChildren(...Object.keys(face.scores).map((name) => element("option", "", name)));
  target.value = face.label;
  $("explain-maps").replaceChildren();
  $("explain-panel").hidden = false;
  DEFAULT_METHODS.filter((m) => server.methods.includes(m)).forEach((m) => addMap(m));
}

// The explanation sits above the list of faces, which scrolls on its own beside the photo: once the
// panel has its size (each map keeps its place while it is computed), bring the chosen face's card
// into the list's view.
function showChosenCard() {
  const card = document.querySelector(`.face-card[data-face="${photo.face}"]`);
  if (card) card.scrollIntoView({ block: "nearest" });
}

async function addMap(method) {
  const figure = element("figure");
  const space = element("div", "map-space");
  const caption = element("figcaption", "", `${method}: computing…`);
  figure.append(space, caption);
  $("explain-maps").append(figure);
  showChosenCard();
  try {
    const fields = { face: photo.face, method, target: $("explain-target").value, model: photo.result.model };
    const result = await postFile("/api/explain", photo.file, photo.file.name, fields);
    const image = element("img");
    image.src = result.image;
    image.alt = `${method} map`;
    space.replaceWith(image);
    caption.textContent = `${method}: ${result.target} (${percent(result.score)})`;
    figure.title = `${caption.textContent}, model ${result.model}`;
  } catch (err) {
    space.remove();
    caption.textContent = `${method}: ${err.message}`;
    caption.className = "error";
  }
}

// ---- Video ----------------------------------------------------------------------------------
async function processVideo(file) {
  $("video-error").textContent = "";
  $("video-results").hidden = true;
  $("video-status").textContent = "Processing… this takes about as long as the video plays.";
  try {
    const result = await postFile("/api/video", file, file.name, requestFields());
    $("video-result").src = result.files.annotated;
    $("video-timeline").src = result.files.timeline;
    $("video-csv").href = result.files.faces;
    $("video-tracks").replaceChildren(...result.tracks.map((t) => element("li", "",
      `Track ${t.track}: ${t.frames} frames, ${t.start.toFixed(1)}–${t.end.toFixed(1)} s, mostly ${t.dominant}`)));
    $("video-status").textContent = `${result.frames} frames, ${result.tracks.length} face track(s) (model ${result.model}).`;
    $("video-results").hidden = false;
  } catch (err) {
    $("video-status").textContent = "";
    $("video-error").textContent = err.message;
  }
}

// ---- Camera ---------------------------------------------------------------------------------
const camera = { stream: null, running: false, done: [], lastFrame: -1 };

async function startCamera() {
  $("camera-error").textContent = "";
  try {
    camera.stream = await navigator.mediaDevices.getUserMedia({ video: true, audio: false });
  } catch (err) {
    $("camera-error").textContent = `No camera: ${err.message}`;
    return;
  }
  const video = $("camera-video");
  video.srcObject = camera.stream;
  await video.play();
  camera.running = true;
  camera.done = [];
  camera.lastFrame = -1;
  $("camera-start").disabled = true;
  $("camera-stop").disabled = false;
  for (let i = 0; i < CAMERA_REQUESTS; i++) labelFrames();
}

function stopCamera() {
  camera.running = false;
  if (camera.stream) camera.stream.getTracks().forEach((track) => track.stop());
  $("camera-boxes").replaceChildren();
  $("camera-start").disabled = false;
  $("camera-stop").disabled = true;
  $("camera-fps").textContent = "";
}

function grabFrame(video) {
  const scale = Math.min(1, CAMERA_WIDTH / video.videoWidth);
  const canvas = element("canvas");
  canvas.width = Math.round(video.videoWidth * scale);
  canvas.height = Math.round(video.videoHeight * scale);
  canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
  return new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.85));
}

// Resolves when the camera shows a frame no request has taken yet, so that the rate counts
// distinct frames (it can never beat the camera's own frame rate).
async function newFrame(video) {
  if (!("requestVideoFrameCallback" in video)) return;
  for (;;) {
    const frame = await new Promise((resolve) =>
      video.requestVideoFrameCallback((now, metadata) => resolve(metadata.presentedFrames)));
    if (frame > camera.lastFrame) {
      camera.lastFrame = frame;
      return;
    }
  }
}

async function labelFrames() {
  const video = $("camera-video");
  while (camera.running) {
    try {
      await newFrame(video);
      const result = await postFile("/api/predict", await grabFrame(video), "frame.jpg", modelField());
      if (!camera.running) break;
      faceBoxes($("camera-boxes"), result);
      const now = performance.now();
      camera.done = camera.done.filter((t) => now - t < 2000).concat(now);
      const rate = camera.done.length / Math.min(2, (now - camera.done[0]) / 1000 || 1);
      $("camera-fps").textContent = `${rate.toFixed(1)} frames labelled per second`;
      $("camera-fps").dataset.rate = rate.toFixed(2);
    } catch (err) {
      $("camera-error").textContent = err.message;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

// ---- Wiring ---------------------------------------------------------------------------------
function showPanel(id) {
  document.querySelectorAll(".tab").forEach((tab) => tab.classList.toggle("active", tab.dataset.panel === id));
  document.querySelectorAll(".panel").forEach((panel) => { panel.hidden = panel.id !== id; });
  if (id !== "camera-panel" && camera.running) stopCamera();
}

async function connect() {
  try {
    server = await (await fetch("/healthz")).json();
    await loadMesh();
    $("server-status").textContent = `ready: ${server.models.length} model(s)`;
  } catch (err) {
    $("server-status").textContent = "the server does not answer";
  }
  $("model-select").replaceChildren(...server.models.map((model) => {
    const option = element("option", "", `${model.name} (${model.classes.length} classes)`);
    option.value = model.name;
    option.title = model.summary;
    return option;
  }));
  $("model-select").value = server.model;
  $("explain-methods").replaceChildren(...server.methods.map((method) => {
    const button = element("button", "", method);
    button.addEventListener("click", () => addMap(method));
    return button;
  }));
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll(".tab").forEach((tab) => tab.addEventListener("click", () => showPanel(tab.dataset.panel)));
  $("photo-input").addEventListener("change", (e) => e.target.files[0] && showPhoto(e.target.files[0]));
  $("video-input").addEventListener("change", (e) => e.target.files[0] && processVideo(e.target.files[0]));
  $("model-select").addEventListener("change", () => photo.file && showPhoto(photo.file));
  $("landmarks-switch").addEventListener("change", () => photo.file && showPhoto(photo.file));
  $("explain-target").addEventListener("change", () => {
    $("explain-maps").replaceChildren();
    DEFAULT_METHODS.filter((m) => server.methods.includes(m)).forEach((m) => addMap(m));
  });
  const zone = $("drop-zone");
  zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    if (e.dataTransfer.files[0]) showPhoto(e.dataTransfer.files[0]);
  });
  $("camera-start").addEventListener("click", startCamera);
  $("camera-stop").addEventListener("click", stopCamera);
  serverReady = connect();
});
