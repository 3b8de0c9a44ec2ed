"""A tiny FER+ written by the tests themselves, in both of its layouts, with votes written by hand.

Votes are in FER+'s column order: neutral, happiness, surprise, sadness, anger, disgust, fear,
contempt, unknown, NF. A row without an image name is one FER+ found no face in: fer2013new.csv
keeps it (with an empty name), the FER+ folders have no image and no label.csv line for it.
"""

from __future__ import annotations

import csv
from pathlib import Path

import cv2
import numpy as np

from mien.data.fer2013 import CLASS_NAMES, CSV_CODE_TO_NAME
from mien.data.ferplus import FOLDERS, VOTE_COLUMNS
from mien.data.synthetic import draw_face

# (split, image name, votes, the majority FER+'s rules give: a class name, or None)
FACES = [
    ("Training", "fer0000000.png", [0, 10, 0, 0, 0, 0, 0, 0, 0, 0], "happy"),
    ("Training", "fer0000001.png", [6, 4, 0, 0, 0, 0, 0, 0, 0, 0], "neutral"),  # 6-4
    ("Training", "fer0000002.png", [0, 0, 7, 0, 0, 0, 3, 0, 0, 0], "surprise"),
    ("Training", "fer0000003.png", [2, 0, 0, 8, 0, 0, 0, 0, 0, 0], "sad"),
    ("Training", "fer0000004.png", [0, 0, 0, 0, 9, 1, 0, 0, 0, 0], "angry"),  # the single vote goes
    ("Training", "fer0000005.png", [0, 0, 0, 0, 4, 6, 0, 0, 0, 0], "disgust"),
    ("Training", "fer0000006.png", [0, 0, 5, 0, 0, 0, 5, 0, 0, 0], None),  # 5-5: no majority
    ("Training", "fer0000007.png", [4, 0, 0, 0, 0, 0, 0, 6, 0, 0], "contempt"),
    ("Training", "fer0000008.png", [4, 1, 1, 1, 1, 1, 1, 0, 0, 0], "neutral"),  # 4 of the 4 left
    ("Training", "fer0000009.png", [4, 0, 0, 0, 0, 0, 0, 0, 6, 0], None),  # unknown wins
    ("Training", "fer0000010.png", [0, 3, 0, 0, 0, 0, 0, 0, 0, 7], None),  # not a face wins
    ("Training", "", [0, 0, 0, 0, 0, 0, 0, 0, 0, 10], None),  # FER+ made no image of it
    ("Training", "fer0000012.png", [0, 8, 0, 0, 0, 0, 0, 0, 2, 0], "happy"),
    ("Training", "fer0000013.png", [10, 0, 0, 0, 0, 0, 0, 0, 0, 0], "neutral"),
    ("Training", "fer0000014.png", [2, 0, 0, 5, 3, 0, 0, 0, 0, 0], None),  # 5 of 10 is not over half
    ("Training", "fer0000015.png", [0, 0, 10, 0, 0, 0, 0, 0, 0, 0], "surprise"),
    ("Training", "fer0000016.png", [0, 0, 0, 2, 0, 0, 8, 0, 0, 0], "fear"),
    ("PublicTest", "fer0000017.png", [4, 6, 0, 0, 0, 0, 0, 0, 0, 0], "happy"),
    ("PublicTest", "fer0000018.png", [2, 0, 0, 0, 0, 0, 0, 8, 0, 0], "contempt"),
    ("PublicTest", "fer0000019.png", [0, 0, 10, 0, 0, 0, 0, 0, 0, 0], "surprise"),
    ("PublicTest", "fer0000020.png", [5, 0, 0, 5, 0, 0, 0, 0, 0, 0], None),  # 5-5
    ("PublicTest", "fer0000021.png", [0, 0, 0, 0, 0, 0, 0, 0, 0, 10], None),  # not a face
    ("PublicTest", "fer0000022.png", [0, 0, 0, 9, 0, 0, 0, 0, 1, 0], "sad"),
    ("PublicTest", "", [0, 0, 0, 0, 0, 0, 0, 0, 1, 9], None),  # no image
    ("PublicTest", "fer0000024.png", [0, 0, 0, 0, 7, 0, 0, 0, 3, 0], "angry"),
    ("PublicTest", "fer0000025.png", [9, 0, 0, 0, 0, 0, 0, 0, 0, 1], "neutral"),
    ("PrivateTest", "fer0000026.png", [0, 0, 0, 2, 0, 0, 8, 0, 0, 0], "fear"),
    ("PrivateTest", "fer0000027.png", [0, 10, 0, 0, 0, 0, 0, 0, 0, 0], "happy"),
]
FOLDER_OF_SPLIT = {split: folder for folder, split in FOLDERS.items()}


def fer2013_label(index: int) -> str:
    """The single FER2013 label of FACES[index]: its majority, neutral where FER+ has none of
    FER2013's seven classes."""
    name = FACES[index][3]
    return name if name in CLASS_NAMES else "neutral"


def face_image(index: int, copy: int = 0) -> np.ndarray:
    """The (48, 48) grey face of FACES[index]: a cartoon of its FER2013 label (another one for
    each copy)."""
    return draw_face(CLASS_NAMES.index(fer2013_label(index)), np.random.default_rng(index + 1000 * copy))


def copy_name(name: str, copy: int) -> str:
    """FACES' image name for a copy of the face: fer0000003.png, then fer1000003.png, ..."""
    return f"fer{copy}{name[4:]}"


def write_fer2013_twin(root: Path, copies: int = 1) -> Path:
    """FER2013's folder layout holding the same faces as FER+ (those with an image), as JPEGs under
    other names and in another order, each in the folder of its FER2013 label."""
    for copy in range(copies):
        for index in reversed(range(len(FACES))):
            split, name, _, _ = FACES[index]
            if name:
                folder = root / "train" / fer2013_label(index)
                folder.mkdir(parents=True, exist_ok=True)
                cv2.imwrite(str(folder / f"{split}_{9000 + 100 * copy - index}.jpg"), face_image(index, copy))
    return root


def write_ferplus_folder(root: Path, copies: int = 1) -> Path:
    """FER+'s own layout: FER2013Train/, FER2013Valid/, FER2013Test/, each with PNGs and a header-less
    label.csv (file name, face box, ten votes); each face ``copies`` times, with the same votes."""
    for copy in range(copies):
        for index, (split, name, votes, _) in enumerate(FACES):
            if not name:
                continue
            folder = root / FOLDER_OF_SPLIT[split]
            folder.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(folder / copy_name(name, copy)), face_image(index, copy))
            with (folder / "label.csv").open("a", newline="") as handle:
                csv.writer(handle).writerow([copy_name(name, copy), "(0, 0, 48, 48)", *votes])
    return root


def write_ferplus_csv(folder: Path) -> Path:
    """fer2013.csv (every row, with pixels) and fer2013new.csv (its votes, row for row) in folder;
    the path of fer2013new.csv."""
    folder.mkdir(parents=True, exist_ok=True)
    with (
        (folder / "fer2013.csv").open("w", newline="") as pixels,
        (folder / "fer2013new.csv").open("w", newline="") as votes_file,
    ):
        faces, votes = csv.writer(pixels), csv.writer(votes_file)
        faces.writerow(["emotion", "pixels", "Usage"])
        votes.writerow(["Usage", "Image name", *VOTE_COLUMNS])
        for index, (split, name, counts, _) in enumerate(FACES):
            code = CSV_CODE_TO_NAME.index(fer2013_label(index))
            faces.writerow([code, " ".join(map(str, face_image(index).ravel())), split])
            votes.writerow([split, name, *counts])
    return folder / "fer2013new.csv"
