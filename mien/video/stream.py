"""The stream loop: frames -> per-frame recognition with tracking -> sinks.

Nothing here opens a window: a test drives the loop with a list of frames and a list as the
sink, and the CLI chooses the sinks (annotated MP4, CSV, screen).
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from mien.errors import MienError
from mien.pipeline import Predictor
from mien.types import FacePrediction
from mien.video.sinks import CsvSink, Sink, VideoSink
from mien.video.sources import Frame, read_frames, video_info
from mien.video.tracking import FaceTracker, TrackedFace
from mien.vision.ahead import run_ahead, workers_for


@dataclass(frozen=True)
class FrameResult:
    frame: Frame
    faces: list[TrackedFace]


def recognise_stream(
    predictor: Predictor,
    frames: Iterable[Frame],
    tracker: FaceTracker | None = None,
    detect_every: int = 1,
    landmarks: bool = False,
    workers: int | None = None,
) -> Iterator[FrameResult]:
    """Per frame: classify and track every face.

    Faces are detected on every `detect_every`th frame. On the frames between, the faces found
    last (boxes and landmarks) are re-aligned and classified on the current frame: expressions are
    still read from every frame, while the detector, most of a frame's cost, runs on fewer. Faces
    move little in a frame or two; a new face appears, and a gone one leaves, up to N-1 frames late.
    With ``landmarks``, every face's mesh, head pose and measures are read on every frame.

    Frames are recognised ahead on `workers` threads (see run_ahead) while the next are decoded and
    the results tracked here in order: the same results as one frame at a time. None chooses one
    per core, each running the predictor's sessions on one thread (Predictor.one_thread_each),
    where they exist and the frames are small enough; 0 works in the calling thread.
    """
    if detect_every < 1:
        raise MienError(f"detect_every must be 1 or more (1: detect on every frame), not {detect_every}")
    tracker = tracker or FaceTracker()
    frames = iter(frames)
    first = next(frames, None)
    if first is None:
        return
    if workers is None:
        workers = workers_for(first.image.shape[0] * first.image.shape[1])
    side_by_side = getattr(predictor, "side_by_side", None)  # a stand-in predictor may lack it
    runner, workers = side_by_side(workers, landmarks) if side_by_side else (predictor, min(workers, 1))

    def detect(position: int, frame: Frame) -> list[FacePrediction] | None:
        return runner.predict(frame.image, landmarks) if position % detect_every == 0 else None

    faces = []
    for frame, predictions in run_ahead(itertools.chain([first], frames), detect, workers):
        if predictions is None:  # between detections: the faces found last, on this frame
            predictions = runner.predict_faces(frame.image, faces, landmarks)
        faces = [prediction.face for prediction in predictions]
        yield FrameResult(frame, tracker.update(predictions, predictor.class_names))


def process_video(
    predictor: Predictor,
    source: Path,
    every: int = 1,
    out_video: Path | None = None,
    out_csv: Path | None = None,
    sinks: list[Sink] | None = None,
    detect_every: int = 1,
    max_pixels: int | None = None,
    video_side: int | None = None,
    landmarks: bool = False,
) -> list[dict]:
    """Recognise and track faces through a video (of its every `every`th frame, detecting faces on
    every `detect_every`th of those: see recognise_stream); write the chosen outputs; return one row
    per face. A frame over ``max_pixels`` is an error; ``video_side`` bounds the annotated video's
    longer side (the CSV keeps the source's pixels). With ``landmarks``, each face's head pose and
    measures go into the CSV and the rows, and its mesh into the annotated video.

    The outputs appear only when the whole video went through: a failure (or Ctrl-C) midway closes
    every sink as failed, which leaves neither partial outputs nor temporary files.
    """
    opened: list[Sink] = list(sinks or [])
    rows = []
    try:
        if out_video:
            opened.append(VideoSink(out_video, video_info(source).fps / every, video_side))
        if out_csv:
            opened.append(CsvSink(out_csv, predictor.class_names, landmarks))
        frames = read_frames(source, every, max_pixels)
        results = recognise_stream(predictor, frames, detect_every=detect_every, landmarks=landmarks)
        for result in tqdm(results, desc="frames", unit="frame", disable=None):
            for sink in opened:
                sink(result)
            rows += [
                {"frame": result.frame.index, "time": result.frame.time, "track": f.track, "label": f.label,
                 "scores": f.smoothed, "measures": _measures(f)}
                for f in result.faces
            ]  # fmt: skip
    except BaseException:
        _close_all(opened, failed=True)
        raise
    _close_all(opened, failed=False)
    return rows


def _measures(face: TrackedFace) -> dict[str, float]:
    """A face's head pose and measures by name (empty without landmarks or when its mesh was refused)."""
    shape = face.prediction.geometry
    if shape is None or shape.pose is None:
        return {}
    return {**shape.pose.__dict__, **shape.measures}


def _close_all(sinks: list[Sink], failed: bool) -> None:
    """Close every sink, even when one of them fails to close (that error is raised afterwards)."""
    with contextlib.ExitStack() as stack:
        for sink in sinks:
            if hasattr(sink, "close"):  # a plain callable (a list's append) is a sink too
                stack.callback(sink.close, failed=failed)


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
