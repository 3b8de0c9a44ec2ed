"""The int8 + fp32 cascade: only the fast model's near-ties are answered again by the exact one."""

from __future__ import annotations

import numpy as np
import pytest

from mien.backends.cascade import CascadeClassifier
from mien.errors import MienError


class Fixed:
    """A classifier that answers given probabilities, one row per face (faces are row numbers)."""

    def __init__(self, probs, precision, class_names=("a", "b", "c")):
        self.probs = np.asarray(probs, np.float32)
        self.class_names = list(class_names)
        self.preprocess = {"size": 48, "mean": 0.5, "std": 0.25}
        self.precision = precision
        self.asked = []

    def probabilities(self, faces):
        self.asked.append(list(faces))
        return self.probs[faces].copy()


def test_only_near_ties_are_asked_again():
    fast = Fixed([[0.9, 0.05, 0.05], [0.46, 0.44, 0.10], [0.2, 0.3, 0.5], [0.3, 0.3, 0.4]], "int8")
    exact = Fixed([[0.8, 0.1, 0.1], [0.40, 0.50, 0.10], [0.1, 0.1, 0.8], [0.2, 0.2, 0.6]], "fp32")
    cascade = CascadeClassifier(fast, exact, margin=0.15)
    probs = cascade.probabilities(np.arange(4))
    assert exact.asked == [[1, 3]]  # margins 0.85, 0.02, 0.2, 0.1: faces 1 and 3 are near-ties
    assert probs.argmax(axis=1).tolist() == [0, 1, 2, 2]
    assert probs[0] == pytest.approx([0.9, 0.05, 0.05])  # sure faces keep the fast model's answer
    assert cascade.precision == "int8+fp32"


def test_sure_batches_never_wake_the_exact_model():
    fast = Fixed([[0.9, 0.05, 0.05]], "int8")
    exact = Fixed([[0.1, 0.8, 0.1]], "fp32")
    CascadeClassifier(fast, exact).probabilities(np.array([0]))
    assert exact.asked == []


def test_the_two_models_must_share_their_classes():
    with pytest.raises(MienError, match="same classes"):
        CascadeClassifier(Fixed([[1, 0, 0]], "int8"), Fixed([[1, 0, 0]], "fp32", class_names=("x", "y", "z")))
