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


def test_a_detector_is_counted_at_the_frame_size_given(tmp_path):
    # (1, H, W, 3) uint8 in, as the carried YuNet takes it: a transpose, then one 3x3 convolution
    graph = helper.make_graph(
        [helper.make_node("Cast", ["image"], ["pixels"], to=TensorProto.FLOAT),
         helper.make_node("Transpose", ["pixels"], ["planes"], perm=[0, 3, 1, 2]),
         helper.make_node("Conv", ["planes", "w"], ["out"], pads=[1, 1, 1, 1])],
        "detector",
        [helper.make_tensor_value_info("image", TensorProto.UINT8, [1, "height", "width", 3])],
        [helper.make_tensor_value_info("out", TensorProto.UNDEFINED, None)],
        [numpy_helper.from_array(np.ones((2, 3, 3, 3), np.float32), "w")],
    )  # fmt: skip
    path = tmp_path / "detector.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)
    assert limits.macs_per_run(path, (1, 4, 6, 3)) == 4 * 6 * 2 * 3 * 3 * 3  # out_h * out_w * out_c * 27
    assert limits.macs_per_run(path, (1, 8, 6, 3)) == 2 * limits.macs_per_run(path, (1, 4, 6, 3))


def test_a_frame_limit_adds_the_detector_in_fp32_and_the_classifier_in_its_precision(monkeypatch):
    monkeypatch.setattr(limits, "throughputs", lambda: {"fp32": 100e9, "int8": 400e9})
    # 0.2G / 100G = 2 ms, 0.4G / 400G = 1 ms: 3 ms a frame, 333 frames/s; 100 frames/s is 30% of it
    text = limits.frame_limit_text(200_000_000, 400_000_000, "int8", 100)
    assert text.startswith("limit 333 frames/s (0.20G MACs of detection at 100 GMAC/s fp32 + 400.0M")
    assert text.endswith(", 30% of it reached")
    assert limits.frame_limit_text(1, 1, "bf16", 1) == "no limit (bf16 not measured on this CPU)"
