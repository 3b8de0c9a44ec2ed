"""Classifiers behind one interface: grey face crops in, class probabilities out.

``torch`` runs a mien checkpoint (.pt); ``onnx`` runs an exported model (.onnx) on ONNX Runtime
without importing PyTorch, so a command that only predicts starts fast.
"""

from mien.backends.base import BACKENDS, Classifier, load_classifier, onnxruntime_available

__all__ = ["BACKENDS", "Classifier", "load_classifier", "onnxruntime_available"]
