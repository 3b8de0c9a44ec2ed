"""Classification metrics: accuracy, macro-F1 and per-class precision and recall from predictions;
log loss, calibration error and cross-entropy against target shares from probabilities."""

from __future__ import annotations

import numpy as np


def confusion_matrix(true: np.ndarray, predicted: np.ndarray, num_classes: int) -> np.ndarray:
    """Counts with true classes in rows and predicted classes in columns."""
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (true, predicted), 1)
    return matrix


def classification_report(true: np.ndarray, predicted: np.ndarray, class_names: tuple[str, ...]) -> dict:
    """Accuracy, macro-F1, per-class precision/recall/F1/support and the confusion matrix."""
    matrix = confusion_matrix(np.asarray(true), np.asarray(predicted), len(class_names))
    hits = np.diag(matrix).astype(np.float64)
    support = matrix.sum(axis=1)
    predicted_count = matrix.sum(axis=0)
    precision = np.divide(hits, predicted_count, out=np.zeros_like(hits), where=predicted_count > 0)
    recall = np.divide(hits, support, out=np.zeros_like(hits), where=support > 0)
    denominator = precision + recall
    f1 = np.divide(2 * precision * recall, denominator, out=np.zeros_like(hits), where=denominator > 0)
    present = support > 0  # macro-F1 averages over the classes that occur
    return {
        "count": int(matrix.sum()),
        "accuracy": float(hits.sum() / max(1, matrix.sum())),
        "macro_f1": float(f1[present].mean()) if present.any() else 0.0,
        "per_class": {
            name: {
                "precision": float(precision[i]),
                "recall": float(recall[i]),
                "f1": float(f1[i]),
                "support": int(support[i]),
            }
            for i, name in enumerate(class_names)
        },
        "class_names": list(class_names),
        "confusion_matrix": matrix.tolist(),
    }


def probability_report(true: np.ndarray, probabilities: np.ndarray, bins: int = 15) -> dict:
    """Log loss and expected calibration error (ECE) of (N, K) probabilities, with the reliability
    table behind the ECE: per confidence bin, the faces in it, their mean confidence and accuracy."""
    true = np.asarray(true)
    probabilities = np.asarray(probabilities, dtype=np.float64)
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == true
    bin_of = confidence_bins(confidence, bins)
    table = []
    for index in range(bins):
        members = bin_of == index
        if members.any():
            table.append({
                "low": index / bins,
                "high": (index + 1) / bins,
                "count": int(members.sum()),
                "confidence": float(confidence[members].mean()),
                "accuracy": float(correct[members].mean()),
            })  # fmt: skip
    count = max(1, len(true))
    true_probability = probabilities[np.arange(len(true)), true]
    gaps = sum(row["count"] * abs(row["confidence"] - row["accuracy"]) for row in table)
    return {
        "log_loss": float(-np.log(np.clip(true_probability, 1e-12, None)).sum() / count),
        "expected_calibration_error": gaps / count,
        "reliability": table,
    }


def confidence_bins(confidence: np.ndarray, bins: int) -> np.ndarray:
    """The bin of each confidence: bin i holds (i/bins, (i+1)/bins]; a confidence of exactly 0
    cannot occur."""
    return np.clip(np.ceil(confidence * bins).astype(int) - 1, 0, bins - 1)


def vote_cross_entropy(shares: np.ndarray, probabilities: np.ndarray) -> float:
    """Mean cross-entropy of (N, K) probabilities against (N, K) target shares (FER+'s vote
    distributions): sum over classes of -share * log(probability), averaged over faces."""
    shares = np.asarray(shares, dtype=np.float64)
    log_probabilities = np.log(np.clip(np.asarray(probabilities, dtype=np.float64), 1e-12, None))
    return float(-(shares * log_probabilities).sum(axis=1).mean())
