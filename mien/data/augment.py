"""Batch-level augmentation on tensors: one affine warp and one erase mask for a whole batch.

Working on the batch (not image by image in worker processes) keeps a 2-core CPU busy with the
model instead of with Python loops.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from mien.config import AugmentConfig


def augment_batch(images: torch.Tensor, settings: AugmentConfig, generator: torch.Generator) -> torch.Tensor:
    """Randomly flip, rotate, scale, shift and erase normalised images (N, C, H, W)."""
    images = random_affine(images, settings, generator)
    if settings.erase_p > 0:
        images = random_erase(images, settings.erase_p, settings.erase_area, generator)
    return images


def random_affine(images: torch.Tensor, settings: AugmentConfig, generator: torch.Generator) -> torch.Tensor:
    count = images.shape[0]

    def uniform(low: float, high: float) -> torch.Tensor:
        return low + (high - low) * torch.rand(count, generator=generator)

    angle = uniform(-1, 1) * math.radians(settings.rotate_deg)
    zoom = uniform(1 - settings.scale, 1 + settings.scale)
    flip = torch.ones(count)
    if settings.flip:
        flip = torch.where(torch.rand(count, generator=generator) < 0.5, -1.0, 1.0)
    # affine_grid maps output coordinates to input ones, so a zoom in divides the sampling step.
    cos, sin = torch.cos(angle) / zoom, torch.sin(angle) / zoom
    theta = torch.zeros(count, 2, 3)
    theta[:, 0, 0], theta[:, 0, 1] = cos * flip, -sin
    theta[:, 1, 0], theta[:, 1, 1] = sin * flip, cos
    # Normalised coordinates span 2 units per side, so a shift of s sides is 2 * s units.
    theta[:, 0, 2] = uniform(-1, 1) * 2 * settings.shift
    theta[:, 1, 2] = uniform(-1, 1) * 2 * settings.shift
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="border", align_corners=False)


def random_erase(
    images: torch.Tensor, probability: float, area: tuple[float, float], generator: torch.Generator
) -> torch.Tensor:
    """Set one random rectangle per chosen image to zero (the data mean after normalisation)."""
    count, _, height, width = images.shape
    share = area[0] + (area[1] - area[0]) * torch.rand(count, generator=generator)
    aspect = torch.exp((torch.rand(count, generator=generator) - 0.5) * math.log(9))  # 1/3 .. 3
    box_h = (torch.sqrt(share * aspect) * height).clamp(1, height).long()
    box_w = (torch.sqrt(share / aspect) * width).clamp(1, width).long()
    top = (torch.rand(count, generator=generator) * (height - box_h + 1)).long()
    left = (torch.rand(count, generator=generator) * (width - box_w + 1)).long()
    chosen = torch.rand(count, generator=generator) < probability
    inside = _box_masks(top, left, box_h, box_w, height, width) & chosen.view(-1, 1, 1)
    return images.masked_fill(inside.unsqueeze(1), 0.0)


def _box_masks(top, left, box_h, box_w, height: int, width: int) -> torch.Tensor:
    """(N, H, W) masks, true inside each image's rectangle."""
    rows = torch.arange(height).view(1, height, 1)
    cols = torch.arange(width).view(1, 1, width)
    return (
        (rows >= top.view(-1, 1, 1))
        & (rows < (top + box_h).view(-1, 1, 1))
        & (cols >= left.view(-1, 1, 1))
        & (cols < (left + box_w).view(-1, 1, 1))
    )


def mixup(
    images: torch.Tensor, targets: torch.Tensor, alpha: float, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """Blend each image and its soft target with a random partner from the same batch."""
    weight = torch.distributions.Beta(alpha, alpha).sample((images.shape[0],))
    weight = torch.maximum(weight, 1 - weight)  # keep the original image dominant
    partner = torch.randperm(images.shape[0], generator=generator)
    mixed = weight.view(-1, 1, 1, 1) * images + (1 - weight.view(-1, 1, 1, 1)) * images[partner]
    return mixed, weight.view(-1, 1) * targets + (1 - weight.view(-1, 1)) * targets[partner]


def cutmix(
    images: torch.Tensor, targets: torch.Tensor, alpha: float, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """Paste a rectangle of a random partner from the same batch into each image; the targets mix
    in proportion to the pasted area. The rectangle's share of the image is Beta(alpha, alpha)."""
    count, _, height, width = images.shape
    share = torch.distributions.Beta(alpha, alpha).sample((count,))
    box_h = (torch.sqrt(share) * height).long()
    box_w = (torch.sqrt(share) * width).long()
    top = (torch.rand(count, generator=generator) * (height - box_h + 1)).long()
    left = (torch.rand(count, generator=generator) * (width - box_w + 1)).long()
    partner = torch.randperm(count, generator=generator)
    inside = _box_masks(top, left, box_h, box_w, height, width).unsqueeze(1)
    pasted = (box_h * box_w).float() / (height * width)
    mixed = torch.where(inside, images[partner], images)
    return mixed, (1 - pasted).view(-1, 1) * targets + pasted.view(-1, 1) * targets[partner]
