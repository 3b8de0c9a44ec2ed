"""The models a server offers: the one it started with, loaded from the start, and the models the
catalogue offers by name (the ensemble too, not its members), each loaded on first use and then
kept. Each sits behind its own lock, because a detector and the explainers' hooks are not meant to
be shared between threads."""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np

from mien.catalogue import offered_models, shipped_model
from mien.errors import MienError
from mien.pipeline import Predictor
from mien.types import Explanation, FacePrediction
from mien.web.limits import quoted


class SharedPredictor:
    """A Predictor behind a lock: one request at a time uses the model."""

    def __init__(self, predictor: Predictor):
        self._predictor = predictor
        self._lock = threading.Lock()

    @property
    def class_names(self) -> list[str]:
        return self._predictor.class_names

    def predict(self, image: np.ndarray, landmarks: bool = False) -> list[FacePrediction]:
        with self._lock:
            return self._predictor.predict(image, landmarks)

    def explain(self, image: np.ndarray, method: str, target: str | None, face: int) -> Explanation:
        with self._lock:
            return self._predictor.explain(image, method, target, face=face)[0]


class ServedModels:
    """Models by name; ``load`` builds a catalogue model the first time a request names it."""

    def __init__(self, predictor: Predictor, load: Callable[[str], Predictor]):
        self.default = predictor.model_name
        self._load = load
        self._loaded = {self.default: SharedPredictor(predictor)}
        self._catalogue = {model.name: model for model in offered_models()}
        self._lock = threading.Lock()  # two first requests for one model load it once

    def names(self) -> list[str]:
        """The model the server started with first, then the catalogue's, in its order."""
        return [self.default, *(name for name in self._catalogue if name != self.default)]

    def classes(self, name: str) -> list[str]:
        """A model's classes, in its order, without loading it."""
        if name in self._loaded:
            return self._loaded[name].class_names
        return list(self._catalogue[name].classes)

    def summary(self, name: str) -> str:
        model = self._catalogue.get(name)
        return model.summary if model else "the model this server started with"

    def resolve(self, name: str | None) -> str:
        """The model a request means: none named, the default; an alias, its model."""
        if not name:
            return self.default
        name = _canonical(name)
        if name not in self._loaded and name not in self._catalogue:
            raise MienError(f"no model {quoted(name)} on this server; models: {', '.join(self.names())}")
        return name

    def get(self, name: str) -> SharedPredictor:
        """A resolved model, loaded now if this is its first use."""
        with self._lock:
            if name not in self._loaded:
                self._loaded[name] = SharedPredictor(self._load(name))
            return self._loaded[name]


def _canonical(name: str) -> str:
    """The catalogue's name for an alias; any other name as it is."""
    try:
        return shipped_model(name).name
    except MienError:
        return name
