"""mien: facial expression recognition you can train, trust and explain.

    from mien import Predictor
    faces = Predictor.default().predict("photo.jpg")

Names load on first use, so `import mien` (and the command line) starts fast.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "Predictor": "mien.pipeline",
    "CLASS_NAMES": "mien.data.fer2013",
    "MienError": "mien.errors",
    "create_model": "mien.models.registry",
    "list_models": "mien.models.registry",
    "register_model": "mien.models.registry",
    "create_detector": "mien.vision.detect",
    "list_detectors": "mien.vision.detect",
    "read_image": "mien.vision.io",
}
__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'mien' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
