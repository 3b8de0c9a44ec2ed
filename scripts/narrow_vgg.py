"""Narrow a trained vgg_s to fewer channels per block, for a fine-tuning run to start from.

    .venv/bin/python scripts/narrow_vgg.py SOURCE --widths 40 80 160 --out runs/narrow_start.pt

SOURCE is a checkpoint, a shipped fp32 export or a shipped model's name. In each convolution the
output channels whose batch-norm scale is largest in magnitude are kept (a channel the norm scales
towards zero contributes little), with the matching input channels of the next layer and columns
of the first dense layer. The stem and the dense layers keep their widths. The result is a mien
checkpoint that `train.init_from` accepts; it still needs fine-tuning.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from inspect import signature
from pathlib import Path

import torch
from torch import nn

from mien.catalogue import resolve_model
from mien.errors import MienError
from mien.models.checkpoint import load_checkpoint, model_from_checkpoint, save_checkpoint
from mien.models.registry import create_model
from mien.models.vgg import vgg_s

# (old convolution, its batch norm, new convolution) -> each new channel's old channel, and its share
ChannelChoice = Callable[[nn.Conv2d, nn.BatchNorm2d, nn.Conv2d], tuple[torch.Tensor, torch.Tensor]]


def kept_channels(norm: nn.BatchNorm2d, count: int) -> torch.Tensor:
    """The indices of the count channels the norm scales most, in their original order."""
    return torch.topk(norm.weight.detach().abs(), count).indices.sort().values


def carry_channels(source: nn.Module, target: nn.Module, choose: ChannelChoice) -> None:
    """Copy source's weights into target, whose blocks have other widths, layer by layer:
    ``choose(old convolution, its batch norm, new convolution)`` gives each new output channel's old
    channel and the share of that old channel's outgoing weights it carries (1 for a channel kept
    alone); the next layer, and the first dense layer's columns, read them accordingly."""
    layers = list(zip(source.features, target.features, strict=True))
    origin = torch.arange(source.features[0].in_channels)  # each input channel's old channel
    share = torch.ones(len(origin))  # and the share of that old channel it carries
    for index, (old, new) in enumerate(layers):
        if isinstance(old, nn.Conv2d):
            norm = layers[index + 1][0]  # every convolution is followed by its batch norm
            out_origin, out_share = choose(old, norm, new)
            new.weight.data = old.weight.data[out_origin][:, origin] * share[None, :, None, None]
        elif isinstance(old, nn.BatchNorm2d):
            for name in ("weight", "bias", "running_mean", "running_var"):
                getattr(new, name).data = getattr(old, name).data[out_origin].clone()
            new.num_batches_tracked.data = old.num_batches_tracked.data.clone()
            origin, share = out_origin, out_share
    first_dense = next(i for i, layer in enumerate(source.head) if isinstance(layer, nn.Linear))
    old_dense, new_dense = source.head[first_dense], target.head[first_dense]
    per_channel = new_dense.in_features // len(origin)  # the last map's positions (3x3)
    columns = (origin[:, None] * per_channel + torch.arange(per_channel)).flatten()  # channel-major
    new_dense.weight.data = old_dense.weight.data[:, columns] * share.repeat_interleave(per_channel)
    new_dense.bias.data = old_dense.bias.data.clone()
    for old, new in zip(source.head[first_dense + 1 :], target.head[first_dense + 1 :], strict=True):
        new.load_state_dict(old.state_dict())


def narrow(source: nn.Module, target: nn.Module) -> None:
    """Copy source's weights into the narrower target, layer by layer, keeping the strongest channels."""

    def strongest(_old: nn.Conv2d, norm: nn.BatchNorm2d, new: nn.Conv2d):
        return kept_channels(norm, new.out_channels), torch.ones(new.out_channels)

    carry_channels(source, target, strongest)


def resize(source_name: str, widths: list[int], out: Path, transfer: Callable[[nn.Module, nn.Module], None]):
    """Write to ``out`` a checkpoint of the vgg_s ``source_name`` names at ``widths`` channels per
    block, its weights carried over by ``transfer(source, target)``."""
    checkpoint = load_checkpoint(resolve_model(source_name))
    spec = checkpoint["model"]
    old_widths = list(spec["args"].get("widths", signature(vgg_s).parameters["widths"].default))
    if spec["name"] != "vgg_s" or len(widths) != len(old_widths):
        raise MienError(f"{source_name} is {spec}; give one width per block of a vgg_s")
    model_args = {**spec["args"], "widths": list(widths)}
    source = model_from_checkpoint(checkpoint)
    target = create_model("vgg_s", num_classes=len(checkpoint["class_names"]), **model_args)
    transfer(source, target)
    resized = {key: checkpoint[key] for key in ("class_names", "preprocess", "config")}
    resized.update(model={"name": "vgg_s", "args": model_args}, metrics={}, epoch=0)
    save_checkpoint(out, {**resized, "state_dict": target.state_dict()})
    print(f"{out}: vgg_s {old_widths} -> {widths}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", help="a checkpoint, a shipped fp32 export or a shipped model's name")
    parser.add_argument("--widths", type=int, nargs="+", required=True, help="channels of each block")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    resize(args.source, args.widths, args.out, narrow)


if __name__ == "__main__":
    main()
