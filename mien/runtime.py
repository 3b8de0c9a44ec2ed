"""What fast paths this machine offers, decided once."""

from __future__ import annotations

import functools
from pathlib import Path

from mien.errors import MienError

PRECISIONS = ("auto", "fp32", "bf16")  # training and PyTorch inference
INFERENCE_PRECISIONS = (*PRECISIONS, "int8")  # int8: an int8 ONNX model


@functools.cache
def native_bf16() -> bool:
    """True where the CPU computes bfloat16 in hardware (AVX-512 BF16 or AMX), so bf16 is about 2x faster.

    Elsewhere oneDNN emulates bf16, which is slower than fp32, so mien stays in fp32.
    """
    import torch  # here, so that reading PRECISIONS does not load torch

    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return ("avx512_bf16" in flags or "amx_bf16" in flags) and torch.ops.mkldnn._is_mkldnn_bf16_supported()


def use_bf16(precision: str) -> bool:
    """Resolve a precision choice (auto, fp32, bf16) to whether bf16 autocast is on."""
    if precision not in PRECISIONS:
        raise MienError(f"unknown precision {precision!r}; valid: {', '.join(PRECISIONS)}")
    return native_bf16() if precision == "auto" else precision == "bf16"


def cpu_session(path: Path, threads: int = 0):
    """An ONNX Runtime session on the CPU (threads 0: one per core) that logs errors only.

    Its threads spin between the layers of a run, where waking a sleeping thread would cost more
    than a small layer, and stop spinning when the run ends: the face detector and the classifier
    take turns on the same cores. Measured against threads that never spin: faces one at a time
    1.14-1.20x as fast, photos the same or faster (model card).
    """
    import onnxruntime  # here, so that reading PRECISIONS does not load ONNX Runtime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.log_severity_level = 3
    options.add_session_config_entry("session.intra_op.allow_spinning", "1")
    options.add_session_config_entry("session.force_spinning_stop", "1")
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
