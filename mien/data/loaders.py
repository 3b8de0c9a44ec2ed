"""From uint8 faces to normalised float batches: the one preprocessing shared by training and inference."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch

from mien.config import PreprocessConfig


def to_model_input(images: np.ndarray | torch.Tensor, spec: PreprocessConfig | dict) -> torch.Tensor:
    """(N, H, W) uint8 grey faces -> (N, 1, H, W) float, scaled and centred as in training."""
    if isinstance(spec, dict):
        spec = PreprocessConfig(**spec)
    pixels = torch.as_tensor(images)
    if pixels.ndim == 3:
        pixels = pixels.unsqueeze(1)
    return (pixels.float() / 255.0 - spec.mean) / spec.std


def epoch_order(count: int, draw_weights: np.ndarray | None, generator: torch.Generator) -> torch.Tensor:
    """Indices for one epoch of ``count`` faces: a permutation, or with ``draw_weights`` (each face's
    relative chance) a draw of as many with replacement."""
    if draw_weights is None:
        return torch.randperm(count, generator=generator)
    weights = torch.as_tensor(draw_weights, dtype=torch.double)
    return torch.multinomial(weights, count, replacement=True, generator=generator)


def batches(order: torch.Tensor, batch_size: int, drop_last: bool) -> Iterator[torch.Tensor]:
    """Split an index order into batches of indices."""
    stop = len(order) - (len(order) % batch_size if drop_last else 0)
    for start in range(0, stop, batch_size):
        yield order[start : start + batch_size]


def stratified_subset(labels: np.ndarray, limit: int, seed: int) -> np.ndarray:
    """Indices of about ``limit`` items keeping every class's share (at least one per class)."""
    if limit <= 0 or limit >= len(labels):
        return np.arange(len(labels))
    rng = np.random.default_rng(seed)
    chosen = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        take = max(1, round(limit * len(members) / len(labels)))
        chosen.append(rng.choice(members, size=min(take, len(members)), replace=False))
    return np.sort(np.concatenate(chosen))


def class_weights(labels: np.ndarray, num_classes: int, mode: str) -> torch.Tensor | None:
    """Loss weights from class frequencies, normalised to mean 1; None for ``none``."""
    if mode == "none":
        return None
    counts = np.bincount(labels, minlength=num_classes).astype(np.float64).clip(min=1)
    if mode == "inverse":
        weights = 1.0 / counts
    elif mode == "sqrt":
        weights = 1.0 / np.sqrt(counts)
    else:
        raise ValueError(f"unknown class weighting {mode!r}; valid: none, sqrt, inverse")
    return torch.as_tensor(weights / weights.mean(), dtype=torch.float32)
