"""Media the tests write for themselves: videos with a moving face, in the formats players want."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from skimage import data


def moving_face_frames(frames: int = 6, size: tuple[int, int] = (640, 480)) -> list[np.ndarray]:
    """RGB frames: the astronaut's face sliding right over a grey background."""
    face = data.astronaut()[40:200, 150:300]  # (160, 150, 3)
    result = []
    for index in range(frames):
        canvas = np.full((size[1], size[0], 3), 90, np.uint8)
        x = 100 + 20 * index
        canvas[150:310, x : x + 150] = face
        result.append(canvas)
    return result


def moving_face_video(path: Path, frames: int = 6, size: tuple[int, int] = (640, 480)) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10, size)
    for frame in moving_face_frames(frames, size):
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def write_y4m(path: Path, frames: list[np.ndarray], fps: int = 15) -> Path:
    """Raw YUV 4:2:0 frames in a Y4M file: what Chromium's fake camera plays in a loop."""
    height, width = frames[0].shape[:2]
    with Path(path).open("wb") as handle:
        handle.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for frame in frames:
            handle.write(b"FRAME\n")
            handle.write(cv2.cvtColor(frame, cv2.COLOR_RGB2YUV_I420).tobytes())  # Y, then U, then V planes
    return path


def face_grid(rows: int = 5, columns: int = 5) -> np.ndarray:
    """An RGB group photo: the astronaut's face and shoulders tiled rows x columns (one face each)."""
    tile = data.astronaut()[10:250, 120:340]  # (240, 220, 3): the face with a margin round it
    return np.concatenate([np.concatenate([tile] * columns, axis=1)] * rows, axis=0)
