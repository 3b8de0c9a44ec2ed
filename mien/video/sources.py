"""Frame sources: the frames of a video file or a camera, as RGB, and what a video file announces."""

from __future__ import annotations

import math
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


def read_frames(path: str | Path | int, every: int = 1, max_pixels: int | None = None) -> Iterator[Frame]:
    """Every Nth frame of a video file (or camera number) as RGB; a broken frame ends the stream.
    A source whose first frame cannot be decoded is an error, not an empty video (OpenCV opens a
    text file named .jpg, say, and then reads nothing from it); so is a frame of more than
    ``max_pixels`` pixels (a file may announce small frames and hold large ones)."""
    capture = cv2.VideoCapture(path if isinstance(path, int) else str(path))
    kind = "camera" if isinstance(path, int) else "video"
    if not capture.isOpened():
        raise MienError(f"{path}: not a readable {kind}")
    fps = _fps(capture)
    index = 0
    try:
        while True:
            ok, bgr = capture.read()
            if not ok or bgr is None:
                if index == 0:
                    raise MienError(f"{path}: not a readable {kind} (no frame could be decoded)")
                total = _announced_frames(capture)
                if 0 < index < total - 1:
                    print(
                        f"warning: {path}: frame {index} of {total} is unreadable; stopped there",
                        file=sys.stderr,
                    )
                return
            if max_pixels is not None:
                check_frame_size(bgr.shape[1], bgr.shape[0], max_pixels, f"{path}: frame {index}")
            if index % every == 0:  # converted in place: a second copy of an 8K frame is 100 MB
                yield Frame(index, index / fps, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB, dst=bgr))
            index += 1
    finally:
        capture.release()


@dataclass(frozen=True)
class VideoInfo:
    fps: float
    frames: int  # counted (up to just past a limit), or as the container announces it (0: unknown)
    width: int
    height: int

    @property
    def seconds(self) -> float:
        return self.frames / self.fps


def video_info(path: str | Path, max_seconds: float | None = None) -> VideoInfo:
    """Frame rate, length and size of a video file whose first frame can be decoded.

    Without max_seconds the length is what the container announces. With it, the frames are counted
    by decoding them, and counting stops once the video is longer than max_seconds: a container may
    announce no length (a raw MJPEG stream, a still image) or a wrong one, and a limit must hold anyway.
    """
    capture = cv2.VideoCapture(str(path))
    try:
        ok, bgr = capture.read() if capture.isOpened() else (False, None)
        if not ok or bgr is None:
            raise MienError(f"{path}: not a readable video")
        fps = _fps(capture)
        if max_seconds is None:
            return VideoInfo(fps, _announced_frames(capture), bgr.shape[1], bgr.shape[0])
        return VideoInfo(fps, _count_frames(capture, fps, max_seconds), bgr.shape[1], bgr.shape[0])
    finally:
        capture.release()


def frame_size(path: str | Path) -> tuple[int, int]:
    """Width and height of a video file's frames as its container announces them, read before any
    frame is decoded (to refuse or budget a video by its frame size first)."""
    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            raise MienError(f"{path}: not a readable video")
        return int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
    finally:
        capture.release()


def check_frame_size(width: int, height: int, max_pixels: int, name: str) -> None:
    """Refuse (MienError) frames of more than max_pixels pixels."""
    if width * height > max_pixels:
        raise MienError(
            f"{name}: frames of {width}x{height} ({width * height / 1e6:.1f} megapixels) are over the "
            f"limit of {max_pixels / 1e6:g} megapixels a frame"
        )


# A length limit counts at most this many frames a second, whatever rate the file claims (a file that
# says 1000 frames/s would otherwise pass 120,000 frames under a 120 s limit).
MAX_FPS_COUNTED = 60


def _count_frames(capture: cv2.VideoCapture, fps: float, max_seconds: float) -> int:
    """The frames of a capture whose first frame was read, counted until the end or just past max_seconds."""
    frames, most = 1, max_seconds * MAX_FPS_COUNTED
    while frames / fps <= max_seconds and frames <= most and capture.grab():  # grab: no BGR conversion
        frames += 1
    return frames


def _fps(capture: cv2.VideoCapture) -> float:
    fps = capture.get(cv2.CAP_PROP_FPS)
    return fps if math.isfinite(fps) and fps > 0 else 25.0


def _announced_frames(capture: cv2.VideoCapture) -> int:
    """The container's frame count, 0 when it does not say (OpenCV answers 0, -1 or a huge negative)."""
    frames = capture.get(cv2.CAP_PROP_FRAME_COUNT)
    return int(frames) if math.isfinite(frames) and frames > 0 else 0
