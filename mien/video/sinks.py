"""File sinks for a stream's results: the per-face CSV and the annotated video. Each writes under a
temporary name (mien.atomic) and moves the file into place only when closed after a whole stream."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import cv2

from mien.atomic import PendingFile
from mien.errors import MienError
from mien.render.annotate import annotate
from mien.rows import columns, tracked_row

if TYPE_CHECKING:
    from mien.video.stream import FrameResult


class Sink(Protocol):
    """Where a stream's results go, one frame at a time."""

    def __call__(self, result: FrameResult) -> None: ...

    def close(self, failed: bool = False) -> None:
        """End the output: keep it, or, when the stream ``failed``, drop what was written."""


class CsvSink:
    """One row per frame and face in mien's shared layout (mien.rows), with the track's smoothed
    label and probabilities."""

    def __init__(self, path: str | Path, class_names: list[str], landmarks: bool = False):
        self.path = Path(path)
        self._pending = PendingFile(self.path)
        try:
            self._file = self._pending.tmp.open("w", newline="")  # noqa: SIM115 - held open until close()
        except OSError:
            self._pending.discard()
            raise
        self._writer = csv.DictWriter(
            self._file, fieldnames=columns(class_names, landmarks), extrasaction="ignore"
        )
        self._writer.writeheader()

    def __call__(self, result: FrameResult) -> None:
        frame = result.frame
        self._writer.writerows(
            tracked_row(None, frame.index, frame.time, index, face) for index, face in enumerate(result.faces)
        )

    def close(self, failed: bool = False) -> None:
        if self._file.closed:
            return
        self._file.close()
        if failed:
            self._pending.discard()
        else:
            self._pending.commit()


class VideoSink:
    """Annotated frames to an MP4 (or WebM, which browsers play) file; no frames, no file. With
    ``max_side``, larger frames are written shrunk to that longer side (an encoder at 8K holds
    over a gigabyte)."""

    def __init__(self, path: str | Path, fps: float, max_side: int | None = None):
        self.path = Path(path)
        self._pending = PendingFile(self.path, self.path.suffix or ".mp4")  # OpenCV picks the container by it
        self._fps = fps
        self._max_side = max_side
        self._writer: cv2.VideoWriter | None = None
        self._closed = False

    def __call__(self, result: FrameResult) -> None:
        faces = result.faces
        image = annotate(
            result.frame.image, [f.prediction for f in faces], [f.track for f in faces], self._max_side
        )
        if self._writer is None:
            self._writer = self._open(image.shape[1], image.shape[0])
        self._writer.write(cv2.cvtColor(image, cv2.COLOR_RGB2BGR, dst=image))  # the copy is ours

    def _open(self, width: int, height: int) -> cv2.VideoWriter:
        codec = "VP80" if self.path.suffix.lower() == ".webm" else "mp4v"
        writer = cv2.VideoWriter(
            str(self._pending.tmp), cv2.VideoWriter_fourcc(*codec), self._fps, (width, height)
        )
        if not writer.isOpened():
            raise MienError(f"{self.path}: OpenCV cannot write a {codec} video here; try a .mp4 file")
        return writer

    def close(self, failed: bool = False) -> None:
        if self._closed:
            return
        self._closed = True
        if self._writer is not None:
            self._writer.release()
        if failed or self._writer is None:
            self._pending.discard()
        else:
            self._pending.commit()
