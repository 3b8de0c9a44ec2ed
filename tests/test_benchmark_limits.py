"""benchmarks/limits.py against multiply-add counts and limits worked out by hand."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

LIMITS_FILE = Path(__file__).resolve().parents[1] / "benchmarks" / "limits.py"
_spec = importlib.util.spec_from_file_location("benchmark_limits", LIMITS_FILE)
limits = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(limits)


def save_model(path: Path, nodes, weights: dict, input_type=TensorProto.FLOAT, channels: int = 1) -> Path:
    """A graph over one (batch, channels, 8, 8) input named like the shipped models' ('faces')."""
    graph = helper.make_graph(
        nodes,
        "tiny",
        [helper.make_tensor_value_info("faces", input_type, ["batch", channels, 8, 8])],
        [helper.make_tensor_value_info(nodes[-1].output[0], TensorProto.UNDEFINED, None)],
        [numpy_helper.from_array(array, name) for name, array in weights.items()],
    )
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)
    return path


def test_conv_and_gemm_count_as_worked_by_hand(tmp_path):
    rng = np.random.default_rng(0)
    path = save_model(
        tmp_path / "tiny.onnx",
        [helper.make_node("Conv", ["faces", "conv_w"], ["features"], pads=[1, 1, 1, 1]),  # (N, 4, 8, 8)
         helper.make_node("Flatten", ["features"], ["flat"]),  # (N, 256)
         helper.make_node("Gemm", ["flat", "head_w"], ["logits"], transB=1)],  # (N, 7)
        {"conv_w": rng.standard_normal((4, 1, 3, 3), np.float32),
         "head_w": rng.standard_normal((7, 256), np.float32)},
    )  # fmt: skip
    conv = 8 * 8 * 4 * 1 * 3 * 3  # out_h * out_w * out_c * in_c * kh * kw = 2304
    head = 1 * 7 * 256  # M * N * K = 1792
    assert limits.macs_per_face(path) == conv + head == 4096


def test_integer_grouped_conv_counts_channels_per_group(tmp_path):
    weight = np.ones((4, 1, 3, 3), np.int8)  # 2 groups: each output channel sees 1 of the 2 inputs
    path = save_model(
        tmp_path / "int8.onnx",
        [helper.make_node("ConvInteger", ["faces", "w"], ["features"], pads=[1, 1, 1, 1], group=2)],
        {"w": weight},
        input_type=TensorProto.UINT8,
        channels=2,
    )
    assert limits.macs_per_face(path) == 8 * 8 * 4 * (2 // 2) * 3 * 3


def test_limit_divides_throughput_by_cost(monkeypatch):
    assert limits.limit(4096, 4096e6) == pytest.approx(1e6)
    monkeypatch.setattr(limits, "throughputs", lambda: {"fp32": 271e9})
    macs = 117_300_000  # 271e9 / 117.3e6 = 2,310.3 faces/s
    assert limits.limit_text(macs, "fp32") == "limit 2,310 faces/s (117.3M MACs/face at 271 GMAC/s fp32)"
    assert limits.limit_text(macs, "fp32", 1155).endswith(", 50% of it reached")
    assert limits.limit_text(macs, "bf16") == "no limit (bf16 not measured on this CPU)"
