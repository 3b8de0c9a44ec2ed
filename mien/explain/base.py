"""The explainer base: validate the input, resolve the target class, normalise the map.

A method writes only its attribution step (``attribute``): a raw map the size of the input, in
which larger means more important for the target class. The base turns it into an (H, W) float
map in [0, 1].

Maps explain the target's log-probability, not its logit: evidence for a class is evidence
against the others, and a logit can rise while its class loses (all logits shift together).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from mien.errors import MienError

_EXPLAINERS: dict[str, Callable[[], Explainer]] = {}


class Explainer:
    """Subclasses implement ``attribute``; everything else is shared."""

    name = "base"

    def attribute(self, model: nn.Module, inputs: torch.Tensor, target: int) -> torch.Tensor:
        """Raw importance of each input pixel for the target logit, shaped like (1, 1, H, W)."""
        raise NotImplementedError

    def __call__(
        self, model: nn.Module, inputs: torch.Tensor, target: int | None = None
    ) -> tuple[np.ndarray, int]:
        """The normalised (H, W) map in [0, 1] and the target class it explains."""
        if inputs.ndim != 4 or inputs.shape[0] != 1:
            raise MienError(f"explain one face at a time: expected (1, C, H, W), got {tuple(inputs.shape)}")
        model.eval()
        with torch.no_grad():
            classes = model(inputs).shape[1]
            if target is None:
                target = int(model(inputs).argmax(dim=1))
        if not 0 <= target < classes:
            raise MienError(f"target class {target} is not one of the model's {classes} classes")
        raw = self.attribute(LogProbability(model), inputs.detach().clone(), target).detach().float()
        return normalise(raw.reshape(inputs.shape[-2:]).numpy()), target


class LogProbability(nn.Module):
    """A classifier's log-softmax output, keeping its named ``features`` for layer methods."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model
        self.features = model.features if hasattr(model, "features") else None

    def forward(self, x):
        return torch.log_softmax(self.model(x).float(), dim=1)


def normalise(raw: np.ndarray) -> np.ndarray:
    """Keep the positive evidence and scale it to [0, 1] (all zeros stay zeros)."""
    positive = np.clip(np.nan_to_num(raw), 0, None)
    top = positive.max()
    return (positive / top if top > 0 else positive).astype(np.float32)


def register_explainer(name: str):
    """Class decorator that adds an explainer to the registry under ``name``."""

    def add(cls):
        cls.name = name
        _EXPLAINERS[name] = cls
        return cls

    return add


def create_explainer(name: str) -> Explainer:
    _import_builtin_explainers()
    if name not in _EXPLAINERS:
        raise MienError(f"unknown explanation method {name!r}; valid: {', '.join(list_explainers())}")
    return _EXPLAINERS[name]()


def list_explainers() -> list[str]:
    _import_builtin_explainers()
    return sorted(_EXPLAINERS)


def explain(model: nn.Module, inputs: torch.Tensor, method: str, target: int | None = None):
    """One verb for every method: (map in [0, 1], target class)."""
    return create_explainer(method)(model, inputs, target)


def _import_builtin_explainers() -> None:
    from mien.explain import gradcam, hirescam, integrated_gradients, occlusion, saliency, xrai  # noqa: F401
