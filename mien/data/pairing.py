"""Each FER+ face's single FER2013 label. FER+ re-labelled FER2013's own faces, so both sets hold the
same pixels under different names (the FER2013 folder layout as JPEG re-encodings, FER+ as lossless
PNGs). A FER+ face is paired with the FER2013 face of the same split nearest to it in pixels; a pair
further apart than ``MAX_RMS`` grey levels is no pair (the face is left without a FER2013 label).
fer2013new.csv needs none of this: its rows are fer2013.csv's, in order (``read_ferplus_csv``).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch
import torch.nn.functional as F

from mien.data.fer2013 import SPLITS, FaceSet
from mien.errors import MienError

MAX_RMS = 8.0  # grey levels: JPEG re-encoding moves a face by about 1-3, another face by 30 and more
NO_PAIR = -1


def with_fer2013_labels(ferplus: FaceSet, fer2013: FaceSet) -> FaceSet:
    """``ferplus`` with ``fer2013_labels``: each face's FER2013 label as an index into its own class
    names (FER2013's seven are among FER+'s eight), or NO_PAIR."""
    if ferplus.votes is None:
        raise MienError("FER2013 labels pair with FER+ faces (data with votes), not with FER2013 itself")
    to_ferplus = np.array([ferplus.class_names.index(name) for name in fer2013.class_names])
    labels = np.full(len(ferplus), NO_PAIR, dtype=np.int64)
    for split in range(len(SPLITS)):
        queries, references = np.flatnonzero(ferplus.splits == split), np.flatnonzero(fer2013.splits == split)
        if len(queries) == 0 or len(references) == 0:
            continue
        nearest, rms = nearest_faces(ferplus.images[queries], fer2013.images[references])
        paired = rms <= MAX_RMS
        labels[queries[paired]] = to_ferplus[fer2013.labels[references[nearest[paired]]]]
    return replace(ferplus, fer2013_labels=labels)


def nearest_faces(
    queries: np.ndarray, references: np.ndarray, chunk: int = 1024
) -> tuple[np.ndarray, np.ndarray]:
    """For each (H, W) uint8 query face, the index of the nearest reference face and the root mean
    square difference of their pixels, in grey levels. Candidates are found on 3x3-pooled copies
    (which also smooths JPEG noise), then measured at full size."""
    pooled_references = _pooled(references)
    reference_norms = (pooled_references**2).sum(dim=1)
    nearest = []
    for start in range(0, len(queries), chunk):
        pooled = _pooled(queries[start : start + chunk])
        # squared distances, less |query|^2, which is the same for every reference
        distances = reference_norms[None, :] - 2 * pooled @ pooled_references.T
        nearest.append(distances.argmin(dim=1).numpy())
    nearest = np.concatenate(nearest)
    difference = queries.astype(np.float32) - references[nearest].astype(np.float32)
    rms = np.sqrt((difference**2).reshape(len(queries), -1).mean(axis=1))
    return nearest, rms


def _pooled(faces: np.ndarray) -> torch.Tensor:
    images = torch.from_numpy(faces).float().unsqueeze(1)
    return F.avg_pool2d(images, 3).flatten(1)
