"""What the fast video settings cost: detection on every Nth frame, and on a smaller copy of the frame.

    .venv/bin/python benchmarks/video_fast.py [--frames-per-clip 24] [--speed 4] [--repeats 2]

Uses the labelled photos (../shared/photos or $MIEN_PHOTOS). First the detector alone on them, at
its default size limit and at smaller ones: labelled faces found and false positives. Then video:
each photo with faces becomes a 640x480 clip whose window pans over it by `--speed` pixels a frame;
every setting runs on the same clips, against the full-rate run (detection on every full frame) in
the same process: frames/s as a ratio, the share of its faces found on the same frame (IoU >= 0.3),
faces it does not have, and the share of found faces whose label (smoothed, as shown; and the
frame's own) agrees. Each clip is its own stream: a cut costs every-Nth up to N-1 frames more.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import cv2
import numpy as np

from mien.pipeline import Predictor
from mien.video import Frame, FrameResult, iou, recognise_stream
from mien.vision.detect import YuNetSettings, create_detector
from mien.vision.detection_score import score_detector
from mien.vision.io import read_image

PHOTOS = Path(os.environ.get("MIEN_PHOTOS", Path(__file__).resolve().parents[2] / "shared" / "photos"))
SIZE = (640, 480)
SETTINGS = [  # (name, detect_every, detection side limit; None: the detector's default)
    ("full rate (baseline)", 1, None),
    ("detect every 2nd", 2, None),
    ("detect every 3rd", 3, None),
    ("detect on 480 px", 1, 480),
    ("detect on 320 px", 1, 320),
    ("every 2nd on 320 px", 2, 320),
]


def panning_clip(photo: np.ndarray, frames: int, speed: float) -> list[Frame]:
    """A 640x480 window moving diagonally over the photo (scaled to cover 800x600), at 25 frames/s."""
    height, width = photo.shape[:2]
    scale = max(800 / width, 600 / height)
    scene = cv2.resize(photo, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_AREA)
    clip = []
    for index in range(frames):
        x = min(round(index * speed), scene.shape[1] - SIZE[0])
        y = min(round(index * speed * 0.75), scene.shape[0] - SIZE[1])
        clip.append(Frame(index, index / 25, np.ascontiguousarray(scene[y : y + SIZE[1], x : x + SIZE[0]])))
    return clip


def run(predictor: Predictor, clips: list[list[Frame]], every: int, side: int | None, repeats: int):
    """Every clip through the stream loop with one setting: its results per clip, and the best
    frames/s of `repeats` runs (the least disturbed by other work on the machine)."""
    predictor.detector = create_detector("yunet", max_side=side or YuNetSettings.max_side)
    best = 0.0
    for _ in range(repeats):
        started = time.perf_counter()
        results = [list(recognise_stream(predictor, clip, detect_every=every)) for clip in clips]
        best = max(best, sum(map(len, clips)) / (time.perf_counter() - started))
    return results, best


def agreement(reference: list[FrameResult], results: list[FrameResult]) -> dict[str, int]:
    """Counts over frames: reference faces, those found (greedy IoU >= 0.3), extra faces, same labels."""
    counts = dict.fromkeys(("faces", "found", "extra", "same_label", "same_frame_label"), 0)
    for expected, got in zip(reference, results, strict=True):
        unclaimed = list(got.faces)
        for face in expected.faces:
            counts["faces"] += 1
            best = max(unclaimed, key=lambda f: iou(f.prediction.box, face.prediction.box), default=None)
            if best is None or iou(best.prediction.box, face.prediction.box) < 0.3:
                continue
            unclaimed.remove(best)
            counts["found"] += 1
            counts["same_label"] += best.label == face.label
            counts["same_frame_label"] += best.prediction.label == face.prediction.label
        counts["extra"] += len(unclaimed)
    return counts


def report_photos() -> None:
    print(f"Labelled photos ({PHOTOS}): the detector alone, by the longest side it detects on")
    print(f"{'side limit':<14}{'faces found':>13}{'false positives':>17}")
    for side in (YuNetSettings.max_side, 640, 480, 320):
        score = score_detector(create_detector("yunet", max_side=side), PHOTOS)
        found = f"{score.labelled - len(score.missed)}/{score.labelled}"
        print(f"{side:<14}{found:>13}{len(score.false_positives):>17}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames-per-clip", type=int, default=24)
    parser.add_argument("--speed", type=float, default=4.0, help="Pixels the window moves a frame.")
    parser.add_argument("--repeats", type=int, default=2, help="Runs per setting; the fastest counts.")
    args = parser.parse_args()
    report_photos()
    labels = json.loads((PHOTOS / "faces.json").read_text())
    photos = [read_image(PHOTOS / name) for name, boxes in labels.items() if boxes["faces"]]
    clips = [panning_clip(photo, args.frames_per_clip, args.speed) for photo in photos]
    predictor = Predictor.default()
    predictor.predict(clips[0][0].image)  # warm-up: builds the kernels

    reference, baseline_fps = None, None
    print(f"\n{sum(map(len, clips))} frames of 640x480 in {len(clips)} clips, panning {args.speed} px/frame")
    print(f"{'setting':<22}{'frames/s':>9}{'speed':>8}{'faces found':>13}{'extra':>7}"
          f"{'same label':>12}{'same frame label':>18}")  # fmt: skip
    for name, every, side in SETTINGS:
        results, fps = run(predictor, clips, every, side, args.repeats)
        reference, baseline_fps = reference or results, baseline_fps or fps
        counts = dict.fromkeys(("faces", "found", "extra", "same_label", "same_frame_label"), 0)
        for expected, got in zip(reference, results, strict=True):
            for key, value in agreement(expected, got).items():
                counts[key] += value
        found = max(counts["found"], 1)
        print(f"{name:<22}{fps:>9.1f}{fps / baseline_fps:>7.2f}x{counts['found'] / counts['faces']:>13.1%}"
              f"{counts['extra']:>7}{counts['same_label'] / found:>12.1%}"
              f"{counts['same_frame_label'] / found:>18.1%}")  # fmt: skip


if __name__ == "__main__":
    main()
