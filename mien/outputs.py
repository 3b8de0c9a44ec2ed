"""Results to files: CSV rows per face and annotated images, each written atomically."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import cv2
import numpy as np

from mien.atomic import atomic_path
from mien.rows import columns, face_row, failed_row
from mien.types import ImageResult


def write_json(path: Path, value) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(value, indent=2))


def write_png(path: Path, image: np.ndarray) -> None:
    """Save an RGB array as PNG."""
    with atomic_path(path) as tmp:
        if not cv2.imwrite(str(tmp), cv2.cvtColor(image, cv2.COLOR_RGB2BGR)):
            raise OSError(f"could not write {path}")


def write_npy(path: Path, array: np.ndarray) -> None:
    with atomic_path(path) as tmp, tmp.open("wb") as handle:
        np.save(handle, array)


def write_results_csv(
    path: Path, results: list[ImageResult], class_names: list[str], landmarks: bool = False
) -> None:
    """One row per face (and one per failed image, with its error), in mien's shared layout (mien.rows)."""
    with atomic_path(path) as tmp, tmp.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns(class_names, landmarks), extrasaction="ignore")
        writer.writeheader()
        for result in results:
            if result.error:
                writer.writerow(failed_row(result.path, result.error))
            writer.writerows(face_row(result.path, index, face) for index, face in enumerate(result.faces))
