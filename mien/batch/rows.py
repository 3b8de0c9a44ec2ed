"""One input file -> rows, one per face (per frame for videos): what a batch worker computes.

The rows follow mien's shared layout (mien.rows). Every input leaves at least one row, so that a
rerun knows it is done: a file without faces gives a row with face -1, a file that fails gives a
row with its error.
"""

from __future__ import annotations

from pathlib import Path

import cv2

from mien.errors import MienError
from mien.pipeline import Predictor
from mien.rows import face_row, failed_row, no_face_row
from mien.video import read_frames
from mien.vision.io import read_image

VIDEO_SUFFIXES = {".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".y4m"}


def rows_for_file(
    predictor: Predictor, path: str, every: int = 1, aligned: bool = False, landmarks: bool = False
) -> list[dict]:
    """Rows for every face in an image, or (untracked) in every Nth frame of a video; with
    ``landmarks``, with each face's head pose and measures."""
    try:
        if Path(path).suffix.lower() in VIDEO_SUFFIXES:
            rows = [
                face_row(path, index, prediction, frame.index, frame.time)
                for frame in read_frames(path, every)
                for index, prediction in enumerate(predictor.predict(frame.image, landmarks))
            ]
        else:
            image = read_image(path, predictor.max_pixels)
            if aligned:
                found = predictor.predict_aligned(image, landmarks)
            else:
                found = predictor.predict(image, landmarks)
            rows = [face_row(path, index, prediction) for index, prediction in enumerate(found)]
    except (MienError, cv2.error, OSError) as err:
        return [failed_row(path, str(err))]
    return rows or [no_face_row(path)]
