"""Knowledge distillation: a frozen teacher ensemble labels every training batch as the student
sees it (same augmented, mixed images), and the student learns from those soft labels beside the
hard ones.

    loss = (1 - alpha) * CE(student, labels) + alpha * T^2 * CE(softmax(student / T), teacher_T)

where teacher_T is the teachers' mean of softmax(logits / T). The teachers stay in eval mode.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from mien.errors import MienError
from mien.train.checkpoint import load_checkpoint, model_from_checkpoint, resolve_model_path


class TeacherEnsemble:
    """Frozen models whose averaged, temperature-softened probabilities are the soft labels."""

    def __init__(
        self,
        models: list[nn.Module],
        temperature: float,
        bf16: bool = True,
        device: torch.device | None = None,
    ):
        if not models:
            raise MienError("distillation needs at least one teacher")
        if temperature <= 0:
            raise MienError(f"distillation temperature must be positive, got {temperature}")
        device = device or torch.device("cpu")
        self.models = [m.eval().to(device, memory_format=torch.channels_last) for m in models]
        self.temperature = temperature
        self.bf16 = bf16
        self.device = device

    @classmethod
    def from_checkpoints(
        cls,
        paths: list[str | Path],
        preprocess: dict,
        temperature: float,
        bf16: bool = True,
        device: torch.device | None = None,
    ) -> TeacherEnsemble:
        """Load each teacher; its preprocessing must match the student's, or its labels are wrong."""
        models = []
        for path in resolve_teacher_paths(paths):
            checkpoint = load_checkpoint(path)
            if checkpoint["preprocess"] != preprocess:
                raise MienError(
                    f"teacher {path} was trained with preprocessing {checkpoint['preprocess']}, "
                    f"the student uses {preprocess}"
                )
            models.append(model_from_checkpoint(checkpoint))
        return cls(models, temperature, bf16, device)

    @torch.no_grad()  # not inference_mode: the labels take part in the student's autograd graph
    def soft_labels(self, images: torch.Tensor) -> torch.Tensor:
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.bf16):
            probs = [F.softmax(m(images).float() / self.temperature, dim=1) for m in self.models]
        return torch.stack(probs).mean(dim=0)


def resolve_teacher_paths(paths: list[str | Path]) -> list[Path]:
    """Checkpoint paths; a shipped model's name (``vgg_s``) stands for its file, and the word
    "shipped" for all the shipped ensemble's members."""
    from mien.pipeline import shipped_ensemble

    resolved = []
    for path in paths:
        resolved += shipped_ensemble(".pt") if str(path) == "shipped" else [resolve_model_path(path)]
    return resolved


def distillation_loss(
    logits: torch.Tensor,
    hard_loss: torch.Tensor,
    soft_labels: torch.Tensor,
    alpha: float,
    temperature: float,
) -> torch.Tensor:
    """Blend the loss on the labels with the cross-entropy against the teachers' soft labels; the
    T^2 factor keeps the soft term's gradients on the same scale for any temperature."""
    log_probs = F.log_softmax(logits.float() / temperature, dim=1)
    soft_loss = -(soft_labels * log_probs).sum(dim=1).mean() * temperature**2
    return (1 - alpha) * hard_loss + alpha * soft_loss
