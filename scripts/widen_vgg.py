"""Widen a trained vgg_s to more channels per block, answering exactly as before, for a fine-tuning
run to start from with room to learn more (Net2WiderNet, Chen et al., 2016).

    .venv/bin/python scripts/widen_vgg.py SOURCE --widths 48 96 192 384 --out runs/wide_start.pt

SOURCE is a checkpoint, a shipped fp32 export or a shipped model's name. Each new channel of a
convolution copies one of its old channels (the old ones first, then copies drawn at random), batch
norm included; the next layer splits each old channel's outgoing weights among its copies in random
positive shares that sum to 1, so the network computes the same function, and the copies, weighted
differently, learn apart in fine-tuning. The dense layers keep their widths. The result is a mien
checkpoint that `train.init_from` accepts (scripts/narrow_vgg.py narrows).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from narrow_vgg import resize
from torch import nn

from mien.errors import MienError


def random_shares(origin: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """For each new channel, its share of its old channel's outgoing weights: positive, summing to 1
    over the copies of each old channel (an old channel without copies keeps all of it)."""
    raw = torch.rand(len(origin), generator=generator) + 0.5  # in [0.5, 1.5): no copy left near 0
    totals = torch.zeros(int(origin.max()) + 1).index_add_(0, origin, raw)
    return raw / totals[origin]


def widen(source: nn.Module, target: nn.Module, seed: int = 0) -> None:
    """Copy source's weights into the wider target, layer by layer, so that target answers as source."""
    generator = torch.Generator().manual_seed(seed)
    origin = torch.arange(source.features[0].in_channels)  # each input channel's old channel
    share = torch.ones(len(origin))  # and the share of that old channel it carries
    out_origin = origin
    for old, new in zip(source.features, target.features, strict=True):
        if isinstance(old, nn.Conv2d):
            added = new.out_channels - old.out_channels
            if added < 0:
                raise MienError("widen_vgg widens; scripts/narrow_vgg.py narrows")
            copies = torch.randint(old.out_channels, (added,), generator=generator)
            out_origin = torch.cat([torch.arange(old.out_channels), copies])
            new.weight.data = old.weight.data[out_origin][:, origin] * share[None, :, None, None]
        elif isinstance(old, nn.BatchNorm2d):
            for name in ("weight", "bias", "running_mean", "running_var"):
                getattr(new, name).data = getattr(old, name).data[out_origin].clone()
            new.num_batches_tracked.data = old.num_batches_tracked.data.clone()
            origin, share = out_origin, random_shares(out_origin, generator)
    first_dense = next(i for i, layer in enumerate(source.head) if isinstance(layer, nn.Linear))
    old_dense, new_dense = source.head[first_dense], target.head[first_dense]
    per_channel = old_dense.in_features // int(origin.max() + 1)  # the last map's positions (3x3)
    columns = (origin[:, None] * per_channel + torch.arange(per_channel)).flatten()  # channel-major
    new_dense.weight.data = old_dense.weight.data[:, columns] * share.repeat_interleave(per_channel)
    new_dense.bias.data = old_dense.bias.data.clone()
    for old, new in zip(source.head[first_dense + 1 :], target.head[first_dense + 1 :], strict=True):
        new.load_state_dict(old.state_dict())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", help="a checkpoint, a shipped fp32 export or a shipped model's name")
    parser.add_argument("--widths", type=int, nargs="+", required=True, help="channels of each block")
    parser.add_argument("--seed", type=int, default=0, help="which channels are copied, and their shares")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    resize(args.source, args.widths, args.out, lambda source, target: widen(source, target, args.seed))


if __name__ == "__main__":
    main()
