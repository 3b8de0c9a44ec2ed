"""Score a model on labelled photos through the whole pipeline: detect, align, classify, as
`mien predict` answers them. Posed-expression sets such as KDEF come as whole photos, one face
each, foldered by class name (``<root>/<class>/<photo>``).

Each photo is answered by its most confident face; a photo where no face is found counts as wrong
(in the accuracies and their intervals; the recalls and the confusion matrix cover the photos
with a face).
Two figures: ``accuracy`` matches the model's classes to the data's by name (a class the data
lacks, such as contempt on a seven-class set, is dropped and the rest rescaled, as
mien.train.evaluate does), ``answered_accuracy`` takes the label exactly as `mien predict` prints
it (a contempt answer counts as wrong).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mien.backends import Classifier, load_classifier
from mien.errors import MienError
from mien.train.evaluate import to_data_classes
from mien.train.intervals import NO_ANSWER, label_intervals
from mien.train.metrics import classification_report
from mien.vision.align import align_face
from mien.vision.detect import create_detector
from mien.vision.io import image_files_under, read_image


@dataclass(frozen=True)
class LabelledCrops:
    """Each photo's most confident face, aligned as the pipeline aligns it (None: no face found)."""

    paths: list[Path]
    labels: np.ndarray  # (N,) index into class_names
    class_names: tuple[str, ...]
    crops: list[np.ndarray | None]  # (size, size) uint8 grey, or None


def labelled_photos(root: Path) -> tuple[list[Path], np.ndarray, tuple[str, ...]]:
    """Photos under ``root/<class>/``, their label indices and the class names (sorted folder names)."""
    root = Path(root)
    classes = tuple(sorted(d.name for d in root.iterdir() if d.is_dir())) if root.is_dir() else ()
    paths, labels = [], []
    for index, name in enumerate(classes):
        found = image_files_under(root / name)
        paths += found
        labels += [index] * len(found)
    if not paths:
        raise MienError(f"no labelled photos under {root} (expected {root}/<class>/<photo>)")
    return paths, np.array(labels, dtype=np.int64), classes


def aligned_crops(root: Path, size: int = 48, detector: str = "yunet") -> LabelledCrops:
    """Find and align every photo's face once, so several models can be scored on the same crops."""
    paths, labels, classes = labelled_photos(root)
    finder = create_detector(detector)
    crops = []
    for path in paths:
        try:
            image = read_image(path)
        except MienError as err:  # one bad file: counted as a photo without a face, the rest go on
            print(f"error: {err}", file=sys.stderr)
            crops.append(None)
            continue
        faces = finder.detect(image)  # most confident first
        crops.append(align_face(image, faces[0], size).crop if faces else None)
    return LabelledCrops(paths, labels, classes, crops)


def score_crops(model: Path | Classifier, photos: LabelledCrops) -> dict:
    """Accuracy, macro-F1 and recalls of one model (a file, or a classifier as a Predictor runs
    it) on the photos (see the module's docstring)."""
    classifier = load_classifier(Path(model)) if isinstance(model, (str, Path)) else model
    found = np.array([crop is not None for crop in photos.crops])
    if not found.any():
        raise MienError(f"no face found in any of the {len(found)} photos")
    probs = classifier.probabilities(np.stack([c for c in photos.crops if c is not None]))
    placed, _ = to_data_classes(probs, classifier.class_names, photos.class_names)
    report = classification_report(photos.labels[found], placed.argmax(axis=1), photos.class_names)
    report["accuracy"] *= found.sum() / len(photos.labels)  # a photo without a face counts as wrong
    every_answer = np.full(len(photos.labels), NO_ANSWER)
    every_answer[found] = placed.argmax(axis=1)
    report["intervals"] = label_intervals(photos.labels, every_answer, photos.class_names)
    answered = np.array([classifier.class_names[i] for i in probs.argmax(axis=1)])
    truth = np.array(photos.class_names)[photos.labels[found]]
    report.update(
        answered_accuracy=float((answered == truth).sum() / len(photos.labels)),
        photos=len(photos.labels),
        without_face=int((~found).sum()),
        precision=classifier.precision,
    )
    return report
