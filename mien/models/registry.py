"""One table of model factories: register with a decorator, build by name.

Every model maps (N, 1, 48, 48) float input to (N, num_classes) logits and exposes two parts:
``features`` (input -> last convolutional feature map, the layer Grad-CAM hooks) and ``head``
(feature map -> logits).
"""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

from mien.errors import MienError

_MODELS: dict[str, Callable[..., nn.Module]] = {}


def register_model(name: str):
    """Decorator that adds a model factory to the registry under ``name``."""

    def add(factory: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
        if name in _MODELS:
            raise ValueError(f"model {name!r} is already registered")
        _MODELS[name] = factory
        return factory

    return add


def create_model(name: str, **kwargs) -> nn.Module:
    """Build a registered model; an unknown name lists the valid ones."""
    _import_builtin_models()
    if name not in _MODELS:
        raise MienError(f"unknown model {name!r}; valid: {', '.join(list_models())}")
    try:
        return _MODELS[name](**kwargs)
    except TypeError as err:
        raise MienError(f"model {name!r}: bad arguments {kwargs}: {err}") from None


def list_models() -> list[str]:
    """Names of all registered models, sorted."""
    _import_builtin_models()
    return sorted(_MODELS)


class FaceClassifier(nn.Module):
    """A classifier made of a named feature extractor and a named head (ending in a linear layer),
    and after calibration by the logits or the hidden layer a ``temperature`` that divides the
    logits (mien.models.temperature)."""

    def __init__(self, features: nn.Module, head: nn.Module):
        super().__init__()
        self.features = features
        self.head = head
        self.temperature: nn.Module | None = None

    def forward(self, x):
        features = self.features(x)
        if self.temperature is None:
            return self.head(features)
        if self.temperature.reads == "logits":
            return self.temperature(self.head(features))
        hidden = self.head[:-1](features)
        return self.temperature(self.head[-1](hidden), hidden)


def _import_builtin_models() -> None:
    # Importing the modules runs their @register_model decorators.
    from mien.models import resnet, vgg  # noqa: F401
