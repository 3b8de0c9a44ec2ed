"""One training epoch: the loop reads top to bottom."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

from mien.config import AugmentConfig, PreprocessConfig, TrainConfig
from mien.data.augment import augment_batch, cutmix, mixup
from mien.data.loaders import batches, epoch_order, to_model_input
from mien.models.forward import autocast
from mien.train.distill import distillation_loss
from mien.train.optim import clip_gradients
from mien.train.state import TrainingState


def soft_cross_entropy(logits: torch.Tensor, targets: torch.Tensor, class_weights: torch.Tensor | None):
    """Cross-entropy against soft targets, each sample weighted by its target's class weights."""
    loss = -(targets * F.log_softmax(logits.float(), dim=1)).sum(dim=1)
    if class_weights is not None:
        sample_weights = targets @ class_weights
        return (loss * sample_weights).sum() / sample_weights.sum()
    return loss.mean()


def train_one_epoch(
    state: TrainingState,
    settings: TrainConfig,
    augment: AugmentConfig,
    preprocess: PreprocessConfig,
    epoch: int,
    description: str = "train",
    shard: slice = slice(None),
) -> dict:
    """Train ``state`` for one pass over its data, the ``epoch``-th (0-based) of the run; returns mean
    loss, accuracy and steps taken.

    With ``state.teacher``, the loss also pulls towards its soft labels for the same images; with
    ``state.data.soft_labels``, towards those precomputed for each face (mixed as its targets are).

    In distributed training every rank draws the same global batch and the same augmentation
    (one generator state), then trains on its ``shard`` of it.
    """
    model, optimizer, ema, data = state.trained, state.optimizer, state.ema, state.data
    generator = state.generator  # data order and augmentation
    model.train()
    device = next(model.parameters()).device  # augmentation runs on the CPU, training here
    order = epoch_order(len(data.labels), data.draw_weights, generator)
    first_step = epoch * state.steps_per_epoch
    step, loss_sum, correct, seen = first_step, 0.0, 0, 0
    progress = tqdm(
        list(batches(order, settings.batch_size, drop_last=True)), desc=description, leave=False, disable=None
    )  # disable=None: a bar on a terminal, none in a log file
    for index in progress:
        labels = data.labels[index]
        images = augment_batch(to_model_input(data.images[index], preprocess), augment, generator)
        smoothing = settings.label_smoothing
        targets = data.targets[index] * (1 - smoothing) + smoothing / data.num_classes
        # the teachers' labels and FER2013's travel beside the targets, so mixup mixes them alike
        riders = [extra[index] for extra in (data.soft_labels, data.fer2013_targets) if extra is not None]
        images, targets = mix_pairs(images, torch.cat([targets, *riders], dim=1), augment, generator)
        labels, images, targets = (t[shard].to(device, non_blocking=True) for t in (labels, images, targets))
        targets, *riders = targets.split(data.num_classes, dim=1)
        soft_labels = riders.pop(0) if data.soft_labels is not None else None
        fer2013_targets = riders.pop(0) if data.fer2013_targets is not None else None
        if settings.channels_last:
            images = images.contiguous(memory_format=torch.channels_last)
        for group in optimizer.param_groups:
            group["lr"] = state.lr_for_step(step)
        with autocast(settings.bf16, device.type):
            logits, fer2013_logits = two_heads(model, state.fer2013_head, images)
        loss = soft_cross_entropy(logits, targets, data.class_weights)
        if state.teacher is not None:
            soft_labels = state.teacher.soft_labels(images)
        if soft_labels is not None:
            loss = distillation_loss(
                logits, loss, soft_labels, settings.distill_alpha, settings.distill_temperature
            )
        if fer2013_logits is not None:
            loss = loss + settings.fer2013_head_weight * labelled_cross_entropy(
                fer2013_logits, fer2013_targets
            )
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if settings.grad_clip > 0:
            clip_gradients(optimizer, settings.grad_clip)
        optimizer.step()
        if ema is not None:
            ema.update_parameters(model)
        step += 1
        loss_sum += loss.item() * len(labels)
        correct += (logits.argmax(dim=1) == labels).sum().item()
        seen += len(labels)
        progress.set_postfix(loss=f"{loss_sum / seen:.3f}", acc=f"{correct / seen:.3f}")
    return {
        "train_loss": loss_sum / max(1, seen),
        "train_acc": correct / max(1, seen),
        "steps": step - first_step,
    }


def two_heads(model: nn.Module, second_head: nn.Module | None, images: torch.Tensor):
    """The model's logits and, with a second last layer, its logits on the same hidden layer."""
    if second_head is None:
        return model(images), None
    hidden = model.head[:-1](model.features(images))
    return model.head[-1](hidden), second_head(hidden)


def labelled_cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Cross-entropy over the faces whose target row is not all zeros (a label is known)."""
    per_face = -(targets * F.log_softmax(logits.float(), dim=1)).sum(dim=1)
    return per_face.sum() / targets.sum().clamp(min=1e-6)


def mix_pairs(
    images: torch.Tensor, targets: torch.Tensor, augment: AugmentConfig, generator: torch.Generator
):
    """Mixup or cutmix as configured (one of them per batch, at random, when both are on)."""
    use_mixup, use_cutmix = augment.mixup_alpha > 0, augment.cutmix_alpha > 0
    if use_mixup and use_cutmix:
        use_mixup = bool(torch.rand(1, generator=generator) < 0.5)
        use_cutmix = not use_mixup
    if use_mixup:
        return mixup(images, targets, augment.mixup_alpha, generator)
    if use_cutmix:
        return cutmix(images, targets, augment.cutmix_alpha, generator)
    return images, targets
