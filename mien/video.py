"""Streams as iterators: frames -> per-frame recognition with tracking -> sinks.

Nothing here opens a window: a test drives the loop with a list of frames and a list as the
sink, and the CLI chooses the sinks (annotated MP4, CSV, screen).
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from mien.errors import MienError
from mien.pipeline import Predictor
from mien.render.annotate import annotate
from mien.types import Box, FacePrediction


@dataclass(frozen=True)
class Frame:
    index: int
    time: float  # seconds from the start
    image: np.ndarray  # (H, W, 3) RGB uint8


@dataclass(frozen=True)
class TrackedFace:
    track: int
    prediction: FacePrediction  # this frame's own prediction
    smoothed: dict[str, float]  # probabilities averaged over the track's recent frames

    @property
    def label(self) -> str:
        return max(self.smoothed, key=self.smoothed.get)


@dataclass(frozen=True)
class FrameResult:
    frame: Frame
    faces: list[TrackedFace]


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


@dataclass
class _Track:
    id: int
    box: Box
    smoothed: np.ndarray
    missed: int = 0


@dataclass
class FaceTracker:
    """Greedy IoU matching of faces to tracks, with exponential smoothing of probabilities."""

    smoothing: float = 0.6  # weight of the past in the running average (0 = no smoothing)
    min_iou: float = 0.3
    max_missed: int = 10  # frames a track survives without a matching face
    _tracks: list[_Track] = field(default_factory=list)
    _next_id: int = 1

    def update(self, predictions: list[FacePrediction], class_names: list[str]) -> list[TrackedFace]:
        unmatched = list(self._tracks)
        tracked = []
        for prediction in predictions:
            probs = np.array([prediction.scores[name] for name in class_names])
            track = max(unmatched, key=lambda t: iou(t.box, prediction.box), default=None)
            if track is None or iou(track.box, prediction.box) < self.min_iou:
                track = _Track(self._next_id, prediction.box, probs)
                self._next_id += 1
                self._tracks.append(track)
            else:
                unmatched.remove(track)
                track.smoothed = self.smoothing * track.smoothed + (1 - self.smoothing) * probs
                track.box, track.missed = prediction.box, 0
            tracked.append(
                TrackedFace(track.id, prediction, dict(zip(class_names, map(float, track.smoothed))))
            )
        for track in unmatched:
            track.missed += 1
        self._tracks = [t for t in self._tracks if t.missed <= self.max_missed]
        return tracked


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two boxes."""
    width = min(a.x + a.w, b.x + b.w) - max(a.x, b.x)
    height = min(a.y + a.h, b.y + b.h) - max(a.y, b.y)
    if width <= 0 or height <= 0:
        return 0.0
    overlap = width * height
    return overlap / (a.w * a.h + b.w * b.h - overlap)


def recognise_stream(predictor: Predictor, frames: Iterable[Frame], tracker: FaceTracker | None = None):
    """Per frame: detect, classify and track every face. Yields FrameResult."""
    tracker = tracker or FaceTracker()
    for frame in frames:
        predictions = predictor.predict(frame.image)
        yield FrameResult(frame, tracker.update(predictions, predictor.class_names))


class CsvSink:
    """One row per frame and face: frame, time, track, label, box, then a column per class."""

    def __init__(self, path: Path, class_names: list[str]):
        self.path = Path(path)
        self._tmp = self.path.with_name(f".{self.path.name}.tmp")
        self._file = self._tmp.open("w", newline="")  # noqa: SIM115 - held open until close()
        self._writer = csv.writer(self._file)
        self._writer.writerow(["frame", "time", "track", "label", "x", "y", "w", "h", *class_names])
        self._class_names = class_names

    def __call__(self, result: FrameResult) -> None:
        for face in result.faces:
            box = [round(v, 1) for v in face.prediction.box.as_list()]
            scores = [round(face.smoothed[name], 4) for name in self._class_names]
            self._writer.writerow(
                [result.frame.index, round(result.frame.time, 3), face.track, face.label, *box, *scores]
            )

    def close(self) -> None:
        self._file.close()
        self._tmp.replace(self.path)


def summarize_tracks(rows: list[dict], class_names: list[str]) -> list[dict]:
    """Per track: frames seen, first and last time, the most frequent label and mean probabilities."""
    by_track: dict[int, list[dict]] = {}
    for row in rows:
        by_track.setdefault(row["track"], []).append(row)
    summary = []
    for track, track_rows in sorted(by_track.items()):
        labels = [r["label"] for r in track_rows]
        summary.append(
            {
                "track": track,
                "frames": len(track_rows),
                "start": track_rows[0]["time"],
                "end": track_rows[-1]["time"],
                "dominant": max(set(labels), key=labels.count),
                "mean_scores": {n: float(np.mean([r["scores"][n] for r in track_rows])) for n in class_names},
            }
        )
    return summary


class VideoSink:
    """Annotated frames to an MP4 (or WebM) file, written under a temporary name, then moved into place."""

    def __init__(self, path: Path, fps: float):
        self.path = Path(path)
        self._tmp = self.path.with_name(f".{self.path.stem}.tmp{self.path.suffix or '.mp4'}")
        self._fps = fps
        self._writer: cv2.VideoWriter | None = None

    def __call__(self, result: FrameResult) -> None:
        image = annotate(
            result.frame.image, [f.prediction for f in result.faces], [f.track for f in result.faces]
        )
        if self._writer is None:
            height, width = image.shape[:2]
            codec = "VP80" if self.path.suffix.lower() == ".webm" else "mp4v"  # WebM plays in browsers
            self._writer = cv2.VideoWriter(
                str(self._tmp), cv2.VideoWriter_fourcc(*codec), self._fps, (width, height)
            )
        self._writer.write(cv2.cvtColor(image, cv2.COLOR_RGB2BGR))

    def close(self) -> None:
        if self._writer is not None:
            self._writer.release()
            self._tmp.replace(self.path)


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


def process_video(
    predictor: Predictor,
    source: Path,
    every: int = 1,
    out_video: Path | None = None,
    out_csv: Path | None = None,
    sinks: list | None = None,
) -> list[dict]:
    """Recognise and track faces through a video; write the chosen outputs; return one row per face."""
    sinks = list(sinks or [])
    if out_video:
        sinks.append(VideoSink(out_video, video_info(source).fps / every))
    if out_csv:
        sinks.append(CsvSink(out_csv, predictor.class_names))
    rows = []
    frames = read_frames(source, every)
    try:
        for result in tqdm(recognise_stream(predictor, frames), desc="frames", unit="frame", disable=None):
            for sink in sinks:
                sink(result)
            rows += [
                {"frame": result.frame.index, "time": result.frame.time, "track": f.track, "label": f.label,
                 "scores": f.smoothed}
                for f in result.faces
            ]  # fmt: skip
    finally:
        for sink in sinks:
            if hasattr(sink, "close"):
                sink.close()
    return rows


class WindowSink:
    """Show annotated frames in a Tk window; closing the window (or Esc) ends the stream."""

    def __init__(self, title: str = "mien"):
        import tkinter

        from PIL import ImageTk

        self._image_tk = ImageTk
        self._root = tkinter.Tk()
        self._root.title(title)
        self._label = tkinter.Label(self._root)
        self._label.pack()
        self.open = True
        self._root.protocol("WM_DELETE_WINDOW", self.close)
        self._root.bind("<Escape>", lambda event: self.close())

    def __call__(self, result: FrameResult) -> None:
        from PIL import Image

        faces = result.faces
        image = annotate(result.frame.image, [f.prediction for f in faces], [f.track for f in faces])
        photo = self._image_tk.PhotoImage(Image.fromarray(image))
        self._label.configure(image=photo)
        self._label.image = photo  # Tk keeps no reference of its own
        self._root.update()
        if not self.open:
            raise KeyboardInterrupt

    def close(self) -> None:
        if self.open:
            self.open = False
            self._root.destroy()
