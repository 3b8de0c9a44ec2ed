"""Read RAF-DB's basic part (in-the-wild faces, seven classes) into a face set like FER2013's.

Layouts:
- folders: ``<root>/train/<code>/train_NNNNN_aligned.jpg`` and ``<root>/test/<code>/...``, the code
  RAF-DB's class number (1 surprise ... 7 neutral);
- RAF-DB's own: ``basic/EmoLabel/list_patition_label.txt`` (lines ``train_00001.jpg 5``) beside
  ``basic/Image/aligned/train_00001_aligned.jpg`` (the root may be ``basic`` or the folder above it).

Train becomes the Training split and test the PrivateTest split: RAF-DB has no validation split, so
runs choose on a share of Training held out (data.holdout) and read test once per figure. The
faces are kept as RAF-DB frames them (mien.data.framing measured the alternative), 48 px grey.
Classes are FER2013's seven, under mien's names; unreadable files are skipped and recorded.
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from mien.data.fer2013 import CLASS_NAMES, SPLITS, FaceSet, Skipped
from mien.data.framing import reframe
from mien.errors import MienError

CODE_TO_NAME = {1: "surprise", 2: "fear", 3: "disgust", 4: "happy", 5: "sad", 6: "angry", 7: "neutral"}
SPLIT_OF_PREFIX = {"train": "Training", "test": "PrivateTest"}
LABEL_LIST = Path("EmoLabel") / "list_patition_label.txt"  # RAF-DB's spelling
ALIGNED = Path("Image") / "aligned"
FRAMING = "native"  # measured against "pipeline": see the model card's RAF-DB section


def is_rafdb(source: Path) -> bool:
    """True for a folder in either RAF-DB layout."""
    source = Path(source)
    if not source.is_dir():
        return False
    return _official_root(source) is not None or any(
        (source / prefix / str(code)).is_dir() for prefix in SPLIT_OF_PREFIX for code in CODE_TO_NAME
    )


def rafdb_files(source: Path) -> list[Path]:
    """Every file the faces are read from (for the cache's fingerprint)."""
    source = Path(source)
    official = _official_root(source)
    if official is not None:
        return [official / LABEL_LIST, *sorted((official / ALIGNED).glob("*.jpg"))]
    return [path for path, *_ in _folder_entries(source)]


def read_rafdb(source: Path, framing: str = FRAMING) -> FaceSet:
    """RAF-DB's faces, labels and splits from either layout."""
    source = Path(source)
    official = _official_root(source)
    entries = _official_entries(official) if official is not None else _folder_entries(source)
    if not entries:
        raise MienError(f"no RAF-DB faces under {source} (expected train/<1-7>/*.jpg or basic/{LABEL_LIST})")
    images, labels, splits, sources, skipped = [], [], [], [], []
    for path, source_name, code, prefix in tqdm(
        entries, desc="decoding RAF-DB", unit="img", leave=False, disable=None
    ):
        image, problem = _decode(path, framing)
        if problem is None and code not in CODE_TO_NAME:
            problem = "no RAF-DB label 1-7 (train_ or test_ file and class number)"
        if problem is not None:
            skipped.append(Skipped(source_name, problem))
            print(f"warning: skipped {source_name}: {problem}", file=sys.stderr)
            continue
        images.append(image)
        labels.append(CLASS_NAMES.index(CODE_TO_NAME[code]))
        splits.append(SPLITS.index(SPLIT_OF_PREFIX[prefix]))
        sources.append(source_name)
    if not images:
        raise MienError(f"no usable RAF-DB faces under {source}")
    return FaceSet(
        images=np.stack(images),
        labels=np.array(labels, dtype=np.int64),
        splits=np.array(splits, dtype=np.int8),
        sources=np.array(sources),
        skipped=tuple(skipped),
    )


def _official_root(source: Path) -> Path | None:
    """The ``basic`` folder of RAF-DB's own layout: the source itself or its ``basic``."""
    for root in (source, source / "basic"):
        if (root / LABEL_LIST).is_file():
            return root
    return None


def _folder_entries(root: Path) -> list[tuple[Path, str, int, str]]:
    """(file, source name, class code, split prefix) of each face in the folder layout."""
    entries = []
    for prefix in SPLIT_OF_PREFIX:
        for path in sorted((root / prefix).glob("*/*.jpg")):
            code = int(path.parent.name) if path.parent.name.isdigit() else -1
            entries.append((path, str(path.relative_to(root)), code, prefix))
    return entries


def _official_entries(root: Path) -> list[tuple[Path, str, int, str]]:
    """The same from list_patition_label.txt; a line that names no split or no number is kept as
    a face to skip, so the check lists it."""
    entries = []
    for number, line in enumerate((root / LABEL_LIST).read_text().splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        name = fields[0]
        prefix = name.split("_", 1)[0]
        code = int(fields[1]) if len(fields) == 2 and fields[1].isdigit() else -1
        if prefix not in SPLIT_OF_PREFIX:
            prefix, code = "train", -1  # skipped below as a bad label
        aligned = root / ALIGNED / f"{Path(name).stem}_aligned.jpg"
        entries.append((aligned, f"{LABEL_LIST.name}:{number} {name}", code, prefix))
    return entries


def _decode(path: Path, framing: str) -> tuple[np.ndarray | None, str | None]:
    if not path.is_file():
        return None, "image missing"
    data = path.read_bytes()
    if not data:
        return None, "empty file"
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        return None, "not a readable image"
    if image.shape[0] != image.shape[1]:
        return None, f"not square ({image.shape[1]}x{image.shape[0]}): not one of RAF-DB's aligned faces"
    return reframe(cv2.cvtColor(image, cv2.COLOR_BGR2RGB), framing), None
