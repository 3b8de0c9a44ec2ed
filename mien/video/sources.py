"""Frame sources: the frames of a video file or a camera, as RGB, and what a video file announces."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from mien.errors import MienError


@dataclass(frozen=True)
class Frame:
    index: int
    time: float  # seconds from the start
    image: np.ndarray  # (H, W, 3) RGB uint8


def read_frames(path: str | Path | int, every: int = 1) -> Iterator[Frame]:
    """Every Nth frame of a video file (or camera number) as RGB; a broken frame ends the stream."""
    capture = cv2.VideoCapture(path if isinstance(path, int) else str(path))
    if not capture.isOpened():
        kind = "camera" if isinstance(path, int) else "video"
        raise MienError(f"{path}: not a readable {kind}")
    fps = capture.get(cv2.CAP_PROP_FPS) or 25.0
    index = 0
    try:
        while True:
            ok, bgr = capture.read()
            if not ok or bgr is None:
                total = int(capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
                if 0 < index < total - 1:
                    print(
                        f"warning: {path}: frame {index} of {total} is unreadable; stopped there",
                        file=sys.stderr,
                    )
                return
            if index % every == 0:
                yield Frame(index, index / fps, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
            index += 1
    finally:
        capture.release()


@dataclass(frozen=True)
class VideoInfo:
    fps: float
    frames: int  # as the container announces it (0 when it does not say)
    width: int
    height: int

    @property
    def seconds(self) -> float:
        return self.frames / self.fps


def video_info(path: str | Path) -> VideoInfo:
    """Frame rate, length and size of a video file whose first frame can be decoded."""
    capture = cv2.VideoCapture(str(path))
    try:
        ok, bgr = capture.read() if capture.isOpened() else (False, None)
        if not ok or bgr is None:
            raise MienError(f"{path}: not a readable video")
        fps = capture.get(cv2.CAP_PROP_FPS) or 25.0
        frames = int(capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        return VideoInfo(fps, frames, bgr.shape[1], bgr.shape[0])
    finally:
        capture.release()
