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
from narrow_vgg import carry_channels, resize
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

    def copies(old: nn.Conv2d, _norm: nn.BatchNorm2d, new: nn.Conv2d):
        added = new.out_channels - old.out_channels
        if added < 0:
            raise MienError("widen_vgg widens; scripts/narrow_vgg.py narrows")
        drawn = torch.randint(old.out_channels, (added,), generator=generator)
        origin = torch.cat([torch.arange(old.out_channels), drawn])  # the old channels first
        return origin, random_shares(origin, generator)

    carry_channels(source, target, copies)


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
