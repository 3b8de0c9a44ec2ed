"""Data-set health: counts per split and class, and the problems a training run should know about;
for FER+, also how strongly its raters agree and which images they did not see as an expression."""

from __future__ import annotations

import hashlib
from collections import defaultdict

import numpy as np

from mien.data.fer2013 import SPLITS, FaceSet
from mien.data.ferplus import NO_FACE, VOTE_COLUMNS, clean_votes

BLANK_STD = 2.0  # a face whose pixel standard deviation is below this is blank or near-constant
NO_MAJORITY = "no majority"  # FER+: no class has over half of the votes, or unknown / not-a-face has
SHARE_BINS = 10  # the winning share's histogram: (0, 0.1], (0.1, 0.2], ..., (0.9, 1]


def check_faces(faces: FaceSet) -> dict:
    """Counts per split and class, unreadable and wrong-size files, blank images and duplicates;
    with votes (FER+), the "votes" section of ``check_votes`` too."""
    counts = {}
    for split_index, split in enumerate(SPLITS):
        labels = faces.labels[faces.splits == split_index]
        per_class = np.bincount(labels[labels >= 0], minlength=len(faces.class_names))
        counts[split] = {
            "total": int(len(labels)),
            "classes": dict(zip(faces.class_names, map(int, per_class))),
        }
        if faces.votes is not None:
            counts[split]["no_majority"] = int((labels < 0).sum())
    stds = faces.images.reshape(len(faces), -1).std(axis=1)
    blank = [str(faces.sources[i]) for i in np.flatnonzero(stds < BLANK_STD)]
    report = {
        "total": int(len(faces)),
        "splits": counts,
        "problems": {
            "unreadable": [
                {"file": s.source, "reason": s.reason}
                for s in faces.skipped
                if not s.reason.startswith("wrong size") and s.reason != NO_FACE
            ],
            "wrong_size": [
                {"file": s.source, "reason": s.reason}
                for s in faces.skipped
                if s.reason.startswith("wrong size")
            ],
            "blank": blank,
            "empty_classes": [
                f"{split}/{name}"
                for split, entry in counts.items()
                if entry["total"] > 0
                for name, count in entry["classes"].items()
                if count == 0
            ],
            "duplicates": find_duplicates(faces),
        },
    }
    if faces.votes is not None:
        report["votes"] = check_votes(faces)
    return report


def check_votes(faces: FaceSet) -> dict:
    """FER+'s votes once single votes are dropped: a histogram of the winning share (the top column's
    share of the remaining votes; above one half is a majority), the faces with no vote left, and the
    images that not-a-face or unknown leads or ties for the lead (left out of training and scoring),
    with the fer2013new.csv rows FER+ made no image of."""
    cleaned = clean_votes(faces.votes)  # (N, 10)
    top, total = cleaned.max(axis=1), cleaned.sum(axis=1)
    voted = total > 0
    # Whole numbers only: bin i holds shares in (i/bins, (i+1)/bins], so exactly 1/2 is no majority.
    bin_of = -(-SHARE_BINS * top[voted] // total[voted]) - 1
    histogram = np.bincount(bin_of, minlength=SHARE_BINS)
    return {
        "winning_share": [
            {"low": index / SHARE_BINS, "high": (index + 1) / SHARE_BINS, "count": int(count)}
            for index, count in enumerate(histogram)
        ],
        "no_votes_left": [str(source) for source in faces.sources[~voted]],
        "not_a_face": _led_by(faces, cleaned, "NF"),
        "unknown": _led_by(faces, cleaned, "unknown"),
        "no_image": [s.source for s in faces.skipped if s.reason == NO_FACE],
    }


def _led_by(faces: FaceSet, cleaned: np.ndarray, column: str) -> list[str]:
    votes = cleaned[:, VOTE_COLUMNS.index(column)]
    return [str(faces.sources[i]) for i in np.flatnonzero((votes > 0) & (votes == cleaned.max(axis=1)))]


def find_duplicates(faces: FaceSet) -> list[dict]:
    """Groups of pixel-identical images, with their splits and labels (conflicts are label noise)."""
    groups: dict[bytes, list[int]] = defaultdict(list)
    for index, image in enumerate(faces.images):
        groups[hashlib.blake2b(image.tobytes(), digest_size=16).digest()].append(index)
    duplicates = []
    for members in groups.values():
        if len(members) < 2:
            continue
        splits = sorted({SPLITS[faces.splits[i]] for i in members})
        labels = sorted({_label_name(faces, i) for i in members})
        duplicates.append(
            {
                "files": [str(faces.sources[i]) for i in members],
                "splits": splits,
                "labels": labels,
                "across_splits": len(splits) > 1,
                "conflicting_labels": len(labels) > 1,
            }
        )
    return sorted(duplicates, key=lambda group: group["files"][0])


def _label_name(faces: FaceSet, index: int) -> str:
    label = faces.labels[index]
    return faces.class_names[label] if label >= 0 else NO_MAJORITY


def summarize_problems(report: dict) -> dict:
    """The number of problems of each kind, for a one-line summary."""
    problems = report["problems"]
    duplicates = problems["duplicates"]
    return {
        "unreadable": len(problems["unreadable"]),
        "wrong_size": len(problems["wrong_size"]),
        "blank": len(problems["blank"]),
        "empty_classes": len(problems["empty_classes"]),
        "duplicate_groups": len(duplicates),
        "duplicate_groups_across_splits": sum(group["across_splits"] for group in duplicates),
        "duplicate_groups_conflicting_labels": sum(group["conflicting_labels"] for group in duplicates),
    }
