"""The forward pass inference and training share: uint8 faces in, logits or probabilities out,
batched, optionally over the TTA views, in bf16 where asked."""

from __future__ import annotations

from contextlib import nullcontext

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from mien.config import PreprocessConfig
from mien.data.loaders import to_model_input
from mien.vision.preprocess import tta_views


def predict_probabilities(
    model: nn.Module,
    images: np.ndarray,
    preprocess: PreprocessConfig | dict,
    tta: bool = False,
    batch_size: int = 512,
    bf16: bool = False,
) -> np.ndarray:
    """Class probabilities (N, K) for uint8 faces (N, 48, 48); TTA averages flips and shifted crops."""
    return view_averaged_probabilities(predict_logits(model, images, preprocess, tta, batch_size, bf16))


def view_averaged_probabilities(view_logits: np.ndarray) -> np.ndarray:
    """(N, V, K) logits -> (N, K): the mean of each view's softmax, as every backend computes it."""
    return F.softmax(torch.as_tensor(view_logits), dim=2).mean(dim=1).numpy()


@torch.inference_mode()
def predict_logits(
    model: nn.Module,
    images: np.ndarray,
    preprocess: PreprocessConfig | dict,
    tta: bool = False,
    batch_size: int = 512,
    bf16: bool = False,
) -> np.ndarray:
    """Logits (N, V, K) of every view: V is 1, or the 10 TTA views."""
    model.eval()
    device = next(model.parameters()).device
    outputs = []
    for start in range(0, len(images), batch_size):
        batch = np.asarray(images[start : start + batch_size])
        views = tta_views(batch) if tta else [batch]
        with autocast(bf16, device.type):
            logits = [
                model(to_model_input(np.ascontiguousarray(v), preprocess).to(device)
                      .contiguous(memory_format=torch.channels_last)).float()
                for v in views
            ]  # fmt: skip
        outputs.append(torch.stack(logits, dim=1).cpu())  # (n, V, K)
    return torch.cat(outputs).numpy() if outputs else np.zeros((0, 1, 0), np.float32)


def autocast(enabled: bool, device_type: str = "cpu"):
    return torch.autocast(device_type, dtype=torch.bfloat16) if enabled else nullcontext()
