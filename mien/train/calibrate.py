"""Calibrate a trained model on a validation split: one temperature and one bias per class, fitted
to the log loss and baked into the model's last layer, so that every backend and every export
(ONNX, int8) answers with the calibrated probabilities.

A model trained with class weights and label smoothing is biased toward the rare classes and its
confidence does not match how often it is right; dividing the logits by a temperature fixes the
confidence, the class biases undo the prior the class weights added.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from mien.data.cache import load_fer2013
from mien.data.fer2013 import resolve_split
from mien.errors import MienError
from mien.models.checkpoint import load_checkpoint, model_from_checkpoint
from mien.models.forward import predict_logits, view_averaged_probabilities
from mien.train.checkpoint import inference_checkpoint
from mien.train.metrics import classification_report, probability_report


@dataclass(frozen=True)
class Calibration:
    temperature: float  # the logits are divided by it
    class_bias: tuple[float, ...]  # then these are added, one per class (they sum to zero)

    def apply(self, logits: np.ndarray) -> np.ndarray:
        return logits / self.temperature + np.asarray(self.class_bias, dtype=logits.dtype)


def fit_calibration(view_logits: np.ndarray, labels: np.ndarray) -> Calibration:
    """The temperature and class biases that minimise the log loss of the view-averaged
    probabilities of (N, V, K) logits."""
    logits = torch.as_tensor(view_logits, dtype=torch.float64)
    targets = torch.as_tensor(labels, dtype=torch.int64)
    log_temperature = torch.zeros((), dtype=torch.float64, requires_grad=True)
    bias = torch.zeros(logits.shape[-1], dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([log_temperature, bias], max_iter=500, line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        log_probs = F.log_softmax(logits / log_temperature.exp() + bias, dim=2)  # (N, V, K)
        log_mean = torch.logsumexp(log_probs, dim=1) - np.log(logits.shape[1])  # log of the view mean
        loss = F.nll_loss(log_mean, targets)
        loss.backward()
        return loss

    optimizer.step(closure)
    centred = (bias - bias.mean()).detach()  # a shift common to all classes changes nothing
    return Calibration(float(log_temperature.detach().exp()), tuple(float(b) for b in centred))


def bake_into_model(model: nn.Module, calibration: Calibration) -> nn.Module:
    """Fold the calibration into the last linear layer of ``model.head``."""
    layer = [module for module in model.head.modules() if isinstance(module, nn.Linear)][-1]
    with torch.no_grad():
        layer.weight.div_(calibration.temperature)
        layer.bias.div_(calibration.temperature).add_(torch.tensor(calibration.class_bias))
    return model


def calibrate(checkpoint_path: Path, data_path: Path, split: str = "PublicTest", tta: bool = True) -> dict:
    """A copy of the checkpoint (no training state) calibrated on one FER2013 split, which records
    the fit and the split's figures before and after it under ``calibration``."""
    split = resolve_split(split)
    if split == "PrivateTest":
        raise MienError("calibrate on the validation split (public): PrivateTest is kept for final figures")
    checkpoint = load_checkpoint(checkpoint_path)
    faces = load_fer2013(data_path).select(split)
    if len(faces) == 0:
        raise MienError(f"no {split} images in {data_path}")
    model = model_from_checkpoint(checkpoint)
    view_logits = predict_logits(model, faces.images, checkpoint["preprocess"], tta)
    calibration = fit_calibration(view_logits, faces.labels)
    class_names = tuple(checkpoint["class_names"])
    record = {
        "split": split,
        "faces": len(faces),
        "tta": tta,
        "temperature": calibration.temperature,
        "class_bias": dict(zip(class_names, calibration.class_bias, strict=True)),
        "before": headline_figures(view_averaged_probabilities(view_logits), faces.labels, class_names),
        "after": headline_figures(
            view_averaged_probabilities(calibration.apply(view_logits)), faces.labels, class_names
        ),
    }
    calibrated = inference_checkpoint(checkpoint)
    calibrated["state_dict"] = bake_into_model(model, calibration).state_dict()
    calibrated["calibration"] = [*checkpoint.get("calibration", []), record]  # in the order applied
    return calibrated


def headline_figures(probabilities: np.ndarray, labels: np.ndarray, class_names: tuple[str, ...]) -> dict:
    """Accuracy, macro-F1, log loss and calibration error of (N, K) probabilities."""
    report = classification_report(labels, probabilities.argmax(axis=1), class_names)
    scores = probability_report(labels, probabilities)
    return {
        "accuracy": report["accuracy"],
        "macro_f1": report["macro_f1"],
        "log_loss": scores["log_loss"],
        "expected_calibration_error": scores["expected_calibration_error"],
    }
