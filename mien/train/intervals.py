"""How far a figure measured on N faces could move on another N faces drawn like them: 95%
intervals by the face-level bootstrap (draw N of the faces with replacement, measure again, many
times; the middle 95% of what comes out).

The intervals cover accuracy, macro-F1, each class's recall and the calibration error. Two models
scored on the same faces are compared with a paired interval of the difference in their accuracy:
both are measured on the same draws, so what the two share (the easy faces, the hopeless ones)
cancels, and the interval is far narrower than their two intervals side by side. A difference
whose interval holds 0 is one the faces cannot tell from chance.
"""

from __future__ import annotations

import numpy as np

from mien.train.metrics import confidence_bins

DRAWS = 2000  # enough for the 2.5% tails to settle to about a tenth of a point
LEVEL = 0.95
NO_ANSWER = -1  # a predicted label for a face the model gave no answer for (no face found): wrong


def face_draws(count: int, draws: int = DRAWS, seed: int = 0) -> np.ndarray:
    """(draws, count) indices: each row one bootstrap sample of the faces. The same count and seed
    give the same draws, so figures measured apart are measured on the same samples."""
    if count < 1:
        raise ValueError("a bootstrap needs at least one face")
    return np.random.default_rng(seed).integers(0, count, size=(draws, count))


def label_intervals(
    true: np.ndarray, predicted: np.ndarray, class_names: tuple[str, ...], draws: int = DRAWS, seed: int = 0
) -> dict:
    """Intervals of accuracy, macro-F1 and each class's recall (None for a class no face shows);
    a predicted label of NO_ANSWER counts as wrong."""
    true, predicted = np.asarray(true), np.asarray(predicted)
    classes = len(class_names)
    answered = np.where(predicted == NO_ANSWER, classes, predicted)  # column `classes`: no answer
    drawn = face_draws(len(true), draws, seed)  # (draws, N)
    cells_per_draw = classes * (classes + 1)  # each draw's confusion matrix, flattened
    cells = true[drawn] * (classes + 1) + answered[drawn] + (np.arange(draws) * cells_per_draw)[:, None]
    confusions = np.bincount(cells.ravel(), minlength=draws * cells_per_draw)
    confusions = confusions.reshape(draws, classes, classes + 1).astype(np.float64)  # (draws, true, answer)
    hits = np.diagonal(confusions[:, :, :classes], axis1=1, axis2=2)  # (draws, classes)
    support = confusions.sum(axis=2)
    answers = confusions[:, :, :classes].sum(axis=1)
    recall = np.divide(hits, support, out=np.full_like(hits, np.nan), where=support > 0)
    precision = np.divide(hits, answers, out=np.zeros_like(hits), where=answers > 0)
    recall_or_0 = np.nan_to_num(recall)
    sums = precision + recall_or_0
    f1 = np.divide(2 * precision * recall_or_0, sums, out=np.zeros_like(hits), where=sums > 0)
    present = support > 0  # macro-F1 averages over the classes each sample shows, as metrics does
    macro_f1 = (f1 * present).sum(axis=1) / present.sum(axis=1).clip(min=1)
    shown = np.bincount(true, minlength=classes) > 0
    return {
        "level": LEVEL,
        "draws": draws,
        "accuracy": _middle(hits.sum(axis=1) / len(true)),
        "macro_f1": _middle(macro_f1),
        "recall": {
            name: _middle(recall[:, index][~np.isnan(recall[:, index])]) if shown[index] else None
            for index, name in enumerate(class_names)
        },
    }


def calibration_interval(
    true: np.ndarray, probabilities: np.ndarray, bins: int = 15, draws: int = DRAWS, seed: int = 0
) -> list[float]:
    """The interval of the expected calibration error (metrics.probability_report's, same bins)."""
    probabilities = np.asarray(probabilities, dtype=np.float64)
    confidence = probabilities.max(axis=1)
    correct = (probabilities.argmax(axis=1) == np.asarray(true)).astype(np.float64)
    drawn = face_draws(len(confidence), draws, seed)
    slots = (confidence_bins(confidence, bins)[drawn] + (np.arange(draws) * bins)[:, None]).ravel()
    # per sample and bin: count * |mean confidence - accuracy| = |sum of confidences - sum correct|
    confidence_sums = np.bincount(slots, weights=confidence[drawn].ravel(), minlength=draws * bins)
    correct_sums = np.bincount(slots, weights=correct[drawn].ravel(), minlength=draws * bins)
    gaps = np.abs(confidence_sums - correct_sums).reshape(draws, bins).sum(axis=1)
    return _middle(gaps / len(confidence))


def difference_interval(
    true: np.ndarray, predicted: np.ndarray, baseline: np.ndarray, draws: int = DRAWS, seed: int = 0
) -> dict:
    """Accuracy of ``predicted`` less that of ``baseline`` on the same faces, with its paired
    interval, and how many faces only one of them gets right (the faces the difference rests on)."""
    true = np.asarray(true)
    right, baseline_right = np.asarray(predicted) == true, np.asarray(baseline) == true
    gained = right.astype(np.float64) - baseline_right  # +1, 0 or -1 per face
    drawn = face_draws(len(true), draws, seed)
    return {
        "difference": float(gained.mean()),
        "interval": _middle(gained[drawn].mean(axis=1)),
        "only_this_right": int((right & ~baseline_right).sum()),
        "only_baseline_right": int((~right & baseline_right).sum()),
        "level": LEVEL,
        "draws": draws,
    }


def _middle(samples: np.ndarray) -> list[float]:
    """The central LEVEL share of the bootstrap samples, [low, high]."""
    tail = (1 - LEVEL) / 2
    low, high = np.quantile(samples, [tail, 1 - tail])
    return [float(low), float(high)]
