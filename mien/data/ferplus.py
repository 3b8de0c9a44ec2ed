"""FER+ (Barsoum et al., 2016): ten raters' votes for every FER2013 face, over eight expressions.

Two layouts, both read into a FaceSet whose ``votes`` hold the raw counts and whose labels are the
FER+ majority over mien's eight classes:
- FER+'s own folders: ``<root>/FER2013Train|FER2013Valid|FER2013Test/`` with PNGs and a header-less
  ``label.csv`` (file name, face box, ten vote counts);
- ``fer2013new.csv`` (Usage, Image name, ten vote counts) beside ``fer2013.csv``, row for row; an
  empty image name marks a row FER+ found no face in.

FER+'s rules: a single vote is noise and is dropped first; the majority label is the class with more
than half of the remaining votes (else none); faces whose label would be unknown or not-a-face are
left out of training and scoring.
"""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

import numpy as np

from mien.data.fer2013 import SPLITS, FaceSet, Skipped, decode_face, read_csv
from mien.errors import MienError

VOTE_COLUMNS = ("neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear", "contempt",
                "unknown", "NF")  # fmt: skip
FERPLUS_CLASSES = ("angry", "contempt", "disgust", "fear", "happy", "neutral", "sad", "surprise")
# For each of mien's classes, its column among the votes.
COLUMN_OF_CLASS = np.array([4, 7, 5, 6, 1, 0, 3, 2])
_EMOTIONS = 8  # the first eight vote columns; then unknown and not-a-face
FOLDERS = {"FER2013Train": "Training", "FER2013Valid": "PublicTest", "FER2013Test": "PrivateTest"}
NO_FACE = "FER+ found no face here"  # why a fer2013new.csv row without an image name is skipped


def is_ferplus(source: Path) -> bool:
    """True for a FER+ folder (FER2013Train/ or FER2013Valid/ with label.csv) or fer2013new.csv."""
    source = Path(source)
    if source.is_file():
        return source.name == "fer2013new.csv"
    return any((source / folder / "label.csv").is_file() for folder in FOLDERS)


def read_ferplus(source: Path) -> FaceSet:
    """FER+ from its folders or from fer2013new.csv (with fer2013.csv beside it)."""
    source = Path(source)
    return read_ferplus_csv(source) if source.is_file() else read_ferplus_folder(source)


def clean_votes(votes: np.ndarray) -> np.ndarray:
    """The votes without the single ones, which FER+ treats as noise."""
    votes = np.asarray(votes)
    return np.where(votes <= 1, 0, votes)


def majority_labels(votes: np.ndarray) -> np.ndarray:
    """Each face's FER+ majority as an index into FERPLUS_CLASSES: the column with more than half of
    the remaining votes; -1 where none has, or where it is unknown or not-a-face."""
    cleaned = clean_votes(votes)
    winner = cleaned.argmax(axis=1)
    has_majority = cleaned.max(axis=1) * 2 > cleaned.sum(axis=1)
    class_of_column = np.full(len(VOTE_COLUMNS), -1)
    class_of_column[COLUMN_OF_CLASS] = np.arange(_EMOTIONS)
    return np.where(has_majority, class_of_column[winner], -1)


def vote_distributions(votes: np.ndarray) -> np.ndarray:
    """(N, 8) training targets: the remaining votes for each of mien's classes, as shares (zero rows
    where no expression vote remains)."""
    emotions = clean_votes(votes)[:, COLUMN_OF_CLASS].astype(np.float32)
    totals = emotions.sum(axis=1, keepdims=True)
    return np.divide(emotions, totals, out=np.zeros_like(emotions), where=totals > 0)


def trainable(votes: np.ndarray) -> np.ndarray:
    """Faces to learn from: expression votes remain, and unknown or not-a-face does not lead them."""
    cleaned = clean_votes(votes)
    emotions = cleaned[:, :_EMOTIONS]
    return (emotions.sum(axis=1) > 0) & (emotions.max(axis=1) > cleaned[:, _EMOTIONS:].max(axis=1))


def read_ferplus_folder(root: Path) -> FaceSet:
    """The FER+ folders under root: each split's label.csv and the PNGs it names."""
    root = Path(root)
    rows = []  # (source, split, votes, image or None, problem)
    for folder, split in FOLDERS.items():
        labels = root / folder / "label.csv"
        if labels.is_file():
            rows += [_folder_row(root / folder, split, record) for record in _read_rows(labels)]
    if not rows:
        raise MienError(f"no FER+ label.csv under {root} (expected {', '.join(FOLDERS)}/label.csv)")
    return _face_set(rows)


def read_ferplus_csv(path: Path) -> FaceSet:
    """fer2013new.csv's votes joined, row for row, to the faces of fer2013.csv beside it."""
    path = Path(path)
    pixels_csv = path.with_name("fer2013.csv")
    if not pixels_csv.is_file():
        raise MienError(f"{path}: FER+ votes need the faces of fer2013.csv beside them ({pixels_csv})")
    faces = read_csv(pixels_csv)
    face_of_line = {_line(source): index for index, source in enumerate(faces.sources)}
    rows = []
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"Usage", "Image name", *VOTE_COLUMNS} - set(reader.fieldnames or ())
        if missing:
            raise MienError(f"{path.name}: missing column(s) {', '.join(sorted(missing))}")
        for row in reader:
            source = f"{path.name}:{reader.line_num}"
            votes, problem = _parse_votes([row[name] for name in VOTE_COLUMNS])
            face = face_of_line.get(reader.line_num)  # the same line of fer2013.csv
            image = None if face is None else faces.images[face]
            if not row["Image name"]:
                problem = NO_FACE
            elif image is None:
                problem = problem or "its fer2013.csv row was skipped"
            if row["Usage"] not in SPLITS:
                problem = problem or f"Usage {row['Usage']!r} is not one of {', '.join(SPLITS)}"
            rows.append((source, row["Usage"], votes, image, problem))
    ferplus = _face_set(rows)
    # Each row's own FER2013 label, named as FER+ names it: fer2013.csv's row on the same line.
    to_ferplus = np.array([FERPLUS_CLASSES.index(name) for name in faces.class_names])
    faces_kept = [face_of_line[_line(source)] for source in ferplus.sources]
    return replace(ferplus, fer2013_labels=to_ferplus[faces.labels[faces_kept]])


def _line(source: str) -> int:
    """The line number of a "FILE.csv:LINE" source."""
    return int(source.rsplit(":", 1)[1])


def _read_rows(labels: Path) -> list[list[str]]:
    with labels.open(newline="") as handle:
        return [record for record in csv.reader(handle) if record]


def _folder_row(folder: Path, split: str, record: list[str]):
    source = f"{folder.name}/{record[0]}"
    votes, problem = _parse_votes(record[2:])
    image = None
    if problem is None:
        path = folder / record[0]
        image, problem = decode_face(path.read_bytes()) if path.is_file() else (None, "image missing")
    return source, split, votes, image, problem


def _parse_votes(values: list[str]) -> tuple[np.ndarray | None, str | None]:
    try:
        votes = np.array([int(value) for value in values], dtype=np.int64)
    except ValueError:
        return None, "a vote count is not a whole number"
    if len(votes) != len(VOTE_COLUMNS) or votes.min() < 0:
        return None, f"expected {len(VOTE_COLUMNS)} vote counts, got {values}"
    return votes, None


def _face_set(rows: list) -> FaceSet:
    kept = [(source, split, votes, image) for source, split, votes, image, problem in rows if problem is None]
    skipped = tuple(Skipped(source, problem) for source, _, _, _, problem in rows if problem is not None)
    if not kept:
        raise MienError("no usable FER+ faces")
    votes = np.stack([votes for _, _, votes, _ in kept])
    return FaceSet(
        images=np.stack([image for _, _, _, image in kept]),
        labels=majority_labels(votes),
        splits=np.array([SPLITS.index(split) for _, split, _, _ in kept], dtype=np.int8),
        sources=np.array([source for source, _, _, _ in kept]),
        skipped=skipped,
        class_names=FERPLUS_CLASSES,
        votes=votes,
    )
