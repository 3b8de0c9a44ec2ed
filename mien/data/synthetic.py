"""Cartoon faces with one drawn expression per class: a data set that ships in code.

They make the demo and the tests independent of FER2013: each class has its own mouth, brows and
eyes, drawn with random position, size, thickness and noise, so a small network learns them in
a few epochs while the task is not trivial.
"""

from __future__ import annotations

import csv
from pathlib import Path

import cv2
import numpy as np

from mien.data.fer2013 import CLASS_NAMES, CSV_CODE_TO_NAME, IMAGE_SIZE, SPLITS


def draw_face(label: int, rng: np.random.Generator) -> np.ndarray:
    """One 48x48 grey cartoon face showing CLASS_NAMES[label]."""
    scale = 4  # draw at 4x and shrink, for smooth edges
    side = IMAGE_SIZE * scale
    image = np.full((side, side), rng.integers(20, 90), np.uint8)
    cx, cy = (side // 2 + rng.integers(-12, 13, size=2)).tolist()
    rx, ry = int(rng.integers(62, 78)), int(rng.integers(76, 90))
    cv2.ellipse(image, (cx, cy), (rx, ry), 0, 0, 360, int(rng.integers(150, 220)), -1)
    ink = int(rng.integers(0, 50))
    thick = int(rng.integers(5, 9))
    name = CLASS_NAMES[label]
    eye_open = 16 if name in ("surprise", "fear") else 9
    for side_sign in (-1, 1):
        ex, ey = cx + side_sign * rx // 2, cy - ry // 4
        cv2.ellipse(image, (ex, ey), (11, eye_open), 0, 0, 360, ink, -1)
        tilt = {"angry": 14, "sad": -12, "surprise": 0, "fear": -8}.get(name, 0)
        lift = 34 if name in ("surprise", "fear") else 22
        inner, outer = (ex - side_sign * 14, ey - lift + tilt), (ex + side_sign * 14, ey - lift - tilt)
        cv2.line(image, inner, outer, ink, thick)
    mx, my, width = cx, cy + ry // 2, rx // 2
    if name == "happy":
        cv2.ellipse(image, (mx, my - 10), (width, 22), 0, 10, 170, ink, thick)
    elif name == "sad":
        cv2.ellipse(image, (mx, my + 14), (width, 18), 0, 190, 350, ink, thick)
    elif name == "surprise":
        cv2.ellipse(image, (mx, my), (14, 20), 0, 0, 360, ink, -1)
    elif name == "fear":
        points = np.array(
            [[mx - width + i * width // 3, my + (8 if i % 2 else -8)] for i in range(7)], np.int32
        )
        cv2.polylines(image, [points], False, ink, thick)
    elif name == "disgust":
        cv2.line(image, (mx - width, my + 8), (mx + width, my - 12), ink, thick)
        cv2.line(image, (cx - 10, cy + 6), (cx + 10, cy + 6), ink, thick)  # wrinkled nose
    elif name == "angry":
        cv2.rectangle(image, (mx - width, my - 6), (mx + width, my + 6), ink, -1)
    else:  # neutral
        cv2.line(image, (mx - width, my), (mx + width, my), ink, thick)
    small = cv2.resize(image, (IMAGE_SIZE, IMAGE_SIZE), interpolation=cv2.INTER_AREA).astype(np.float32)
    small += rng.normal(0, 8, small.shape)
    return small.clip(0, 255).astype(np.uint8)


def make_faces(counts: dict[str, int], seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Images (N, 48, 48), labels and split indices: counts[split] faces per split, classes cycled."""
    rng = np.random.default_rng(seed)
    images, labels, splits = [], [], []
    for split, count in counts.items():
        for index in range(count):
            label = index % len(CLASS_NAMES)
            images.append(draw_face(label, rng))
            labels.append(label)
            splits.append(SPLITS.index(split))
    return np.stack(images), np.array(labels), np.array(splits, dtype=np.int8)


def write_folder(root: Path, counts: dict[str, int], seed: int = 0) -> Path:
    """Write synthetic faces in FER2013's image-folder layout (train/ and test/)."""
    images, labels, splits = make_faces(counts, seed)
    for index, (image, label, split) in enumerate(zip(images, labels, splits)):
        part = "train" if SPLITS[split] == "Training" else "test"
        folder = Path(root) / part / CLASS_NAMES[label]
        folder.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(folder / f"{SPLITS[split]}_{index}.png"), image)
    return Path(root)


def write_csv(path: Path, counts: dict[str, int], seed: int = 0) -> Path:
    """Write synthetic faces as an original-format fer2013.csv (emotion codes, pixels, Usage)."""
    images, labels, splits = make_faces(counts, seed)
    with Path(path).open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["emotion", "pixels", "Usage"])
        for image, label, split in zip(images, labels, splits):
            code = CSV_CODE_TO_NAME.index(CLASS_NAMES[label])
            writer.writerow([code, " ".join(map(str, image.ravel())), SPLITS[split]])
    return Path(path)
