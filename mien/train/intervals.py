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

from collections.abc import Iterator

import numpy as np

from mien.train.metrics import confidence_bins

DRAWS = 2000  # enough for the 2.5% tails to settle to about a tenth of a point
LEVEL = 0.95
NO_ANSWER = -1  # a predicted label for a face the model gave no answer for (no face found): wrong
CHUNK = 2_000_000  # face indices drawn at a time: memory stays bounded for any number of faces


def draw_chunks(count: int, draws: int = DRAWS, seed: int = 0) -> Iterator[np.ndarray]:
    """The bootstrap samples of ``count`` faces, a (rows, count) block of indices at a time: each
    row one sample. The same count and seed give the same samples, so figures measured apart are
    measured on the same ones."""
    if count < 1:
        raise ValueError("a bootstrap needs at least one face")
    generator = np.random.default_rng(seed)
    rows = max(1, CHUNK // count)
    for start in range(0, draws, rows):
        yield generator.integers(0, count, size=(min(rows, draws - start), count))


def face_draws(count: int, draws: int = DRAWS, seed: int = 0) -> np.ndarray:
    """Every sample of ``draw_chunks`` at once, (draws, count)."""
    return np.concatenate(list(draw_chunks(count, draws, seed)))


def label_intervals(
    true: np.ndarray, predicted: np.ndarray, class_names: tuple[str, ...], draws: int = DRAWS, seed: int = 0
) -> dict:
    """Intervals of accuracy, macro-F1 and each class's recall (None for a class no face shows);
    a predicted label of NO_ANSWER counts as wrong."""
    true, predicted = np.asarray(true), np.asarray(predicted)
    classes = len(class_names)
    answered = np.where(predicted == NO_ANSWER, classes, predicted)  # column `classes`: no answer
    cell_of_face = true * (classes + 1) + answered  # its cell in a (classes, classes + 1) confusion

    def confusions_of(drawn: np.ndarray) -> np.ndarray:  # (rows, N) -> (rows, classes, classes + 1)
        cells = classes * (classes + 1)
        flat = cell_of_face[drawn] + (np.arange(len(drawn)) * cells)[:, None]
        return np.bincount(flat.ravel(), minlength=len(drawn) * cells).reshape(len(drawn), classes, -1)

    chunks = draw_chunks(len(true), draws, seed)
    confusions = np.concatenate([confusions_of(drawn) for drawn in chunks]).astype(np.float64)
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
    bin_of_face = confidence_bins(confidence, bins)

    def errors_of(drawn: np.ndarray) -> np.ndarray:  # (rows, N) -> (rows,)
        slots = (bin_of_face[drawn] + (np.arange(len(drawn)) * bins)[:, None]).ravel()
        size = len(drawn) * bins
        # per sample and bin: count * |mean confidence - accuracy| = |sum of confidences - sum correct|
        confidence_sums = np.bincount(slots, weights=confidence[drawn].ravel(), minlength=size)
        correct_sums = np.bincount(slots, weights=correct[drawn].ravel(), minlength=size)
        return np.abs(confidence_sums - correct_sums).reshape(len(drawn), bins).sum(axis=1) / len(confidence)

    return _middle(np.concatenate([errors_of(drawn) for drawn in draw_chunks(len(confidence), draws, seed)]))


def difference_interval(
    true: np.ndarray, predicted: np.ndarray, baseline: np.ndarray, draws: int = DRAWS, seed: int = 0
) -> dict:
    """Accuracy of ``predicted`` less that of ``baseline`` on the same faces, with its paired
    interval, and how many faces only one of them gets right (the faces the difference rests on)."""
    true = np.asarray(true)
    right, baseline_right = np.asarray(predicted) == true, np.asarray(baseline) == true
    gained = right.astype(np.float64) - baseline_right  # +1, 0 or -1 per face
    samples = [gained[drawn].mean(axis=1) for drawn in draw_chunks(len(true), draws, seed)]
    return {
        "difference": float(gained.mean()),
        "interval": _middle(np.concatenate(samples)),
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
