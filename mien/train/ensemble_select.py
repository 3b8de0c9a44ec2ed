"""Choose an ensemble on the validation split: every subset of the candidate models that fits a
size budget, ranked by the accuracy of its mean probabilities."""

from __future__ import annotations

from itertools import combinations

import numpy as np

from mien.train.metrics import classification_report


def rank_subsets(
    probabilities: dict[str, np.ndarray],
    labels: np.ndarray,
    sizes_mb: dict[str, float],
    budget_mb: float,
    class_names: tuple[str, ...],
) -> list[dict]:
    """Each subset of the candidates whose files total at most ``budget_mb``, best accuracy first
    (ties: fewer megabytes, then fewer members), with its accuracy, macro-F1 and size."""
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
                    "size_mb": round(size_mb, 2),
                }
            )
    ranked.sort(key=lambda row: (-row["accuracy"], row["size_mb"], len(row["members"])))
    return ranked
