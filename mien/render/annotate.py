"""Draw predictions onto a copy of the frame: a box, a label and a probability bar chart per face."""

from __future__ import annotations

import zlib

import cv2
import numpy as np

from mien.geometry.mesh import CONTOURS
from mien.types import FacePrediction

# One colour per class (RGB), used for boxes and bars; a model's other classes take one of OTHER_COLOURS.
CLASS_COLOURS = {
    "angry": (220, 40, 40),
    "contempt": (140, 90, 50),
    "disgust": (120, 160, 30),
    "fear": (150, 60, 200),
    "happy": (250, 200, 0),
    "neutral": (170, 170, 170),
    "sad": (40, 110, 230),
    "surprise": (250, 120, 20),
}
OTHER_COLOURS = [(0, 200, 0), (0, 180, 180), (230, 80, 160), (120, 120, 250), (200, 170, 110)]
MESH_COLOUR = (80, 230, 230)
MESH_DOTS_FROM = 120  # faces at least this wide (px, as drawn) get all 468 points as dots too


def annotate(
    image: np.ndarray,
    predictions: list[FacePrediction],
    track_ids: list[int] | None = None,
    max_side: int | None = None,
) -> np.ndarray:
    """A copy of the RGB frame with every face boxed, labelled and given its probability bars (and,
    where a face has a mesh, its outlines and head pose); with ``max_side``, a larger frame is shrunk
    first (the boxes with it) so its longer side is max_side."""
    shrink = 1.0 if max_side is None else min(1.0, max_side / max(image.shape[:2]))
    if shrink < 1.0:  # shrunk before the copy: a huge frame is never copied whole
        canvas = cv2.resize(image, None, fx=shrink, fy=shrink, interpolation=cv2.INTER_AREA)
    else:
        canvas = image.copy()
    scale = max(0.7, min(canvas.shape[:2]) / 700)  # text and lines grow with the frame
    for index, prediction in enumerate(predictions):
        x, y, w, h = (round(v * shrink) for v in prediction.box.as_list())
        colour = class_colour(prediction.label)
        thickness = max(1, round(2 * scale))
        if prediction.geometry is not None and prediction.geometry.points is not None:
            _mesh(canvas, prediction.geometry.points[:, :2] * shrink, w >= MESH_DOTS_FROM)
        cv2.rectangle(canvas, (x, y), (x + w, y + h), colour, thickness)
        label = _label_text(prediction) + _pose_text(prediction)
        if track_ids is not None:
            label = f"#{track_ids[index]} {label}"
        _text(canvas, label, (x, max(0, y - round(8 * scale))), scale, colour)
        _bars(canvas, prediction, (x, y + h + round(6 * scale)), max(w, round(120 * scale)), scale)
    return canvas


def class_colour(name: str) -> tuple[int, int, int]:
    """A class's colour: its own, or for a class without one a colour its name always picks."""
    if name in CLASS_COLOURS:
        return CLASS_COLOURS[name]
    return OTHER_COLOURS[zlib.crc32(name.encode()) % len(OTHER_COLOURS)]


def _label_text(prediction: FacePrediction) -> str:
    if prediction.compound:
        first, second = prediction.compound
        return f"{first}+{second} {prediction.scores[first]:.0%}/{prediction.scores[second]:.0%}"
    return f"{prediction.label} {prediction.scores[prediction.label]:.0%}"


def _pose_text(prediction: FacePrediction) -> str:
    pose = prediction.geometry.pose if prediction.geometry is not None else None
    if pose is None:
        return ""
    turned = " (turned)" if prediction.geometry.pose_warning else ""
    return f" | yaw {pose.yaw:+.0f} pitch {pose.pitch:+.0f} roll {pose.roll:+.0f}{turned}"


def _mesh(canvas: np.ndarray, points: np.ndarray, dots: bool) -> None:
    """The mesh's outlines (and, on a large face, its points) in frame pixels."""
    if dots:
        for x, y in np.round(points).astype(int):
            cv2.circle(canvas, (int(x), int(y)), 1, MESH_COLOUR, -1, cv2.LINE_AA)
    lines = [np.round(points[list(run)]).astype(np.int32) for run in CONTOURS.values()]
    cv2.polylines(canvas, lines, False, MESH_COLOUR, 1, cv2.LINE_AA)


def _bars(
    canvas: np.ndarray, prediction: FacePrediction, origin: tuple[int, int], width: int, scale: float
) -> None:
    x, y = origin
    row = max(8, round(14 * scale))
    for name, probability in prediction.scores.items():
        if y + row > canvas.shape[0]:
            break
        colour = class_colour(name)
        cv2.rectangle(canvas, (x, y), (x + width, y + row - 2), (30, 30, 30), -1)
        cv2.rectangle(canvas, (x, y), (x + round(width * probability), y + row - 2), colour, -1)
        _text(canvas, f"{name} {probability:.2f}", (x + 2, y + row - 4), scale * 0.8, (255, 255, 255))
        y += row


def _text(canvas, text, origin, scale, colour) -> None:
    # Coloured text on a dark outline reads on any background.
    font, size = cv2.FONT_HERSHEY_SIMPLEX, 0.5 * scale
    cv2.putText(canvas, text, origin, font, size, (0, 0, 0), max(2, round(3 * scale)), cv2.LINE_AA)
    cv2.putText(canvas, text, origin, font, size, colour, max(1, round(scale)), cv2.LINE_AA)
