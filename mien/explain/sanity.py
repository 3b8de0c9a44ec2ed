"""The model-randomisation sanity check of Adebayo et al. (2018).

A map that explains the model must change when the model's weights are replaced by random ones.
For each method: the Spearman rank correlation between the trained model's map and the
randomised model's map, averaged over faces. Near 1 means the method ignores the model (it shows
the image, not the reasoning); near 0 passes.
"""

from __future__ import annotations

import copy

import numpy as np
import torch
from scipy.stats import spearmanr
from torch import nn

from mien.explain.base import explain


def randomised(model: nn.Module, seed: int = 2018) -> nn.Module:
    """A copy of the model with every layer re-initialised (batch-norm statistics kept)."""
    copy_ = copy.deepcopy(model)
    with torch.random.fork_rng():  # leave the caller's random state alone
        torch.manual_seed(seed)
        for module in copy_.modules():
            if isinstance(module, nn.Conv2d | nn.Linear):
                module.reset_parameters()
    return copy_.eval()


def rank_correlations(model: nn.Module, faces: torch.Tensor, methods: list[str]) -> dict[str, float]:
    """Mean Spearman correlation, per method, between trained and randomised maps of each face."""
    random_model = randomised(model)
    results = {}
    for method in methods:
        values = []
        for face in faces:
            x = face[None]
            trained, target = explain(model, x, method)
            random_map, _ = explain(random_model, x, method, target)
            if trained.std() > 0 and random_map.std() > 0:
                values.append(spearmanr(trained.ravel(), random_map.ravel()).statistic)
        results[method] = float(np.mean(values)) if values else float("nan")
    return results
