"""Attribution maps for any prediction: one verb, ``explain``, for every method."""

from mien.explain.base import create_explainer, explain, list_explainers, register_explainer

__all__ = ["create_explainer", "explain", "list_explainers", "register_explainer"]
