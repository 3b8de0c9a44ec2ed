"""Knowledge distillation: a frozen teacher ensemble labels every training batch as the student
sees it (same augmented, mixed images), and the student learns from those soft labels beside the
hard ones.

    loss = (1 - alpha) * CE(student, labels) + alpha * T^2 * CE(softmax(student / T), teacher_T)

where teacher_T is the teachers' mean of softmax(logits / T). The teachers stay in eval mode. A
teacher may know more classes than the student (the eight-class FER+ model teaching a seven-class
FER2013 one): its logits for the student's classes, matched by name, are the ones softened; a class
a teacher lacks (contempt, for the seven-class FER2013 model teaching an eight-class student) gets
probability 0 from it.

With precomputed labels the teachers label each training face and its mirror image once, before
training, and the run reuses them every epoch (``precomputed_soft_labels``).
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

from mien.catalogue import resolve_teachers
from mien.data.loaders import batches, to_model_input
from mien.errors import MienError
from mien.models.checkpoint import load_checkpoint, model_from_checkpoint, save_checkpoint
from mien.train.checkpoint import describe_source


class TeacherEnsemble:
    """Frozen models whose averaged, temperature-softened probabilities are the soft labels."""

    def __init__(
        self,
        models: list[nn.Module],
        temperature: float,
        bf16: bool = True,
        device: torch.device | None = None,
        sources: list[str] = (),
        columns: list[list[int] | None] | None = None,
        flip: bool = False,
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
        self.sources = list(sources)  # where the teachers came from, to recognise their labels later
        # for each model, its outputs in the student's class order (None: already in it)
        self.columns = list(columns) if columns is not None else [None] * len(self.models)
        self.flip = flip  # live labels averaged over each image and its mirror image (flip TTA)

    @classmethod
    def from_checkpoints(
        cls,
        paths: list[str | Path],
        preprocess: dict,
        temperature: float,
        bf16: bool = True,
        device: torch.device | None = None,
        class_names: tuple[str, ...] | None = None,
        flip: bool = False,
    ) -> TeacherEnsemble:
        """Load each teacher; its preprocessing must match the student's, or its labels are wrong, and
        it must know each of the student's ``class_names`` (by name; default: the teacher's own)."""
        models, sources, columns = [], [], []
        for path in resolve_teachers(paths):
            checkpoint = load_checkpoint(path)
            if checkpoint["preprocess"] != preprocess:
                raise MienError(
                    f"teacher {path} was trained with preprocessing {checkpoint['preprocess']}, "
                    f"the student uses {preprocess}"
                )
            models.append(model_from_checkpoint(checkpoint))
            sources.append(describe_source(path))
            columns.append(_student_columns(path, list(checkpoint["class_names"]), class_names))
        return cls(models, temperature, bf16, device, sources, columns, flip)

    @torch.no_grad()  # not inference_mode: the labels take part in the student's autograd graph
    def soft_labels(self, images: torch.Tensor) -> torch.Tensor:
        """The teachers' mean softened probabilities for a batch; with ``flip``, also averaged over
        the batch's mirror images (the teachers' flip TTA: steadier labels than one view gives)."""
        labels = self._one_view(images)
        if self.flip:
            mirrored = images.flip(-1).contiguous(memory_format=torch.channels_last)
            labels = (labels + self._one_view(mirrored)) / 2
        return labels

    @torch.no_grad()
    def _one_view(self, images: torch.Tensor) -> torch.Tensor:
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.bf16):
            logits = [m(images).float() for m in self.models]
        return torch.stack([self._placed(out, cols) for out, cols in zip(logits, self.columns)]).mean(dim=0)

    def _placed(self, logits: torch.Tensor, columns: list[int] | None) -> torch.Tensor:
        """Softened probabilities over the teacher's outputs for the student's classes, in the
        student's order; a class the teacher lacks (column -1) gets probability 0."""
        if columns is None:
            return F.softmax(logits / self.temperature, dim=1)
        known = [index for index, column in enumerate(columns) if column >= 0]
        placed = logits.new_zeros(len(logits), len(columns))
        placed[:, known] = F.softmax(logits[:, [columns[i] for i in known]] / self.temperature, dim=1)
        return placed

    def label_faces(self, faces: torch.Tensor, preprocess: dict, batch_size: int = 512) -> torch.Tensor:
        """Soft labels for (N, H, W) uint8 faces, each the mean over the face and its mirror image
        (the student is trained on both)."""
        labels = []
        order = list(batches(torch.arange(len(faces)), batch_size, drop_last=False))
        for index in tqdm(order, desc="teachers", disable=None):
            images = to_model_input(faces[index], preprocess).to(self.device)
            images = images.contiguous(memory_format=torch.channels_last)
            mirrored = images.flip(-1).contiguous(memory_format=torch.channels_last)
            labels.append(((self._one_view(images) + self._one_view(mirrored)) / 2).cpu())
        return torch.cat(labels)


def _student_columns(path: Path, teacher_names: list[str], student_names: tuple[str, ...] | None):
    """Where each of the student's classes is among the teacher's outputs (-1: the teacher lacks it,
    as the seven-class FER2013 model lacks contempt); None when in order."""
    if student_names is None or list(student_names) == teacher_names:
        return None
    if not set(student_names) & set(teacher_names):
        raise MienError(f"teacher {path} shares no class with this model: it cannot teach it")
    return [teacher_names.index(name) if name in teacher_names else -1 for name in student_names]


def precomputed_soft_labels(
    teacher: TeacherEnsemble, faces: torch.Tensor, preprocess: dict, cache: Path
) -> torch.Tensor:
    """The teachers' soft labels for every training face, read from ``cache`` when it was written
    for the same teachers, temperature and faces, else computed and written there."""
    key = {
        "teachers": teacher.sources,
        "temperature": teacher.temperature,
        "faces": hashlib.sha256(faces.numpy().tobytes()).hexdigest(),
    }
    if cache.is_file():
        stored = load_checkpoint(cache)
        if stored.get("key") == key:
            return stored["soft_labels"]
    print(
        f"{len(teacher.models)} teachers label {len(faces)} faces and their mirror images, once",
        file=sys.stderr,
    )
    labels = teacher.label_faces(faces, preprocess)
    cache.parent.mkdir(parents=True, exist_ok=True)
    save_checkpoint(cache, {"key": key, "soft_labels": labels})
    return labels


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
