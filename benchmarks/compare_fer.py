"""The `fer` package's side of benchmarks/compare.py; runs in fer's own virtual environment, so it
imports nothing from mien. Prints JSON (or JSON Lines for `files`) on stdout.

    python compare_fer.py measure CROPS.npy PHOTO_DIR VIDEO   # speeds and peak memory
    python compare_fer.py files FOLDER                        # one label per image file (aligned faces)
    python compare_fer.py coldstart PHOTO                     # one photo, for the cold-start timing
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import json  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import cv2  # noqa: E402
import numpy as np  # noqa: E402

warnings.filterwarnings("ignore")
FER_ORDER = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]  # fer's output order


def load():
    from fer.fer import FER

    detector = FER()  # fer's default: the quantised mini-Xception on TF Lite, Haar cascade faces
    side = int(detector._FER__tflite_interpreter.get_input_details()[0]["shape"][1])
    return detector, side


def classify(detector, side: int, faces: np.ndarray) -> np.ndarray:
    """fer's own steps after it crops a face: resize, scale to [-1, 1], classify (one face per call)."""
    pixels = np.array([cv2.resize(face, (side, side)) for face in faces], dtype="float32")
    return np.asarray(detector._classify_emotions((pixels / 255.0 - 0.5) * 2.0))


def rate(function, count: int, repeats: int = 3) -> float:
    function()  # warm-up
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return count / statistics.median(times)


def peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure(crops_path: str, photo_dir: str, video_path: str) -> dict:
    detector, side = load()
    crops = np.load(crops_path)
    photos = sorted(str(p) for p in Path(photo_dir).glob("*.jpg"))  # read in the timing, as mien does
    one = lambda: [classify(detector, side, crops[i : i + 1]) for i in range(len(crops))]  # noqa: E731
    batched = lambda: [classify(detector, side, crops[i : i + 64]) for i in range(0, len(crops), 64)]  # noqa: E731

    def video() -> int:
        capture, frames = cv2.VideoCapture(video_path), 0
        while True:
            ok, frame = capture.read()
            if not ok:
                return frames
            detector.detect_emotions(frame)
            frames += 1

    frames = video()
    return {
        "classify_1": rate(one, len(crops)),
        "classify_64": rate(batched, len(crops)),
        "predict": rate(lambda: [detector.detect_emotions(cv2.imread(p)) for p in photos], len(photos)),
        "video": rate(video, frames, repeats=1),
        "faces_found": sum(len(detector.detect_emotions(cv2.imread(p))) for p in photos),
        "peak_mb": peak_mb(),
    }


def files(folder: str) -> None:
    detector, side = load()
    paths = sorted(p for p in Path(folder).rglob("*") if p.suffix.lower() in {".jpg", ".png"})
    for start in range(0, len(paths), 64):
        chunk = paths[start : start + 64]
        probs = classify(detector, side, np.stack([cv2.imread(str(p), cv2.IMREAD_GRAYSCALE) for p in chunk]))
        for path, row in zip(chunk, probs):
            print(json.dumps({"path": str(path), "label": FER_ORDER[int(np.argmax(row))]}))


def coldstart(photo: str) -> None:
    detector, _ = load()
    faces = detector.detect_emotions(cv2.imread(photo))
    print(json.dumps([max(face["emotions"], key=face["emotions"].get) for face in faces]))


if __name__ == "__main__":
    mode, *arguments = sys.argv[1:]
    if mode == "measure":
        print(json.dumps(measure(*arguments)))
    elif mode == "files":
        files(*arguments)
    else:
        coldstart(*arguments)
