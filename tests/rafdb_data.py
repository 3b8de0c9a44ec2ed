"""A tiny RAF-DB written by the tests themselves, in both of its layouts: 100x100 colour faces,
RAF-DB's class numbers (1 surprise ... 7 neutral)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from mien.data.fer2013 import CLASS_NAMES
from mien.data.rafdb import CODE_TO_NAME
from mien.data.synthetic import draw_face

# (file stem as RAF-DB numbers it, class number)
FACES = [("train_00001", 5), ("train_00002", 1), ("train_00003", 4), ("train_00004", 7), ("train_00005", 6),
         ("train_00006", 3), ("train_00007", 2), ("test_0001", 4), ("test_0002", 6)]  # fmt: skip


def face_image(stem: str, code: int) -> np.ndarray:
    """A 100x100 BGR cartoon face of the class, tinted so colour is really there."""
    grey = draw_face(CLASS_NAMES.index(CODE_TO_NAME[code]), np.random.default_rng(sum(map(ord, stem))))
    big = cv2.resize(grey, (100, 100), interpolation=cv2.INTER_LINEAR)
    return np.dstack(
        [big, (big * 0.8).astype(np.uint8), np.minimum(255, big.astype(int) + 30).astype(np.uint8)]
    )


def write_rafdb_folders(root: Path, copies: int = 1) -> Path:
    """``<root>/train/<code>/<stem>_aligned.jpg`` and test likewise, with the label CSVs; each face
    ``copies`` times (numbered on from the last)."""
    faces = [
        (f"{stem[:-2]}{copy}{stem[-1]}" if copy else stem, code)
        for copy in range(copies)
        for stem, code in FACES
    ]
    for prefix in ("train", "test"):
        rows = ["image,label"]
        for stem, code in faces:
            if stem.startswith(prefix):
                path = root / prefix / str(code) / f"{stem}_aligned.jpg"
                path.parent.mkdir(parents=True, exist_ok=True)
                cv2.imwrite(str(path), face_image(stem, code))
                rows.append(f"{stem}_aligned.jpg,{code}")
        (root / f"{prefix}_labels.csv").write_text("\n".join(rows) + "\n")
    return root


def write_rafdb_official(root: Path, extra_lines: tuple[str, ...] = ()) -> Path:
    """RAF-DB's own layout: ``basic/EmoLabel/list_patition_label.txt`` and ``basic/Image/aligned/``."""
    basic = root / "basic"
    (basic / "EmoLabel").mkdir(parents=True)
    (basic / "Image" / "aligned").mkdir(parents=True)
    lines = []
    for stem, code in FACES:
        cv2.imwrite(str(basic / "Image" / "aligned" / f"{stem}_aligned.jpg"), face_image(stem, code))
        lines.append(f"{stem}.jpg {code}")
    (basic / "EmoLabel" / "list_patition_label.txt").write_text("\n".join([*lines, *extra_lines]) + "\n")
    return root
