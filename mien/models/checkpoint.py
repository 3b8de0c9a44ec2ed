"""Self-describing checkpoints, written atomically and read without unpickling code.

A checkpoint holds the weights, the model name and arguments, the class names in index order,
the preprocessing spec, the resolved config and its metrics; training checkpoints add the
optimizer, the epoch and the random states needed to resume exactly.

An fp32 ONNX file written by `mien export` reads as a checkpoint too: it carries the same
description in its metadata and the network's weights under their PyTorch names. That is how the
shipped models travel: one file for ONNX Runtime and PyTorch alike.

Inference and training both load models through here; nothing here imports either of them.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from torch import nn

from mien.atomic import atomic_path
from mien.errors import MienError
from mien.models.registry import create_model
from mien.models.temperature import temperature_for

FORMAT = "mien-checkpoint/1"
ONNX_PREFIX = "model."  # the exported graph wraps the network (with its softmax) as `model`


def save_checkpoint(path: Path, checkpoint: dict) -> None:
    """Write a checkpoint so that a crash mid-write never leaves a broken file behind."""
    with atomic_path(path) as tmp:
        torch.save({"format": FORMAT, **checkpoint}, tmp)


def load_checkpoint(path: Path) -> dict:
    """Read a checkpoint safely (weights_only: no arbitrary code runs), or an fp32 mien ONNX export."""
    path = Path(path)
    if not path.is_file():
        raise MienError(f"checkpoint not found: {path}")
    if path.suffix.lower() == ".onnx":
        return _checkpoint_from_onnx(path)
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises many types for a damaged or foreign file
        raise MienError(f"{path}: not a readable mien checkpoint ({type(err).__name__})") from None
    if not isinstance(checkpoint, dict) or checkpoint.get("format") != FORMAT:
        raise MienError(f"{path}: not a mien checkpoint (expected format {FORMAT})")
    return checkpoint


def model_from_checkpoint(checkpoint: dict) -> nn.Module:
    """Rebuild the model a checkpoint describes, with its weights, in eval mode."""
    spec = checkpoint["model"]
    model = create_model(spec["name"], num_classes=len(checkpoint["class_names"]), **spec["args"])
    weights = fp32_weights(checkpoint)
    model.temperature = temperature_for(weights, len(checkpoint["class_names"]))
    model.load_state_dict(weights)
    return model.eval()


def fp32_weights(checkpoint: dict) -> dict:
    """The evaluated weights in float32 (shipped checkpoints may hold them in fp16)."""
    return {k: v.float() if v.is_floating_point() else v for k, v in evaluated_weights(checkpoint).items()}


def evaluated_weights(checkpoint: dict) -> dict:
    """The weights a run is judged and shipped by: its weight average (SWA or EMA) when it keeps
    one, else the trained weights."""
    return checkpoint.get("swa_state_dict") or checkpoint.get("ema_state_dict") or checkpoint["state_dict"]


def _as_fp32(values) -> torch.Tensor:
    tensor = torch.from_numpy(values.copy())
    return tensor.float() if tensor.dtype == torch.float16 else tensor


def _checkpoint_from_onnx(path: Path) -> dict:
    """The checkpoint an fp32 mien export holds: its description and the weights by their names."""
    try:
        import onnx
        from onnx import numpy_helper
    except ImportError:
        raise MienError(f"{path}: reading an ONNX model into PyTorch needs the onnx package") from None
    try:
        graph = onnx.load(str(path))
    except Exception as err:  # protobuf raises its own types for a damaged file
        raise MienError(f"{path}: not a readable ONNX model ({type(err).__name__})") from None
    metadata = {prop.key: prop.value for prop in graph.metadata_props}
    if "mien" not in metadata:
        raise MienError(f"{path}: not exported by mien (no class names or preprocessing inside)")
    description = json.loads(metadata["mien"])
    if description.get("precision") != "fp32" or "model" not in description:
        raise MienError(
            f"{path}: holds no PyTorch weights ({description.get('precision')} export); use an fp32 one"
        )
    tensors = {tensor.name: tensor for tensor in graph.graph.initializer}
    # The exporter keeps one initializer per distinct value; a weight equal to another one is an
    # Identity of it, under its own name. Weights stored in fp16 are a Cast of theirs.
    cast = {node.input[0] for node in graph.graph.node if node.op_type == "Cast" and node.input[0] in tensors}
    names = {name: name for name in tensors if name not in cast}
    names |= {
        node.output[0]: node.input[0]
        for node in graph.graph.node
        if node.op_type in ("Identity", "Cast") and node.input[0] in tensors
    }
    names |= {  # an Identity of a cast weight
        node.output[0]: names[node.input[0]]
        for node in graph.graph.node
        if node.op_type == "Identity" and node.input[0] in names and node.input[0] not in tensors
    }
    weights = {
        name[len(ONNX_PREFIX) :]: _as_fp32(numpy_helper.to_array(tensors[source]))
        for name, source in names.items()
        if name.startswith(ONNX_PREFIX)
    }
    if not weights:
        raise MienError(f"{path}: its weights are folded into the graph; export it again with `mien export`")
    # The graph has no batch-norm step counters: they only count training steps (zero: not trained here).
    for name in [name for name in weights if name.endswith(".running_mean")]:
        weights[name.removesuffix("running_mean") + "num_batches_tracked"] = torch.tensor(0)
    keep = ("model", "class_names", "preprocess", "config", "metrics", "epoch", "calibration")
    return {"format": FORMAT, **{k: description[k] for k in keep if k in description}, "state_dict": weights}
