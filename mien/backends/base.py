"""The classifier interface and the choice of backend for a model file."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Protocol

import numpy as np

from mien.errors import MienError

BACKENDS = ("auto", "torch", "onnx")


class Classifier(Protocol):
    class_names: list[str]
    preprocess: dict  # size, mean, std: as in training
    precision: str  # what the arithmetic runs in: fp32, bf16 or int8

    def probabilities(self, faces: np.ndarray) -> np.ndarray:
        """(N, K) class probabilities for (N, size, size) grey uint8 faces."""
        ...


def with_threads(classifier: Classifier, threads: int) -> Classifier | None:
    """The same classifier with each session on `threads` threads, or None where it has no sessions
    of its own (PyTorch's threads are the whole process's). Several such classifiers on one thread
    each, side by side, keep more cores busy than one on all of them (video frames)."""
    method = getattr(classifier, "with_threads", None)
    return method(threads) if method is not None else None


def onnxruntime_available() -> bool:
    return importlib.util.find_spec("onnxruntime") is not None


def load_classifier(
    path: str | Path, tta: bool = False, precision: str = "auto", threads: int = 0, backend: str = "auto"
) -> Classifier:
    """The classifier a model file holds. By default a .onnx file runs on ONNX Runtime and anything
    else is a mien checkpoint for PyTorch; backend "torch" also rebuilds an fp32 mien export in
    PyTorch. threads: 0 uses every core (set 1 where processes share them)."""
    path = Path(path)
    if backend not in BACKENDS:
        raise MienError(f"unknown backend {backend!r}; valid: {', '.join(BACKENDS)}")
    onnx = path.suffix.lower() == ".onnx"
    if backend == "onnx" and not onnx:
        raise MienError(f"{path}: the onnx backend runs .onnx files; make one with `mien export {path}`")
    if onnx and backend != "torch":
        if precision not in ("auto", "fp32", "int8"):
            raise MienError(
                f"{path}: an ONNX model runs in the precision it was exported in, not {precision}"
            )
        from mien.backends.onnx_backend import OnnxClassifier

        return OnnxClassifier(path, tta, threads)
    if precision == "int8":
        raise MienError("int8 runs on the onnx backend: export an int8 model with `mien export --int8`")
    from mien.backends.torch_backend import TorchClassifier

    if threads > 0:
        import torch

        torch.set_num_threads(threads)
    return TorchClassifier.from_checkpoint(path, tta, precision)
