"""mien's side of benchmarks/compare.py, one backend per process (so peak memory is its own).
Prints JSON on stdout. The classifier figures are CLASSIFIER_MODEL's (a shipped model's name; the
default model when not given), photos and video the default model's.

    python compare_mien.py BACKEND CROPS.npy PHOTO_DIR VIDEO [CLASSIFIER_MODEL]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from compare_fer import peak_mb, rate  # the same timing and memory reading on both sides

from mien.catalogue import DEFAULT_MODEL
from mien.pipeline import Predictor
from mien.video import read_frames, recognise_stream


def measure(
    backend: str, crops_path: str, photo_dir: str, video_path: str, classifier_model: str = DEFAULT_MODEL
) -> dict:
    predictor = Predictor.default(backend=backend)
    photos = sorted(Path(photo_dir).glob("*.jpg"))
    frames = sum(1 for _ in read_frames(video_path))
    results = {
        "default_precision": predictor.classifier.precision,
        # a folder of photos as `mien predict` reads it (the next ones read and recognised side by side)
        "predict": rate(lambda: list(predictor.predict_files(photos)), len(photos)),
        "video": rate(lambda: list(recognise_stream(predictor, read_frames(video_path))), frames, repeats=1),
        "faces_found": sum(len(predictor.predict(p)) for p in photos),
        "peak_mb": peak_mb(),  # the default model's pipeline alone: the classifier model loads after
    }
    same = classifier_model == predictor.model_name
    classifier = predictor if same else Predictor.default(classifier_model, backend=backend)
    crops = np.load(crops_path)
    one = lambda: [classifier.classify(crops[i : i + 1]) for i in range(len(crops))]  # noqa: E731
    batched = lambda: [classifier.classify(crops[i : i + 64]) for i in range(0, len(crops), 64)]  # noqa: E731
    return {
        "precision": classifier.classifier.precision,
        "classify_1": rate(one, len(crops)),
        "classify_64": rate(batched, len(crops)),
        **results,
    }


if __name__ == "__main__":
    print(json.dumps(measure(*sys.argv[1:])))
