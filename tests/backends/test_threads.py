"""Classifiers on fewer threads (with_threads): the same answers, and None where PyTorch owns the threads."""

from __future__ import annotations

import numpy as np

from mien.backends.base import with_threads
from mien.backends.cascade import CascadeClassifier
from mien.backends.ensemble import EnsembleClassifier
from mien.backends.onnx_backend import OnnxClassifier
from mien.backends.torch_backend import TorchClassifier
from mien.catalogue import model_file
from mien.data.synthetic import make_faces


class Threaded:
    """A classifier whose twin on other threads is a new object with the same answers."""

    def __init__(self, threads: int = 0):
        self.class_names, self.precision, self.threads = ["a", "b"], "fp32", threads
        self.preprocess = {"size": 48, "mean": 0.5, "std": 0.25}

    def with_threads(self, threads):
        return self if threads == self.threads else Threaded(threads)

    def probabilities(self, faces):
        return np.tile([0.7, 0.3], (len(faces), 1))


class NoSessions(Threaded):
    with_threads = None


def test_an_onnx_model_on_one_thread_answers_bit_for_bit_the_same():
    faces = make_faces({"PublicTest": 16}, seed=3)[0]
    classifier = OnnxClassifier(model_file())
    single = classifier.with_threads(1)
    assert single is not classifier and single.threads == 1 and single.path == classifier.path
    assert np.array_equal(single.probabilities(faces), classifier.probabilities(faces))
    assert single.with_threads(1) is single  # already on one thread: itself


def test_a_cascade_and_an_ensemble_pass_the_threads_to_every_model():
    cascade = CascadeClassifier(Threaded(), Threaded(), margin=0.2)
    single = with_threads(cascade, 1)
    assert (single.fast.threads, single.exact.threads, single.margin) == (1, 1, 0.2)
    assert with_threads(single, 1) is single
    ensemble = EnsembleClassifier([Threaded(), Threaded(1)])
    assert [m.threads for m in with_threads(ensemble, 1).members] == [1, 1]
    assert with_threads(EnsembleClassifier([Threaded(1)]), 1).members[0].threads == 1


def test_no_twin_where_a_model_has_no_sessions_of_its_own(untrained_checkpoint):
    assert with_threads(TorchClassifier.from_checkpoint(untrained_checkpoint), 1) is None
    assert with_threads(CascadeClassifier(Threaded(), NoSessions()), 1) is None
    assert with_threads(EnsembleClassifier([Threaded(), NoSessions()]), 1) is None
