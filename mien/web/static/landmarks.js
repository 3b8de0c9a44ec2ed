// Landmarks on mien's page (the switch): each face's mesh drawn over the photo, and its head pose and
// measures beside its bars. Uses app.js's element(); app.js calls loadMesh() as it connects.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
let mesh = { points: 0, contours: {} }; // /api/mesh: the outlines to draw through each face's points

async function loadMesh() {
  mesh = await (await fetch("/api/mesh")).json();
}

// Each face's mesh outlines, drawn in the photo's pixels on an SVG stretched over it like the boxes.
function drawMeshes(container, result) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("class", "meshes");
  svg.setAttribute("viewBox", `0 0 ${result.width} ${result.height}`);
  svg.setAttribute("preserveAspectRatio", "none");
  result.faces.forEach((face, index) => {
    if (!face.geometry || !face.geometry.points) return;
    const path = document.createElementNS(SVG, "path");
    path.setAttribute("d", meshPath(face.geometry.points));
    path.dataset.face = index;
    svg.append(path);
  });
  if (svg.childElementCount) container.prepend(svg); // under the boxes, which take the clicks
}

const meshPath = (points) => Object.values(mesh.contours)
  .map((run) => run.map((i, k) => `${k ? "L" : "M"}${points[i][0]} ${points[i][1]}`).join(""))
  .join("");

const signedDegrees = (value) => {
  const rounded = Math.round(value) || 0; // no "-0"
  return `${rounded > 0 ? "+" : ""}${rounded}°`;
};
const measureText = (value) => (Number(value.toFixed(3)) || 0).toFixed(3); // no "-0.000"

// What the mesh says about a face: its pose and measures, or why it has no mesh.
function geometryBlock(geometry) {
  const block = element("div", "geometry");
  if (geometry.refused) {
    block.append(element("p", "note", `No mesh: ${geometry.refused}`));
    return block;
  }
  const { yaw, pitch, roll } = geometry.pose;
  const pose = `Pose: yaw ${signedDegrees(yaw)}, pitch ${signedDegrees(pitch)}, roll ${signedDegrees(roll)}`;
  block.append(element("p", "pose", pose));
  if (geometry.pose_warning) block.append(element("p", "note", geometry.pose_warning));
  const measures = element("dl", "measures");
  measures.title = "in inter-ocular distances";
  Object.entries(geometry.measures).forEach(([name, value]) =>
    measures.append(element("dt", "", name.replaceAll("_", " ")), element("dd", "", measureText(value))));
  block.append(measures);
  return block;
}
