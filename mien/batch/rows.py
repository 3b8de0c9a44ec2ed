"""One input file -> rows, one per face (per frame for videos): what a batch worker computes.

Every input leaves at least one row, so that a rerun knows it is done: a file without faces
gives a row with face -1, a file that fails gives a row with its error.
"""

from __future__ import annotations

from pathlib import Path

import cv2

from mien.errors import MienError
from mien.pipeline import Predictor
from mien.types import FacePrediction
from mien.video import read_frames
from mien.vision.io import read_image

VIDEO_SUFFIXES = {".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg"}
FIXED_COLUMNS = ["path", "frame", "time", "face", "x", "y", "w", "h", "label", "error"]


def columns(class_names: list[str]) -> list[str]:
    """Column names: the fixed ones, then one probability column per class."""
    return [*FIXED_COLUMNS, *class_names]


def rows_for_file(predictor: Predictor, path: str, every: int = 1, aligned: bool = False) -> list[dict]:
    """Rows for every face in an image, or in every Nth frame of a video."""
    try:
        if Path(path).suffix.lower() in VIDEO_SUFFIXES:
            rows = [
                _row(path, frame.index, frame.time, index, prediction)
                for frame in read_frames(path, every)
                for index, prediction in enumerate(predictor.predict(frame.image))
            ]
        else:
            image = read_image(path, predictor.max_pixels)
            found = predictor.predict_aligned(image) if aligned else predictor.predict(image)
            rows = [_row(path, 0, 0.0, index, prediction) for index, prediction in enumerate(found)]
    except (MienError, cv2.error, OSError) as err:
        return [{"path": path, "frame": -1, "face": -1, "error": str(err).splitlines()[0]}]
    return rows or [{"path": path, "frame": -1, "face": -1}]


def _row(path: str, frame: int, time: float, index: int, prediction: FacePrediction) -> dict:
    box = dict(zip("xywh", (round(v, 1) for v in prediction.box.as_list())))
    scores = {name: round(p, 4) for name, p in prediction.scores.items()}
    place = {"path": path, "frame": frame, "time": round(time, 3), "face": index}
    return {**place, **box, "label": prediction.label, **scores}
