"""Calibrate a trained model on a validation split: one temperature and one bias per class, fitted
to the log loss and baked into the model's last layer, so that every backend and every export
(ONNX, int8) answers with the calibrated probabilities. Or a temperature that reads the logits
(mien.models.temperature), fitted the same way and carried by the network as a module of its own.

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

from mien.data.run_data import EvaluationSet, evaluation_set
from mien.errors import MienError
from mien.models.checkpoint import load_checkpoint, model_from_checkpoint
from mien.models.forward import predict_logits, view_averaged_probabilities
from mien.models.temperature import LogitTemperature
from mien.train.checkpoint import inference_checkpoint
from mien.train.evaluate import HOLDOUT, held_out_faces
from mien.train.metrics import classification_report, probability_report


@dataclass(frozen=True)
class Calibration:
    temperature: float  # the logits are divided by it
    class_bias: tuple[float, ...]  # then these are added, one per class (they sum to zero)

    def apply(self, logits: np.ndarray) -> np.ndarray:
        return logits / self.temperature + np.asarray(self.class_bias, dtype=logits.dtype)


def fit_calibration(view_logits: np.ndarray, labels: np.ndarray, class_bias: bool = True) -> Calibration:
    """The temperature and class biases that minimise the log loss of the view-averaged
    probabilities of (N, V, K) logits; without ``class_bias``, the temperature alone (which never
    changes a label)."""
    logits = torch.as_tensor(view_logits, dtype=torch.float64)
    targets = torch.as_tensor(labels, dtype=torch.int64)
    log_temperature = torch.zeros((), dtype=torch.float64, requires_grad=True)
    bias = torch.zeros(logits.shape[-1], dtype=torch.float64, requires_grad=class_bias)
    fitted = [log_temperature, bias] if class_bias else [log_temperature]
    optimizer = torch.optim.LBFGS(fitted, max_iter=500, line_search_fn="strong_wolfe")

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


def fit_logit_temperature(
    view_logits: np.ndarray, labels: np.ndarray, penalty: float = 0.01
) -> LogitTemperature:
    """The temperature T(z) = exp(b + w . z) that minimises the log loss of the view-averaged
    probabilities of (N, V, K) logits, plus ``penalty`` times the squared weights over logits scaled
    to unit variance (so the penalty means the same for any model's logit range)."""
    logits = torch.as_tensor(view_logits, dtype=torch.float64)
    targets = torch.as_tensor(labels, dtype=torch.int64)
    flat = logits.reshape(-1, logits.shape[-1])
    mean, scale = flat.mean(dim=0), flat.std(dim=0).clamp_min(1e-6)
    scaled_weight = torch.zeros(logits.shape[-1], dtype=torch.float64, requires_grad=True)
    bias = torch.zeros((), dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([scaled_weight, bias], max_iter=500, line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        log_temperature = ((logits - mean) / scale * scaled_weight).sum(dim=2, keepdim=True) + bias
        log_probs = F.log_softmax(logits / log_temperature.exp(), dim=2)  # (N, V, K)
        log_mean = torch.logsumexp(log_probs, dim=1) - np.log(logits.shape[1])
        loss = F.nll_loss(log_mean, targets) + penalty * (scaled_weight**2).sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    temperature = LogitTemperature(logits.shape[-1])
    with torch.no_grad():  # the same function of the unscaled logits
        weight = scaled_weight / scale
        temperature.weight.copy_(weight.float())
        temperature.bias.copy_((bias - (weight * mean).sum()).float())
    return temperature


def bake_into_model(model: nn.Module, calibration: Calibration) -> nn.Module:
    """Fold the calibration into the last linear layer of ``model.head``."""
    layer = [module for module in model.head.modules() if isinstance(module, nn.Linear)][-1]
    with torch.no_grad():
        layer.weight.div_(calibration.temperature)
        layer.bias.div_(calibration.temperature).add_(torch.tensor(calibration.class_bias))
    return model


def calibrate(
    checkpoint_path: Path,
    data_paths: Path | list[Path],
    split: str = "PublicTest",
    tta: bool = True,
    class_bias: bool = True,
    by_logits: bool = False,
) -> dict:
    """A copy of the checkpoint (no training state) calibrated on one split of one or more data
    sets (PublicTest, or "holdout": the Training faces the checkpoint's run held out), which records
    the fit and the faces' figures before and after it under ``calibration``. Labels are matched to
    the model's classes by name, so an eight-class model calibrates on seven-class sets too.
    ``by_logits``: a temperature that reads the logits instead (no class bias; it replaces one the
    model already carries)."""
    checkpoint = load_checkpoint(checkpoint_path)
    class_names = tuple(checkpoint["class_names"])
    paths = [data_paths] if isinstance(data_paths, (str, Path)) else list(data_paths)
    sets = [held_out_faces([checkpoint_path], Path(p)) if split == HOLDOUT else evaluation_set(p, split)
            for p in paths]  # fmt: skip
    for faces in sets:
        if faces.is_test:
            raise MienError(
                f"calibrate on the validation split (public): {faces.split} is kept for final figures"
            )
    images, labels = zip(*(labelled_faces(faces, Path(p), class_names) for faces, p in zip(sets, paths)))
    images, labels = np.concatenate(images), np.concatenate(labels)
    model = model_from_checkpoint(checkpoint)
    if by_logits:
        model.temperature = None  # refitted on the network's own logits
    view_logits = predict_logits(model, images, checkpoint["preprocess"], tta)
    record = {
        "split": split if split == HOLDOUT else sets[0].split,
        "data": [Path(p).name for p in paths],
        "faces": len(labels),
        "tta": tta,
        "before": headline_figures(view_averaged_probabilities(view_logits), labels, class_names),
    }
    if by_logits:
        model.temperature = fit_logit_temperature(view_logits, labels)
        with torch.no_grad():
            calibrated_logits = model.temperature(torch.as_tensor(view_logits)).numpy()
        record["temperature_by_logits"] = {
            "weight": dict(zip(class_names, model.temperature.weight.tolist(), strict=True)),
            "bias": model.temperature.bias.item(),
        }
    else:
        calibration = fit_calibration(view_logits, labels, class_bias)
        calibrated_logits = calibration.apply(view_logits)
        record["temperature"] = calibration.temperature
        record["class_bias"] = dict(zip(class_names, calibration.class_bias, strict=True))
        model = bake_into_model(model, calibration)
    record["after"] = headline_figures(view_averaged_probabilities(calibrated_logits), labels, class_names)
    calibrated = inference_checkpoint(checkpoint)
    calibrated["state_dict"] = model.state_dict()
    calibrated["calibration"] = [*checkpoint.get("calibration", []), record]  # in the order applied
    return calibrated


def labelled_faces(
    faces: EvaluationSet, data_path: Path, class_names: tuple[str, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """One data set's faces that have a label (FER+: a majority), labels as indices into the
    model's ``class_names``."""
    faces = faces.scored()
    if len(faces) == 0:
        raise MienError(f"no {faces.split} faces with a label in {data_path}")
    unknown = sorted(set(faces.class_names) - set(class_names))
    if unknown:
        raise MienError(f"{data_path} has classes the model lacks: {', '.join(unknown)}")
    to_model = np.array([class_names.index(name) for name in faces.class_names])
    return faces.images, to_model[faces.labels]


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
