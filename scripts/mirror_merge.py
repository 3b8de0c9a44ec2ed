"""A model merged with its own mirror image: one view that carries some of flip TTA.

    .venv/bin/python scripts/mirror_merge.py MODEL --data ../shared/ferplus --alpha 0.5 --out MERGED.pt

The mirrored twin of a network answers each face as the network answers its mirror image: every
convolution kernel flipped left to right, and the first linear layer's columns flipped over the
last convolution's map. Averaging the two weight by weight would mix unrelated channels, so each
layer's channels of the twin are first paired with the network's by how their activations
correlate on training faces (Hungarian matching), as in "Git Re-Basin" (Ainsworth et al., 2023).
Then alpha of the twin's weights and 1 - alpha of the network's are averaged, and the batch-norm
statistics measured again on 8,192 of the run's training faces. A temperature module, if the model
carries one, is dropped (the merged network is a new model: calibrate it again).

Only for the `vgg_s` family: `features` as conv, batch norm, ReLU (and pooling) blocks, `head` as
flatten, linear, batch norm, ReLU, dropout, linear; not with a stride-2 stem (`fast`), whose
sampling grid on an even-sized face is not mirror symmetric.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from interpolate_weights import interpolated, training_sample, with_measured_batch_norm
from scipy.optimize import linear_sum_assignment
from torch import nn

from mien.catalogue import resolve_model
from mien.data.loaders import to_model_input
from mien.errors import MienError
from mien.models.checkpoint import fp32_weights, load_checkpoint, model_from_checkpoint, save_checkpoint
from mien.models.temperature import without_temperature
from mien.train.checkpoint import inference_checkpoint

BATCH_NORM_KEYS = ("weight", "bias", "running_mean", "running_var")
MATCHING_FACES = 2048


def layer_names(model: nn.Module) -> tuple[list[int], int, int, int]:
    """Indices in ``features`` of each convolution, and in ``head`` of the hidden linear layer, its
    batch norm and the last linear layer."""
    convs = [i for i, module in enumerate(model.features) if isinstance(module, nn.Conv2d)]
    linears = [i for i, module in enumerate(model.head) if isinstance(module, nn.Linear)]
    norms = [i for i, module in enumerate(model.head) if isinstance(module, nn.BatchNorm1d)]
    return convs, linears[0], norms[0], linears[-1]


def mirrored(weights: dict, model: nn.Module) -> dict:
    """The weights of the network that answers each face as ``weights`` answer its mirror image."""
    convs, hidden, _, _ = layer_names(model)
    if any(model.features[index].stride != (1, 1) for index in convs):
        raise MienError("a strided convolution (a stride-2 stem) has no mirror twin on an even-sized face")
    twin = {key: value.clone() for key, value in weights.items()}
    for index in convs:
        twin[f"features.{index}.weight"] = weights[f"features.{index}.weight"].flip(-1)
    channels = weights[f"features.{convs[-1]}.weight"].shape[0]
    linear = weights[f"head.{hidden}.weight"]  # (hidden, channels * side * side)
    side = round((linear.shape[1] / channels) ** 0.5)
    twin[f"head.{hidden}.weight"] = linear.view(-1, channels, side, side).flip(-1).reshape(linear.shape)
    return twin


def activations(model: nn.Module, inputs: torch.Tensor) -> dict[str, torch.Tensor]:
    """Each convolution block's output after its ReLU, and the hidden layer's, keyed by layer."""
    convs, _, norm, _ = layer_names(model)
    taps = {f"features.{i}": model.features[i + 2] for i in convs} | {"hidden": model.head[norm + 1]}
    caught: dict[str, list[torch.Tensor]] = {name: [] for name in taps}
    hooks = [
        module.register_forward_hook(lambda _m, _i, out, name=name: caught[name].append(out.detach()))
        for name, module in taps.items()
    ]
    try:
        with torch.no_grad():
            for start in range(0, len(inputs), 256):
                model(inputs[start : start + 256])
    finally:
        for hook in hooks:
            hook.remove()
    return {name: torch.cat(parts) for name, parts in caught.items()}


def pairing(mine: torch.Tensor, twins: torch.Tensor) -> torch.Tensor:
    """For each of my channels, the twin's channel whose activations correlate best, one to one."""

    def standardised(acts: torch.Tensor) -> torch.Tensor:  # (N, C, ...) -> (C, N * ...)
        flat = acts.transpose(0, 1).reshape(acts.shape[1], -1)
        return (flat - flat.mean(1, keepdim=True)) / (flat.std(1, keepdim=True) + 1e-6)

    correlation = (standardised(mine) @ standardised(twins).T / mine[:, 0].numel()).numpy()
    rows, columns = linear_sum_assignment(correlation, maximize=True)
    print(f"  matched correlation {correlation[rows, columns].mean():.2f}")
    return torch.from_numpy(columns)


def permuted(twin: dict, model: nn.Module, pairs: dict[str, torch.Tensor]) -> dict:
    """The twin's weights with its channels in my order (the function it computes unchanged)."""
    convs, hidden, norm, last = layer_names(model)
    out = {key: value.clone() for key, value in twin.items()}
    previous = None
    for index in convs:
        order = pairs[f"features.{index}"]
        kernel = out[f"features.{index}.weight"]
        kernel = kernel if previous is None else kernel[:, previous]
        out[f"features.{index}.weight"] = kernel[order]
        for key in BATCH_NORM_KEYS:
            out[f"features.{index + 1}.{key}"] = out[f"features.{index + 1}.{key}"][order]
        if f"features.{index}.bias" in out:
            out[f"features.{index}.bias"] = out[f"features.{index}.bias"][order]
        previous = order
    channels = len(previous)
    linear = out[f"head.{hidden}.weight"]
    linear = linear.view(linear.shape[0], channels, -1)[:, previous].reshape(linear.shape)
    order = pairs["hidden"]
    out[f"head.{hidden}.weight"] = linear[order]
    out[f"head.{hidden}.bias"] = out[f"head.{hidden}.bias"][order]
    for key in BATCH_NORM_KEYS:
        out[f"head.{norm}.{key}"] = out[f"head.{norm}.{key}"][order]
    out[f"head.{last}.weight"] = out[f"head.{last}.weight"][:, order]
    return out


def mirror_merged(checkpoint: dict, faces: torch.Tensor, alpha: float) -> dict:
    """The network and alpha of its channel-paired mirror twin, batch norm measured on ``faces``."""
    weights = without_temperature(fp32_weights(checkpoint))
    merged = inference_checkpoint(checkpoint)
    merged["state_dict"] = weights
    model = model_from_checkpoint(merged).eval()
    twin_checkpoint = dict(merged, state_dict=mirrored(weights, model))
    twin = model_from_checkpoint(twin_checkpoint).eval()
    inputs = to_model_input(faces[:MATCHING_FACES].numpy(), checkpoint["preprocess"])  # (N, 1, H, W)
    mine, twins = activations(model, inputs), activations(twin, inputs)
    pairs = {name: pairing(mine[name], twins[name]) for name in mine}
    paired_twin = dict(merged, state_dict=permuted(twin_checkpoint["state_dict"], model, pairs))
    return with_measured_batch_norm(interpolated(merged, paired_twin, alpha), faces)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help="a checkpoint or a shipped model's name")
    parser.add_argument("--data", type=Path, required=True, help="the FER+ folder its run trained on")
    parser.add_argument("--alpha", type=float, default=0.5, help="the mirror twin's share")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    checkpoint = load_checkpoint(resolve_model(args.model))
    merged = mirror_merged(checkpoint, training_sample(checkpoint, args.data), args.alpha)
    merged["mirror_merge"] = {"model": args.model, "alpha": args.alpha}
    save_checkpoint(args.out, merged)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
