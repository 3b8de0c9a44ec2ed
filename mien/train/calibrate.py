"""Calibrate a trained model on a validation split: one temperature and one bias per class, fitted
to the log loss and baked into the model's last layer, so that every backend and every export
(ONNX, int8) answers with the calibrated probabilities. Or a temperature that reads each face's
logits or hidden layer (mien.models.temperature), fitted the same way and carried by the network as
a module of its own.

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
from mien.models.temperature import HiddenTemperature, LogitTemperature
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


# The L2 penalty on a temperature's weights over its inputs scaled to unit variance. For the hidden
# layer (256 numbers in the shipped networks) it was chosen by 5-fold cross-validation on the FER+
# and RAF-DB held-out tenths of `ferplus` (0.001 to 3: 0.1 was lowest on both).
PENALTY = {"logits": 0.01, "hidden": 0.1}


def fit_temperature(
    view_logits: np.ndarray, labels: np.ndarray, view_hidden: np.ndarray | None = None
) -> LogitTemperature:
    """The temperature T = exp(b + w . x) that minimises the log loss of the view-averaged
    probabilities of (N, V, K) logits, plus a penalty on the squared weights over inputs scaled to
    unit variance (so it means the same for any model's range), where x is each view's logits or,
    given (N, V, H) ``view_hidden``, its hidden layer."""
    logits = torch.as_tensor(view_logits, dtype=torch.float64)
    reads = "logits" if view_hidden is None else "hidden"
    inputs = logits if view_hidden is None else torch.as_tensor(view_hidden, dtype=torch.float64)
    if reads == "hidden" and inputs.shape[-1] == logits.shape[-1]:
        raise MienError("a temperature by the hidden layer needs a hidden layer wider than the logits")
    targets = torch.as_tensor(labels, dtype=torch.int64)
    flat = inputs.reshape(-1, inputs.shape[-1])
    mean, scale = flat.mean(dim=0), flat.std(dim=0).clamp_min(1e-6)
    scaled_inputs = (inputs - mean) / scale
    scaled_weight = torch.zeros(inputs.shape[-1], dtype=torch.float64, requires_grad=True)
    bias = torch.zeros((), dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([scaled_weight, bias], max_iter=500, line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        log_temperature = (scaled_inputs * scaled_weight).sum(dim=2, keepdim=True) + bias
        log_probs = F.log_softmax(logits / log_temperature.exp(), dim=2)  # (N, V, K)
        log_mean = torch.logsumexp(log_probs, dim=1) - np.log(logits.shape[1])
        loss = F.nll_loss(log_mean, targets) + PENALTY[reads] * (scaled_weight**2).sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    temperature = (LogitTemperature if reads == "logits" else HiddenTemperature)(inputs.shape[-1])
    with torch.no_grad():  # the same function of the unscaled inputs
        weight = scaled_weight / scale
        temperature.weight.copy_(weight.float())
        temperature.bias.copy_((bias - (weight * mean).sum()).float())
    return temperature


def hidden_and_logits(
    model: nn.Module, images: np.ndarray, preprocess, tta: bool
) -> tuple[np.ndarray, np.ndarray]:
    """(N, V, H) hidden layers (what the last linear layer reads) and (N, V, K) logits of every view."""
    hidden = []
    hook = model.head[-1].register_forward_hook(
        lambda layer, inputs, output: hidden.append(inputs[0].float())
    )
    try:
        view_logits = predict_logits(model, images, preprocess, tta)
    finally:
        hook.remove()
    views = view_logits.shape[1]  # batch by batch, each batch's views in turn
    per_batch = [torch.stack(hidden[i : i + views], dim=1) for i in range(0, len(hidden), views)]
    return torch.cat(per_batch).numpy(), view_logits


def apply_temperature(temperature: LogitTemperature, view_logits: np.ndarray, view_hidden=None) -> np.ndarray:
    """(N, V, K) logits divided by a fitted temperature (one by the hidden layer reads ``view_hidden``)."""
    with torch.no_grad():
        logits = torch.as_tensor(view_logits, dtype=torch.float32)
        if temperature.reads == "logits":
            return temperature(logits).numpy()
        return temperature(logits, torch.as_tensor(view_hidden, dtype=torch.float32)).numpy()


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
    by: str | None = None,
) -> dict:
    """A copy of the checkpoint (no training state) calibrated on one split of one or more data
    sets (PublicTest, or "holdout": the Training faces the checkpoint's run held out), which records
    the fit and the faces' figures before and after it under ``calibration``. Labels are matched to
    the model's classes by name, so an eight-class model calibrates on seven-class sets too.
    ``by`` "logits" or "hidden": a temperature that reads each face's logits or hidden layer instead
    (no class bias; it replaces one the model already carries)."""
    if by not in (None, "logits", "hidden"):
        raise MienError(f"a temperature reads the logits or the hidden layer, not {by!r}")
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
    if by:
        model.temperature = None  # refitted on the network's own logits
    if by == "hidden":
        view_hidden, view_logits = hidden_and_logits(model, images, checkpoint["preprocess"], tta)
    else:
        view_hidden, view_logits = None, predict_logits(model, images, checkpoint["preprocess"], tta)
    record = {
        "split": split if split == HOLDOUT else sets[0].split,
        "data": [Path(p).name for p in paths],
        "faces": len(labels),
        "tta": tta,
        "before": headline_figures(view_averaged_probabilities(view_logits), labels, class_names),
    }
    if by:
        model.temperature = fit_temperature(view_logits, labels, view_hidden)
        calibrated_logits = apply_temperature(model.temperature, view_logits, view_hidden)
        weight = model.temperature.weight.tolist()
        record[f"temperature_by_{by}"] = {
            "weight": dict(zip(class_names, weight, strict=True)) if by == "logits" else weight,
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
