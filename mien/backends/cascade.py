"""Two classifiers in a cascade: a fast int8 model answers; the faces it is unsure of (the two leading
classes within ``margin``) are answered again by the exact fp32 model. Quantisation only flips
near-ties, so the labels are the fp32 model's at most of int8's speed."""

from __future__ import annotations

import numpy as np

from mien.backends.base import Classifier, with_threads
from mien.errors import MienError

# Chosen on 8,000 Training faces held out from int8 calibration: at 0.10, 7.9% of them are re-run
# and all labels but one match fp32's (at 0.15: 11.5%, and all of them; at 0.05: 4.0%, all but 5).
# On test faces the model is less sure, and about 11% are re-run at 0.10 (15% at 0.15).
DEFAULT_MARGIN = 0.10


class CascadeClassifier:
    def __init__(self, fast: Classifier, exact: Classifier, margin: float = DEFAULT_MARGIN):
        if fast.class_names != exact.class_names or fast.preprocess != exact.preprocess:
            raise MienError("a cascade needs two exports of the same model (same classes and preprocessing)")
        self.fast, self.exact, self.margin = fast, exact, margin
        self.class_names = exact.class_names
        self.preprocess = exact.preprocess
        self.precision = f"{fast.precision}+{exact.precision}"

    def with_threads(self, threads: int) -> CascadeClassifier | None:
        fast, exact = with_threads(self.fast, threads), with_threads(self.exact, threads)
        if fast is None or exact is None:
            return None
        if fast is self.fast and exact is self.exact:
            return self
        return CascadeClassifier(fast, exact, self.margin)

    def probabilities(self, faces: np.ndarray) -> np.ndarray:
        faces = np.asarray(faces)
        probs = self.fast.probabilities(faces)
        leading = np.sort(probs, axis=1)[:, -2:]  # (N, 2): second, first
        unsure = np.flatnonzero(leading[:, 1] - leading[:, 0] < self.margin)
        if len(unsure):
            probs[unsure] = self.exact.probabilities(faces[unsure])
        return probs
