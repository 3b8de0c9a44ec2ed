"""The ceiling beside each speed figure: multiply-adds per face against this CPU's measured throughput.

A classifier cannot run faster than (multiply-adds the CPU does per second) / (multiply-adds per
face), so printing that limit beside a figure shows how much of the hardware a path uses. The
throughput is a large matrix product timed on one core, times the cores: an attainable peak, not
the datasheet's.
Imported by the other benchmark scripts (they run with this folder on sys.path).
"""

from __future__ import annotations

import functools
import math
import os
import statistics
import time
from pathlib import Path

import numpy as np

# op type -> (index of the weight input, whether the op is a matrix product rather than a convolution)
_MAC_OPS = {
    "Conv": (1, False),
    "ConvInteger": (1, False),
    "QLinearConv": (3, False),
    "Gemm": (1, True),
    "MatMul": (1, True),
    "MatMulInteger": (1, True),
    "QLinearMatMul": (3, True),
}
_SIZE = 1024  # square matrices: 1.07G multiply-adds a product, large enough to run at full speed
_PRODUCTS = 4  # products timed together in one repeat
_REPEATS = 5
_INSTRUCTION_SETS = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_bf16", "amx_int8")


def macs_per_face(path: str | Path) -> int:
    """Multiply-adds one face costs in an ONNX classifier (fp32, or int8 in QDQ or integer-op form)."""
    return macs_per_run(path)


def macs_per_run(path: str | Path, input_shape: tuple[int, ...] | None = None) -> int:
    """Multiply-adds one run of an ONNX model costs, its input fixed to input_shape (default: its
    own shape with the batch set to 1; a detector's height and width must be given).

    Counts convolutions and matrix products, which hold nearly all the arithmetic; shapes come from
    ONNX shape inference.
    """
    import onnx

    model = onnx.load(str(path))
    for graph_input in model.graph.input:
        dims = graph_input.type.tensor_type.shape.dim
        for dim, size in zip(dims, input_shape or (1, *(d.dim_value for d in dims[1:])), strict=True):
            dim.dim_value = size
    graph = onnx.shape_inference.infer_shapes(model, strict_mode=True).graph
    shapes = {i.name: list(i.dims) for i in graph.initializer}
    for info in [*graph.input, *graph.value_info, *graph.output]:
        shapes[info.name] = [d.dim_value for d in info.type.tensor_type.shape.dim]
    total = 0
    for node in graph.node:
        if node.op_type not in _MAC_OPS:
            continue
        weight_index, is_product = _MAC_OPS[node.op_type]
        output = shapes[node.output[0]]
        if is_product:  # (M, K) x (K, N) -> (M, N): M * N * K, K read off the first operand
            first = shapes[node.input[0]]
            transposed = any(a.name == "transA" and a.i for a in node.attribute)
            total += math.prod(output) * (first[-2] if transposed else first[-1])
        else:  # weight (out_c, in_c / groups, kh, kw): each output value costs in_c / groups * kh * kw
            total += math.prod(output) * math.prod(shapes[node.input[weight_index]][1:])
    return total


def detector_macs(height: int = 480, width: int = 640) -> int:
    """Multiply-adds of one run of the shipped face detector (YuNet) on a height x width frame."""
    from mien.catalogue import detector_file

    return macs_per_run(detector_file("yunet"), (1, height, width, 3))


@functools.cache
def throughputs() -> dict[str, float]:
    """Multiply-adds per second this CPU sustains on all its cores, by precision: fp32 and int8
    always, bf16 where the CPU has it in hardware. Measured once per process.

    Timed on one thread and scaled by the physical cores: a product split over threads waits for its
    slowest one, so a core busy with anything else (a training run) would pull the whole figure
    below what the classifiers themselves reach."""
    from mien.runtime import native_bf16

    rates = {"fp32": _onnx_rate(np.float32, np.float32), "int8": _onnx_rate(np.uint8, np.int8)}
    if native_bf16():
        rates["bf16"] = _torch_bf16_rate()
    return {precision: rate * _physical_cores() for precision, rate in rates.items()}


def limit(macs: int, throughput: float) -> float:
    """The most faces per second a path can reach: throughput / multiply-adds per face."""
    return throughput / macs


def frame_limit_text(
    detector_macs: int, classifier_macs: int, precision: str, frames_per_second: float
) -> str:
    """The limit of a frame with one face: the detector in fp32, then the classifier in precision."""
    rates = throughputs()
    if precision not in rates:
        return f"no limit ({precision} not measured on this CPU)"
    seconds = detector_macs / rates["fp32"] + classifier_macs / rates[precision]
    cost = (f"{detector_macs / 1e9:.2f}G MACs of detection at {rates['fp32'] / 1e9:.0f} GMAC/s fp32 + "
            f"{classifier_macs / 1e6:.1f}M of classification in {precision}")  # fmt: skip
    return f"limit {1 / seconds:,.0f} frames/s ({cost}), {frames_per_second * seconds:.0%} of it reached"


def limit_text(macs: int, precision: str, faces_per_second: float | None = None) -> str:
    """One line, e.g. 'limit 2,310 faces/s (117.3M MACs/face at 271 GMAC/s fp32)', and the share of
    it a figure reaches when given one; a precision this CPU has no measured throughput for says so."""
    rate = throughputs().get(precision)
    if rate is None:
        return f"no limit ({precision} not measured on this CPU)"
    cost = f"{macs / 1e6:.1f}M MACs/face at {rate / 1e9:.0f} GMAC/s {precision}"
    text = f"limit {limit(macs, rate):,.0f} faces/s ({cost})"
    if faces_per_second is not None:
        text += f", {faces_per_second / limit(macs, rate):.0%} of it reached"
    return text


def instruction_sets() -> str:
    """The vector and matrix instruction sets of this CPU that decide fp32, int8 and bf16 speed."""
    cpuinfo = _cpuinfo()
    if not cpuinfo:
        return "instruction sets: unknown (no /proc/cpuinfo)"
    flag_lines = [line for line in cpuinfo.splitlines() if line.startswith("flags")]
    flags = flag_lines[0].split(":", 1)[1].split() if flag_lines else []
    present = [name for name in _INSTRUCTION_SETS if name in flags]
    text = f"instruction sets: {' '.join(present) or 'none of ' + ', '.join(_INSTRUCTION_SETS)}"
    proxy = os.environ.get("MIEN_CPU_PROXY")  # set by avx2_proxy.py, which hides some of them
    return f"{text} ({proxy})" if proxy else text


def _cpuinfo() -> str:
    try:
        return Path("/proc/cpuinfo").read_text()
    except OSError:
        return ""


def _physical_cores() -> int:
    """Cores this process may run on, two hyperthreads of one core counted once (they share its units)."""
    allowed, cores = os.sched_getaffinity(0), set()
    for block in _cpuinfo().split("\n\n"):
        pairs = (line.split(":", 1) for line in block.splitlines() if ":" in line)
        fields = {key.strip(): value.strip() for key, value in pairs}
        if "processor" in fields and int(fields["processor"]) in allowed:
            cores.add((fields.get("physical id"), fields.get("core id", fields["processor"])))
    return len(cores) or len(allowed)


def _onnx_rate(left_type, right_type) -> float:
    """One thread of ONNX Runtime's own kernels (those the shipped models run on): MatMul for fp32,
    MatMulInteger on uint8 x int8 for int8, the types the int8 models quantise activations and
    weights to."""
    import onnxruntime
    from onnx import TensorProto, helper

    element = {np.float32: TensorProto.FLOAT, np.uint8: TensorProto.UINT8, np.int8: TensorProto.INT8}
    integer = left_type is not np.float32
    square = [_SIZE, _SIZE]
    graph = helper.make_graph(
        [helper.make_node("MatMulInteger" if integer else "MatMul", ["a", "b"], ["c"])],
        "product",
        [helper.make_tensor_value_info("a", element[left_type], square),
         helper.make_tensor_value_info("b", element[right_type], square)],
        [helper.make_tensor_value_info("c", TensorProto.INT32 if integer else TensorProto.FLOAT, square)],
    )  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3  # errors only
    options.intra_op_num_threads = 1
    session = onnxruntime.InferenceSession(model.SerializeToString(), options, ["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    a, b = (rng.integers(0, 100, square).astype(t) for t in (left_type, right_type))
    return _rate(lambda: session.run(None, {"a": a, "b": b}))


def _torch_bf16_rate() -> float:
    """One thread of PyTorch's bf16 matrix product (oneDNN), what its bf16 classifier runs on."""
    import torch

    a, b = (torch.randn(_SIZE, _SIZE).to(torch.bfloat16) for _ in range(2))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _rate(lambda: torch.mm(a, b))
    finally:
        torch.set_num_threads(threads)


def _rate(product) -> float:
    """Median multiply-adds per second of a _SIZE-cubed product, after one warm-up."""
    product()

    def one_repeat() -> float:
        started = time.perf_counter()
        for _ in range(_PRODUCTS):
            product()
        return _PRODUCTS * _SIZE**3 / (time.perf_counter() - started)

    return statistics.median(one_repeat() for _ in range(_REPEATS))
