"""What --landmarks costs: the face mesh per face, and video frames/s with and without it.

    .venv/bin/python benchmarks/landmarks_speed.py [--frames 300] [--repeats 3]

Per face: the labelled photos' faces (../shared/photos or $MIEN_PHOTOS; the bundled example when
absent) as YuNet finds them, each classified alone (the expression model: the baseline), then meshed
alone (head pose and measures included), then all of a photo's faces meshed in one batch: ms per
face and the ratio to the baseline. Video: a 640x480 clip with one face (the example photo panning
over a grey frame) through mien's stream loop (detection, alignment, expression, tracking) without
and with landmarks, in the same process: frames/s and the ratio. The fastest of `--repeats` runs
counts (the least disturbed by other work on the machine).
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
from mien.video import Frame, recognise_stream
from mien.vision.io import read_image

ROOT = Path(__file__).resolve().parents[1]
PHOTOS = Path(os.environ.get("MIEN_PHOTOS", ROOT.parent / "shared" / "photos"))
EXAMPLE = ROOT / "examples" / "astronaut.jpg"
SIZE = (640, 480)


def fastest(work, repeats: int) -> float:
    """Seconds of the fastest of `repeats` runs."""
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best


def photos() -> list[np.ndarray]:
    if (PHOTOS / "faces.json").exists():
        names = [
            name for name, boxes in json.loads((PHOTOS / "faces.json").read_text()).items() if boxes["faces"]
        ]
        return [read_image(PHOTOS / name) for name in names]
    return [read_image(EXAMPLE)]


def per_face(predictor: Predictor, repeats: int) -> None:
    images = photos()
    found = [(image, predictor.detector.detect(image)) for image in images]
    faces = sum(len(f) for _, f in found)
    analyser = predictor.analyser
    analyser.analyse(*found[0])  # warm-up

    def classify_one_by_one():
        for image, detected in found:
            for face in detected:
                predictor.predict_faces(image, [face])

    def mesh_one_by_one():
        for image, detected in found:
            for face in detected:
                analyser.analyse(image, [face])

    def mesh_batched():
        for image, detected in found:
            analyser.analyse(image, detected)

    baseline = fastest(classify_one_by_one, repeats) / faces
    print(f"{faces} faces in {len(images)} photos; ms per face (fastest of {repeats})")
    print(f"{'work':<34}{'ms/face':>9}{'vs expression':>15}")
    for name, seconds in (
        ("expression alone (baseline)", baseline),
        ("mesh, pose, measures: one face", fastest(mesh_one_by_one, repeats) / faces),
        ("mesh, pose, measures: per photo", fastest(mesh_batched, repeats) / faces),
    ):
        print(f"{name:<34}{seconds * 1000:>9.2f}{seconds / baseline:>14.2f}x")


def one_face_clip(frames: int) -> list[Frame]:
    """The example face panning over a grey 640x480 frame, 30 frames/s."""
    photo = cv2.resize(read_image(EXAMPLE), (320, 320), interpolation=cv2.INTER_AREA)
    clip = []
    for index in range(frames):
        canvas = np.full((SIZE[1], SIZE[0], 3), 90, np.uint8)
        x = round((SIZE[0] - 320) * (0.5 + 0.5 * np.sin(index / 40)))
        canvas[80:400, x : x + 320] = photo
        clip.append(Frame(index, index / 30, canvas))
    return clip


def video(predictor: Predictor, frames: int, repeats: int) -> None:
    clip = one_face_clip(frames)
    list(recognise_stream(predictor, clip[:5], landmarks=True))  # warm-up
    print(f"\n{frames} frames of {SIZE[0]}x{SIZE[1]}, one face, the stream loop (fastest of {repeats})")
    print(f"{'setting':<28}{'frames/s':>9}{'speed':>8}")
    baseline = None
    for name, landmarks in (("without landmarks (baseline)", False), ("--landmarks", True)):
        fps = frames / fastest(
            lambda on=landmarks: list(recognise_stream(predictor, clip, landmarks=on)), repeats
        )
        baseline = baseline or fps
        print(f"{name:<28}{fps:>9.1f}{fps / baseline:>7.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    predictor = Predictor.default()
    predictor.predict(read_image(EXAMPLE))  # warm-up: builds the kernels
    per_face(predictor, args.repeats)
    video(predictor, args.frames, args.repeats)


if __name__ == "__main__":
    main()
