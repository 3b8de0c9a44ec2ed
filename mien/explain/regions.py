"""Where on the face a map puts its weight: eyes, nose and mouth regions of the aligned crop.

The regions follow the alignment (eye midpoint at EYES_Y of the height, EYE_DISTANCE apart),
so they fit every face mien aligns and FER2013's own framing, which the alignment copies.
"""

from __future__ import annotations

import numpy as np
from tqdm import tqdm

from mien.data.loaders import to_model_input
from mien.explain.base import explain
from mien.vision.align import EYE_DISTANCE, EYES_Y

# Boxes as fractions of the side: (top, bottom, left, right).
_EYE_HALF = EYE_DISTANCE / 2
REGIONS = {
    "eyes": (EYES_Y - 0.12, EYES_Y + 0.10, 0.5 - _EYE_HALF - 0.14, 0.5 + _EYE_HALF + 0.14),
    "nose": (EYES_Y + 0.10, EYES_Y + 0.30, 0.5 - 0.14, 0.5 + 0.14),
    "mouth": (EYES_Y + 0.30, EYES_Y + 0.52, 0.5 - 0.25, 0.5 + 0.25),
}


def region_masks(size: int) -> dict[str, np.ndarray]:
    """Boolean (size, size) masks of the eyes, nose and mouth regions."""
    masks = {}
    for name, (top, bottom, left, right) in REGIONS.items():
        mask = np.zeros((size, size), bool)
        mask[round(top * size) : round(bottom * size), round(left * size) : round(right * size)] = True
        masks[name] = mask
    return masks


def region_shares(heat: np.ndarray, masks: dict[str, np.ndarray]) -> dict[str, float] | None:
    """The share of the map's total weight inside each region; None for an empty map."""
    total = float(heat.sum())
    if total <= 0:
        return None
    return {name: float(heat[mask].sum() / total) for name, mask in masks.items()}


def region_report(predictor, faces: np.ndarray, methods: list[str]) -> dict:
    """Mean region shares per predicted class and method, over aligned faces (N, size, size)."""
    masks = region_masks(predictor.input_size)
    area = {name: float(mask.mean()) for name, mask in masks.items()}  # the share a flat map gives
    labels = predictor.classify(faces).argmax(axis=1)
    sums: dict = {}
    for face, label in tqdm(list(zip(faces, labels)), desc="explaining", unit="face", disable=None):
        x = to_model_input(face[None], predictor.preprocess)
        for method in methods:
            heat, _ = explain(predictor.model, x, method, int(label))
            shares = region_shares(heat, masks)
            entry = sums.setdefault(predictor.class_names[label], {}).setdefault(
                method, {"faces": 0, "empty": 0}
            )
            if shares is None:
                entry["empty"] += 1
                continue
            entry["faces"] += 1
            for region, share in shares.items():
                entry[region] = entry.get(region, 0.0) + share
    for per_method in sums.values():
        for entry in per_method.values():
            for region in masks:
                entry[region] = entry.get(region, 0.0) / max(1, entry["faces"])
    return {"regions": REGIONS, "region_area": area, "classes": sums}
