"""Build the frontal reference face that head pose is measured against (mien/weights/face_mesh_reference.npz).

    .venv/bin/python scripts/face_mesh_reference.py ../shared/rafdb

From the meshes of RAF-DB's training faces (score at least 0.9), each also seen mirrored:
1. which point mirrors which: the mesh of a flipped face, flipped back, matched point to point to the
   mesh of the face (an assignment over the mean distances);
2. the mean face: generalised Procrustes analysis over the faces and their mirror images, so it is
   symmetric; then put in an anatomical frame: x along the outer eye corners (33 -> 263), y up
   towards the forehead, z towards the camera, its midline at x = 0, in inter-ocular distances;
3. the rigid points: the half of the points that move least between faces once aligned (eyelids,
   brows, lips and jaw move with expression, so the pose is fitted without them);
4. pitch zero: the frame is turned about x so that the median pitch of these faces is 0 (web photos
   mostly face the camera), and likewise the median yaw is 0 by the mirroring.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment
from tqdm import tqdm

from mien.catalogue import MESH_REFERENCE_FILE, WEIGHTS
from mien.data.rafdb import rafdb_files
from mien.geometry.mesh import FaceMesh
from mien.geometry.pose import (
    LEFT_EYE_OUTER,
    RIGHT_EYE_OUTER,
    Reference,
    fit_pose,
    similarity_fit,
    to_pose_frame,
)
from mien.types import Box, Face
from mien.vision.io import read_image

CHIN, FOREHEAD = 152, 10
MIN_SCORE = 0.9
RIGID_SHARE = 0.5


def meshes(files: list[Path], mesh: FaceMesh) -> tuple[np.ndarray, np.ndarray]:
    """Pose-frame meshes of the faces and of their mirror images flipped back, both (N, 468, 3)."""
    seen, mirrored = [], []
    for path in tqdm(files, desc="meshes", unit="face"):
        image = read_image(path)
        height, width = image.shape[:2]
        whole = [Face(Box(0, 0, width, height), 1.0)]
        face, flipped = mesh.run(image, whole)[0], mesh.run(image[:, ::-1].copy(), whole)[0]
        if min(face.score, flipped.score) < MIN_SCORE:
            continue
        back = flipped.points.copy()
        back[:, 0] = width - back[:, 0]
        seen.append(to_pose_frame(face.points))
        mirrored.append(to_pose_frame(back))
    return np.stack(seen), np.stack(mirrored)


def mirror_indices(seen: np.ndarray, mirrored: np.ndarray) -> np.ndarray:
    """mirror[i]: the point of a face where the flipped face's point i lands."""
    distances = sum(
        np.linalg.norm(flipped[:, None] - face[None], axis=-1) for face, flipped in zip(seen, mirrored)
    )
    rows, columns = linear_sum_assignment(distances)
    return columns[np.argsort(rows)]


def procrustes_mean(shapes: np.ndarray, rounds: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """The mean shape (centred, unit size) and every shape aligned onto it."""
    mean = shapes[0] - shapes[0].mean(0)
    for _ in range(rounds):
        mean = mean / np.linalg.norm(mean)
        aligned = np.stack([_onto(shape, mean) for shape in shapes])
        mean = aligned.mean(0)
        mean -= mean.mean(0)
    return mean, aligned


def anatomical_frame(mean: np.ndarray, mirror: np.ndarray) -> np.ndarray:
    eyes = mean[LEFT_EYE_OUTER] - mean[RIGHT_EYE_OUTER]
    x = eyes / np.linalg.norm(eyes)
    up = mean[FOREHEAD] - mean[CHIN]
    y = up - (up @ x) * x
    y /= np.linalg.norm(y)
    framed = mean @ np.stack([x, y, np.cross(x, y)]).T
    midline = mirror == np.arange(len(mirror))
    framed -= np.r_[framed[midline, 0].mean(), framed.mean(0)[1:]]
    return framed / np.linalg.norm(eyes)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("rafdb", type=Path)
    parser.add_argument("--limit", type=int, default=4000, help="training faces used (every k-th)")
    parser.add_argument("--out", type=Path, default=WEIGHTS / MESH_REFERENCE_FILE)
    args = parser.parse_args()
    files = [path for path in rafdb_files(args.rafdb) if path.name.startswith("train")]
    files = files[:: max(1, len(files) // args.limit)]
    seen, mirrored = meshes(files, FaceMesh())
    print(f"{len(seen)} faces of {len(files)} meshed with a score of at least {MIN_SCORE}")
    mirror = mirror_indices(seen, mirrored)
    flip = np.array([-1.0, 1.0, 1.0])
    population = np.concatenate([seen, mirrored[:, mirror] * flip])  # each face and its mirror image
    mean, aligned = procrustes_mean(population)
    mean = (mean + _onto(mean[mirror] * flip, mean)) / 2  # symmetric to the last rounding
    spread = np.linalg.norm(aligned - aligned.mean(0), axis=-1).mean(0)
    rigid = spread <= np.quantile(spread, RIGID_SHARE)
    rigid &= rigid[mirror]  # a point and its mirror image together
    points = anatomical_frame(mean, mirror)
    reference = Reference(points, rigid, mirror)
    pitch = np.median(
        [fit_pose(to_pose_frame(shape), reference)[0].pitch for shape in seen]
    )  # frame back to pixels
    angle = -np.radians(pitch)  # turn the reference up by the median pitch (Rx turns it down), so it reads 0
    turn = np.array([[1, 0, 0], [0, np.cos(angle), -np.sin(angle)], [0, np.sin(angle), np.cos(angle)]])
    points = points @ turn.T
    np.savez(args.out, points=points.astype(np.float32), rigid=rigid, mirror=mirror.astype(np.int16))
    reference = Reference(points, rigid, mirror)
    poses = np.array([list(fit_pose(to_pose_frame(s), reference)[0].__dict__.values()) for s in seen])
    print(
        f"{len(seen)} faces (of {len(files)}), {int(rigid.sum())} rigid points, "
        f"{int((mirror == np.arange(len(mirror))).sum())} on the midline; median yaw, pitch, roll "
        f"{np.round(np.median(poses, 0), 2).tolist()}; wrote {args.out}"
    )


def _onto(shape: np.ndarray, target: np.ndarray) -> np.ndarray:
    scale, rotation, shift = similarity_fit(shape, target)
    return scale * shape @ rotation.T + shift


if __name__ == "__main__":
    main()
