"""Which install extra brings each optional module, so that a missing one is named with its fix.

`pip install mien` recognises faces on ONNX Runtime. PyTorch and what needs it (explanations,
training, evaluation, export, the torch backend) come with `mien[torch]`; Ray with `mien[batch]`.
"""

from __future__ import annotations

EXTRAS = {  # top-level module -> the extra that installs it
    "torch": "torch",
    "captum": "torch",
    "saliency": "torch",
    "onnx": "torch",  # onnx, not onnxruntime (which every install has)
    "scipy": "torch",
    "ray": "batch",
    "pyarrow": "batch",
}
_WHAT = {"torch": "PyTorch", "batch": "Ray"}


def missing_extra(err: ModuleNotFoundError) -> str | None:
    """The extra that installs the module this error says is missing; None if no extra does."""
    return EXTRAS.get((err.name or "").partition(".")[0])


def install_hint(needs: str, extra: str) -> str:
    """One line that names the extra: ``mien explain needs PyTorch: pip install 'mien[torch]'``."""
    return f"{needs} needs {_WHAT[extra]}: pip install 'mien[{extra}]'"
