"""PyTorch backend: a mien checkpoint (or fp32 mien export), in bf16 where the CPU has it in hardware."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from mien.models.checkpoint import load_checkpoint, model_from_checkpoint
from mien.models.forward import predict_probabilities
from mien.runtime import use_bf16


class TorchClassifier:
    def __init__(self, model: torch.nn.Module, class_names: list[str], preprocess: dict, tta: bool = False,
                 precision: str = "auto"):  # fmt: skip
        self.model = model.eval().to(memory_format=torch.channels_last)
        self.class_names = list(class_names)
        self.preprocess = dict(preprocess)
        self.tta = tta
        self.bf16 = use_bf16(precision)  # auto: bf16 where the CPU has it in hardware
        self.precision = "bf16" if self.bf16 else "fp32"

    @classmethod
    def from_checkpoint(cls, path: str | Path, tta: bool = False, precision: str = "auto") -> TorchClassifier:
        checkpoint = load_checkpoint(path)
        model = model_from_checkpoint(checkpoint)
        return cls(model, checkpoint["class_names"], checkpoint["preprocess"], tta, precision)

    def probabilities(self, faces: np.ndarray) -> np.ndarray:
        return predict_probabilities(
            self.model, faces, self.preprocess, self.tta, batch_size=256, bf16=self.bf16
        )
