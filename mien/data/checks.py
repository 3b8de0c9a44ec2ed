"""Data-set health: counts per split and class, and the problems a training run should know about."""

from __future__ import annotations

import hashlib
from collections import defaultdict

import numpy as np

from mien.data.fer2013 import CLASS_NAMES, SPLITS, FaceSet

BLANK_STD = 2.0  # a face whose pixel standard deviation is below this is blank or near-constant


def check_faces(faces: FaceSet) -> dict:
    """Counts per split and class, unreadable and wrong-size files, blank images and duplicates."""
    counts = {}
    for split_index, split in enumerate(SPLITS):
        labels = faces.labels[faces.splits == split_index]
        per_class = np.bincount(labels, minlength=len(CLASS_NAMES))
        counts[split] = {"total": int(len(labels)), "classes": dict(zip(CLASS_NAMES, map(int, per_class)))}
    stds = faces.images.reshape(len(faces), -1).std(axis=1)
    blank = [str(faces.sources[i]) for i in np.flatnonzero(stds < BLANK_STD)]
    return {
        "total": int(len(faces)),
        "splits": counts,
        "problems": {
            "unreadable": [
                {"file": s.source, "reason": s.reason}
                for s in faces.skipped
                if not s.reason.startswith("wrong size")
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
        labels = sorted({CLASS_NAMES[faces.labels[i]] for i in members})
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
