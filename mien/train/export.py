"""Export a checkpoint to ONNX: fp32, or int8 calibrated on training faces; and check the result.

The ONNX file describes itself as a checkpoint does (class names, preprocessing, network, figures
and precision, in the model's metadata), so the onnx backend needs nothing else and never imports
PyTorch. An fp32 export keeps batch norm unfolded and each weight under its PyTorch name, so it is
a checkpoint too (mien.models.checkpoint reads it back); ONNX Runtime folds batch norm itself when
it loads the file, so this costs no speed.
"""

from __future__ import annotations

import json
import tempfile
import warnings
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from torch import nn

from mien.atomic import atomic_path
from mien.backends.onnx_backend import OnnxClassifier
from mien.backends.torch_backend import TorchClassifier
from mien.data.loaders import to_model_input
from mien.errors import MienError
from mien.models.checkpoint import fp32_weights, load_checkpoint, model_from_checkpoint

OPSET = 17
PARITY_LIMIT = 1e-4  # largest allowed difference in any probability, fp32 export against PyTorch
# Training faces that calibrate int8 activation ranges: 4,096 gave 99.1% label agreement with fp32
# on 4,000 other Training faces, 1,024 gave 98.8% (no test face is used to choose).
CALIBRATION_FACES = 4096
DESCRIPTION = ("class_names", "preprocess", "model", "config", "metrics", "epoch", "calibration")


class _Probabilities(nn.Module):
    """The classifier with its softmax, so that the exported graph answers probabilities."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, faces):
        return torch.softmax(self.model(faces), dim=1)


def export_onnx(
    checkpoint_path: Path,
    out: Path,
    calibration_faces: np.ndarray | None = None,
    fp16_weights: bool = False,
) -> str:
    """Write the checkpoint's model as ONNX; int8 when calibration faces (N, S, S uint8) are given.
    ``fp16_weights``: an fp32 export whose weights are stored in half the bytes (see
    ``_store_weights_in_fp16``); the checkpoint's weights must already be fp16 values
    (``round_weights_to_fp16``). Returns the precision written."""
    checkpoint = load_checkpoint(checkpoint_path)
    model = _Probabilities(model_from_checkpoint(checkpoint)).eval()
    size = int(checkpoint["preprocess"]["size"])
    precision = "fp32" if calibration_faces is None else "int8"
    with tempfile.TemporaryDirectory() as scratch, atomic_path(out) as tmp:
        if calibration_faces is None:
            graph = Path(scratch) / "fp32.onnx"
            _export_fp32(model, size, graph, keep_weights=True)
        else:
            folded = Path(scratch) / "folded.onnx"
            _export_fp32(model, size, folded, keep_weights=False)
            graph = _quantize(folded, Path(scratch), calibration_faces, checkpoint)
        exported = onnx.load(str(graph))
        description = {key: checkpoint[key] for key in DESCRIPTION if key in checkpoint}
        description.update(precision=precision, source=Path(checkpoint_path).name)
        if fp16_weights and precision == "fp32":
            _store_weights_in_fp16(exported)
            description["stored_weights"] = "fp16"
        exported.metadata_props.add(key="mien", value=json.dumps(description))
        onnx.save(exported, str(tmp))
    return precision


def round_weights_to_fp16(checkpoint: dict) -> dict:
    """The checkpoint with its floating-point weights rounded to the nearest fp16 values (kept as
    fp32 tensors): what an export with fp16_weights stores, so that PyTorch and ONNX Runtime run
    the same numbers and the parity check holds."""
    weights = {
        name: tensor.half().float() if tensor.is_floating_point() else tensor
        for name, tensor in fp32_weights(checkpoint).items()
    }
    return {key: value for key, value in checkpoint.items() if not key.endswith("state_dict")} | {
        "state_dict": weights
    }


def _store_weights_in_fp16(graph: onnx.ModelProto) -> None:
    """Store each fp32 weight as fp16 behind a Cast back to fp32 under its own name. ONNX Runtime
    folds the casts when it loads the file, so it computes in fp32 as before, from a file half the
    size; mien.models.checkpoint reads the weights back through the casts."""
    casts = []
    for tensor in graph.graph.initializer:
        if tensor.data_type != onnx.TensorProto.FLOAT:
            continue
        values = numpy_helper.to_array(tensor)
        halved = values.astype(np.float16)
        if not np.array_equal(halved.astype(np.float32), values):
            raise MienError(f"weight {tensor.name} is not fp16-exact: round the checkpoint's weights first")
        original, stored = tensor.name, f"{tensor.name}.fp16"
        tensor.CopyFrom(numpy_helper.from_array(halved, stored))
        casts.append(onnx.helper.make_node("Cast", [stored], [original], to=onnx.TensorProto.FLOAT))
    nodes = list(graph.graph.node)
    del graph.graph.node[:]
    graph.graph.node.extend(casts + nodes)


def _export_fp32(model: nn.Module, size: int, path: Path, keep_weights: bool) -> None:
    """keep_weights: every weight stays an initializer under its PyTorch name (no constant folding)."""
    axes = {"faces": {0: "batch"}, "probabilities": {0: "batch"}}  # any batch size
    with warnings.catch_warnings():  # the TorchScript exporter's deprecation notice: not actionable here
        warnings.simplefilter("ignore", DeprecationWarning)
        example = (torch.zeros(1, 1, size, size),)
        torch.onnx.export(model, example, str(path), dynamo=False, opset_version=OPSET, input_names=["faces"],
                          output_names=["probabilities"], dynamic_axes=axes,
                          do_constant_folding=not keep_weights)  # fmt: skip


def _quantize(fp32: Path, scratch: Path, faces: np.ndarray, checkpoint: dict) -> Path:
    """Static int8 quantisation (weights per channel, activations calibrated by their range)."""
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Batches(CalibrationDataReader):
        def __init__(self):
            inputs = to_model_input(faces, checkpoint["preprocess"]).numpy()
            self._batches = iter({"faces": inputs[i : i + 64]} for i in range(0, len(inputs), 64))

        def get_next(self):
            return next(self._batches, None)

    prepared, quantized = scratch / "prepared.onnx", scratch / "int8.onnx"
    quant_pre_process(str(fp32), str(prepared))
    # A temperature that reads the logits stays in fp32, and so does the softmax after it: 8-bit
    # steps between them would move the probabilities it sets, and the labels of near-ties
    nodes = onnx.load(str(prepared)).graph.node
    tempering = [node.name for node in nodes if "/temperature/" in node.name]
    tempering += [node.name for node in nodes if tempering and node.op_type == "Softmax"]
    # reduce_range: 7-bit weights. CPUs without VNNI (AVX2, plain AVX-512) multiply u8 x s8 pairs
    # into saturating 16-bit sums; full-range weights overflow them, and the int8 model agreed with
    # fp32 on only 94% of held-out faces on such a CPU (99.5% with 7-bit weights, as fast).
    quantize_static(str(prepared), str(quantized), Batches(), quant_format=QuantFormat.QDQ, per_channel=True,
                    reduce_range=True, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                    nodes_to_exclude=tempering)  # fmt: skip
    return quantized


def compare_with_torch(checkpoint_path: Path, onnx_path: Path, faces: np.ndarray) -> dict:
    """How far the exported model's probabilities are from PyTorch's (fp32) on the same faces."""
    reference = TorchClassifier.from_checkpoint(checkpoint_path, precision="fp32").probabilities(faces)
    exported = OnnxClassifier(onnx_path).probabilities(faces)
    return {
        "faces": len(faces),
        "max_abs_difference": float(np.abs(reference - exported).max()),
        "same_label": float((reference.argmax(axis=1) == exported.argmax(axis=1)).mean()),
    }


def export_and_check(
    checkpoint_path: Path,
    out: Path,
    int8: bool,
    data_path: Path | None,
    faces: int = 500,
    fp16_weights: bool = False,
) -> dict:
    """Export, then compare with PyTorch on ``faces`` PublicTest faces of data_path (synthetic faces
    without it); int8 is calibrated on CALIBRATION_FACES Training faces and needs data_path."""
    from mien.data.run_data import sampled_faces
    from mien.data.synthetic import make_faces

    if data_path is None:
        if int8:
            raise MienError("int8 export calibrates on real faces: give the FER2013 folder with --data")
        check_faces, source = make_faces({"PublicTest": faces}, seed=0)[0], "synthetic"
        calibration = None
    else:
        check_faces, source = sampled_faces(data_path, "public", faces)[:faces], "PublicTest"
        calibration = sampled_faces(data_path, "train", CALIBRATION_FACES) if int8 else None
    precision = export_onnx(checkpoint_path, out, calibration, fp16_weights and not int8)
    parity = compare_with_torch(checkpoint_path, out, check_faces)
    passed = parity["max_abs_difference"] < PARITY_LIMIT if precision == "fp32" else None
    return {"out": str(out), "precision": precision, "bytes": out.stat().st_size, "checked_on": source,
            "limit": PARITY_LIMIT, "passed": passed, **parity}  # fmt: skip
