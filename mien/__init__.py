"""mien: facial expression recognition you can train, trust and explain."""

from mien.data.fer2013 import CLASS_NAMES
from mien.errors import MienError
from mien.models.registry import create_model, list_models, register_model

__all__ = ["CLASS_NAMES", "MienError", "create_model", "list_models", "register_model"]
__version__ = "0.1.0"
