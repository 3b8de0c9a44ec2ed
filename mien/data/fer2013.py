"""Read FER2013 from its two common formats into one in-memory face set.

Formats:
- the image-folder layout: ``<root>/**/<emotion>/<Split>_<id>.jpg`` where the split is the file
  name prefix (Training, PublicTest, PrivateTest), not the folder;
- the original ``fer2013.csv`` with columns ``emotion,pixels,Usage``.

Both give the same arrays and labels for the same images. Unreadable items are skipped and
recorded in ``FaceSet.skipped``; they never stop a load.
"""

from __future__ import annotations

import csv
import sys
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from mien.errors import MienError
from mien.vision.io import image_files_under

# Class index order everywhere in mien: the folder names, alphabetically.
CLASS_NAMES = ("angry", "disgust", "fear", "happy", "neutral", "sad", "surprise")
# The official codes of fer2013.csv: 0 angry, 1 disgust, 2 fear, 3 happy, 4 sad, 5 surprise, 6 neutral.
CSV_CODE_TO_NAME = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
SPLITS = ("Training", "PublicTest", "PrivateTest")
# Short names used on the command line.
SPLIT_ALIASES = {"train": "Training", "public": "PublicTest", "private": "PrivateTest"}
IMAGE_SIZE = 48


@dataclass(frozen=True)
class Skipped:
    """An item that could not be used, and why."""

    source: str
    reason: str


@dataclass(frozen=True)
class FaceSet:
    """Decoded faces with labels and official splits, all arrays aligned on the first axis."""

    images: np.ndarray  # (N, 48, 48) uint8
    labels: np.ndarray  # (N,) int64, index into CLASS_NAMES
    splits: np.ndarray  # (N,) int8, index into SPLITS
    sources: np.ndarray  # (N,) str: file path relative to the root, or "fer2013.csv:LINE"
    skipped: tuple[Skipped, ...] = ()
    class_names: tuple[str, ...] = CLASS_NAMES  # what the labels index
    # FER+: each face's ten raters' votes, in FER+'s column order (mien.data.ferplus.VOTE_COLUMNS);
    # the labels are then the majority (-1: none, or unknown, or not a face).
    votes: np.ndarray | None = None  # (N, 10) int
    # FER+: each face's single FER2013 label, an index into class_names (-1: not known); see
    # mien.data.pairing.
    fer2013_labels: np.ndarray | None = None  # (N,) int64

    def __len__(self) -> int:
        return len(self.labels)

    def select(self, split: str) -> FaceSet:
        """The faces of one split, by official name or alias (train, public, private)."""
        split_index = SPLITS.index(resolve_split(split))
        return self.take(np.flatnonzero(self.splits == split_index))

    def take(self, keep: np.ndarray) -> FaceSet:
        """The faces at indices (or where a mask is true) ``keep``, with everything that describes them."""
        votes = None if self.votes is None else self.votes[keep]
        fer2013_labels = None if self.fer2013_labels is None else self.fer2013_labels[keep]
        return FaceSet(self.images[keep], self.labels[keep], self.splits[keep], self.sources[keep],
                       class_names=self.class_names, votes=votes, fer2013_labels=fer2013_labels)  # fmt: skip


def resolve_split(name: str) -> str:
    """Map an alias or official split name to the official name."""
    official = SPLIT_ALIASES.get(name, name)
    if official not in SPLITS:
        valid = ", ".join([*SPLIT_ALIASES, *SPLITS])
        raise MienError(f"unknown split {name!r}; valid: {valid}")
    return official


def read_folder(root: Path) -> FaceSet:
    """Decode every labelled face in the image-folder layout under root."""
    root = Path(root)
    if not root.is_dir():
        raise MienError(f"data folder not found: {root}")
    files = image_files_under(root)
    collected = _Collector()
    for path in _progress(files, "decoding FER2013 images"):
        source = str(path.relative_to(root))
        label, split, problem = _label_and_split(path)
        image = None
        if problem is None:
            image, problem = decode_face(path.read_bytes())
        collected.add(source, image, label, split, problem)
    if not collected.images:
        raise MienError(f"no labelled FER2013 images under {root} (expected <emotion>/<Split>_<id>.jpg)")
    return collected.face_set()


def read_csv(path: Path) -> FaceSet:
    """Decode every row of the original fer2013.csv (emotion, pixels, Usage)."""
    path = Path(path)
    if not path.is_file():
        raise MienError(f"CSV file not found: {path}")
    collected = _Collector()
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"emotion", "pixels", "Usage"} - set(reader.fieldnames or ())
        if missing:
            raise MienError(f"{path.name}: missing column(s) {', '.join(sorted(missing))}")
        for row in reader:
            try:
                image, label, split = _parse_csv_row(row)
                problem = None
            except ValueError as err:
                image, label, split, problem = None, -1, -1, str(err)
            collected.add(f"{path.name}:{reader.line_num}", image, label, split, problem)
    if not collected.images:
        raise MienError(f"{path}: no valid rows")
    return collected.face_set()


def decode_face(data: bytes) -> tuple[np.ndarray | None, str | None]:
    """Decode one face image to (48, 48) grey uint8, or return the reason it cannot be used."""
    if not data:
        return None, "empty file"
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
    if image is None:
        return None, "not a readable image"
    if image.shape != (IMAGE_SIZE, IMAGE_SIZE):
        return None, f"wrong size {image.shape[1]}x{image.shape[0]}, expected 48x48"
    return image, None


def _label_and_split(path: Path) -> tuple[int, int, str | None]:
    if path.parent.name not in CLASS_NAMES:
        return -1, -1, f"folder {path.parent.name!r} is not an emotion ({', '.join(CLASS_NAMES)})"
    prefix = path.name.split("_", 1)[0]
    if prefix not in SPLITS:
        return -1, -1, f"file name prefix {prefix!r} is not a split ({', '.join(SPLITS)})"
    return CLASS_NAMES.index(path.parent.name), SPLITS.index(prefix), None


def _parse_csv_row(row: dict) -> tuple[np.ndarray, int, int]:
    try:
        code = int(row["emotion"])
        name = CSV_CODE_TO_NAME[code]
    except (TypeError, ValueError, IndexError):
        raise ValueError(f"emotion {row['emotion']!r} is not a code 0-6") from None
    if row["Usage"] not in SPLITS:
        raise ValueError(f"Usage {row['Usage']!r} is not one of {', '.join(SPLITS)}")
    try:
        pixels = np.array((row["pixels"] or "").split(), dtype=np.int64)
    except ValueError:
        raise ValueError("pixels holds a value that is not an integer") from None
    if pixels.size != IMAGE_SIZE * IMAGE_SIZE:
        raise ValueError(f"pixels has {pixels.size} values, expected {IMAGE_SIZE * IMAGE_SIZE}")
    if pixels.min() < 0 or pixels.max() > 255:
        raise ValueError("pixels has a value outside 0-255")
    image = pixels.astype(np.uint8).reshape(IMAGE_SIZE, IMAGE_SIZE)
    return image, CLASS_NAMES.index(name), SPLITS.index(row["Usage"])


class _Collector:
    """Gathers decoded faces and skipped items while a reader walks its source."""

    def __init__(self):
        self.images, self.labels, self.splits, self.sources = [], [], [], []
        self.skipped: list[Skipped] = []

    def add(self, source: str, image: np.ndarray | None, label: int, split: int, problem: str | None) -> None:
        if problem is not None:
            self.skipped.append(Skipped(source, problem))
            print(f"warning: skipped {source}: {problem}", file=sys.stderr)
            return
        self.images.append(image)
        self.labels.append(label)
        self.splits.append(split)
        self.sources.append(source)

    def face_set(self) -> FaceSet:
        return FaceSet(
            images=np.stack(self.images),
            labels=np.array(self.labels, dtype=np.int64),
            splits=np.array(self.splits, dtype=np.int8),
            sources=np.array(self.sources),
            skipped=tuple(self.skipped),
        )


def _progress(items, description: str):
    from tqdm import tqdm

    return tqdm(items, desc=description, unit="img", leave=False, disable=len(items) < 5000)
