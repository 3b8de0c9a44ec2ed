"""Choose an ensemble on the validation split: every subset of the candidate models that fits a
size budget, ranked by the accuracy of its mean probabilities or by their log loss.

Accuracy on a few thousand faces moves in steps of one face, and the best of a hundred subsets by
it is partly luck; the log loss (mean negative log-probability of the true class) counts how
sure each answer was, and varies less from one sample of faces to the next."""

from __future__ import annotations

from itertools import combinations

import numpy as np

from mien.errors import MienError
from mien.train.metrics import classification_report

RANKINGS = ("accuracy", "log_loss")


def rank_subsets(
    probabilities: dict[str, np.ndarray],
    labels: np.ndarray,
    sizes_mb: dict[str, float],
    budget_mb: float,
    class_names: tuple[str, ...],
    rank_by: str = "accuracy",
) -> list[dict]:
    """Each subset of the candidates whose files total at most ``budget_mb``, best first by
    ``rank_by`` (ties: fewer megabytes, then fewer members), with its accuracy, macro-F1, log loss
    and size."""
    if rank_by not in RANKINGS:
        raise MienError(f"unknown ranking {rank_by!r}; valid: {', '.join(RANKINGS)}")
    names = list(probabilities)
    ranked = []
    for count in range(1, len(names) + 1):
        for members in combinations(names, count):
            size_mb = sum(sizes_mb[name] for name in members)
            if size_mb > budget_mb:
                continue
            mean = np.mean([probabilities[name] for name in members], axis=0)
            report = classification_report(labels, mean.argmax(axis=1), class_names)
            ranked.append(
                {
                    "members": list(members),
                    "accuracy": report["accuracy"],
                    "macro_f1": report["macro_f1"],
                    "log_loss": log_loss(mean, labels),
                    "size_mb": round(size_mb, 2),
                }
            )
    score = (lambda row: -row["accuracy"]) if rank_by == "accuracy" else (lambda row: row["log_loss"])
    ranked.sort(key=lambda row: (score(row), row["size_mb"], len(row["members"])))
    return ranked


def log_loss(probabilities: np.ndarray, labels: np.ndarray) -> float:
    """Mean negative log-probability given to the true class (probabilities floored at 1e-7)."""
    true_class = probabilities[np.arange(len(labels)), labels]
    return float(-np.log(np.maximum(true_class, 1e-7)).mean())
