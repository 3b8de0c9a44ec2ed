"""Recognition speed on 640x480 frames with one face: the detector alone is the baseline.

    .venv/bin/python benchmarks/recognition_speed.py [--frames 60]

Measures, in one run: the detector alone (frames/s), `Predictor.predict` per photo
(detect + align + classify), and the video loop (`recognise_stream` with tracking), each beside
the limit its multiply-adds set on this CPU. The target for video is at least 30 frames/s.
"""

from __future__ import annotations

import argparse
import time

import cv2
import numpy as np
from limits import detector_macs, frame_limit_text, macs_per_face
from skimage import data

from mien.catalogue import model_file
from mien.pipeline import Predictor
from mien.video import Frame, recognise_stream

TARGET_VIDEO_FPS = 30


def frames_640x480(count: int) -> list[np.ndarray]:
    """A face moving across a 640x480 scene, so the detector cannot cache anything."""
    face = cv2.resize(data.astronaut()[30:230, 140:310], (128, 150))
    frames = []
    for index in range(count):
        canvas = np.full((480, 640, 3), 100, np.uint8)
        x = 40 + (index * 7) % 440
        canvas[160:310, x : x + 128] = face
        frames.append(canvas)
    return frames


def rate(count: int, started: float) -> float:
    return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=60)
    args = parser.parse_args()
    predictor = Predictor.default()
    frames = frames_640x480(args.frames)
    predictor.predict(frames[0])  # warm-up: builds the detector and the kernels

    started = time.perf_counter()
    found = sum(len(predictor.detector.detect(frame)) for frame in frames)
    detector_fps = rate(len(frames), started)
    started = time.perf_counter()
    for frame in frames:
        predictor.predict(frame)
    predict_fps = rate(len(frames), started)
    started = time.perf_counter()
    stream = [Frame(i, i / 30, image) for i, image in enumerate(frames)]
    for _ in recognise_stream(predictor, stream):
        pass
    video_fps = rate(len(frames), started)

    print(f"{len(frames)} frames of 640x480, {found} faces found by the detector")
    detection = detector_macs()
    classifier_macs = macs_per_face(model_file(predictor.model_name))
    precision = predictor.classifier.precision.split("+")[0]  # a cascade: its first classifier
    print(f"{'stage':<28}{'frames/s':>10}{'vs detector':>13}  limit of its arithmetic on this CPU")
    for name, fps, macs in (("detector alone (baseline)", detector_fps, 0),
                            ("predict (photo)", predict_fps, classifier_macs),
                            ("video loop (with tracking)", video_fps, classifier_macs)):  # fmt: skip
        ceiling = frame_limit_text(detection, macs, precision, fps)
        print(f"{name:<28}{fps:>10.1f}{fps / detector_fps:>12.2f}x  {ceiling}")
    verdict = "meets" if video_fps >= TARGET_VIDEO_FPS else "misses"
    print(f"video {verdict} the target of {TARGET_VIDEO_FPS} frames/s")


if __name__ == "__main__":
    main()
