"""XRAI (Kapishnikov et al., 2019): integrated gradients summed over image segments, ranked by
how much evidence each region holds; through the `saliency` package (PAIR), which defines it.
"""

from __future__ import annotations

import numpy as np
import torch
from saliency.core import XRAI, XRAIParameters
from saliency.core.base import INPUT_OUTPUT_GRADIENTS

from mien.explain.base import Explainer, register_explainer


@register_explainer("xrai")
class XraiMap(Explainer):
    steps = 20  # integration steps per baseline (black and white): enough on 48x48 faces
    batch_size = 20

    def attribute(self, model, inputs, target):
        image = inputs[0].permute(1, 2, 0).numpy().astype(np.float64)  # (H, W, C), as the package expects

        def gradients(batch, call_model_args=None, expected_keys=None):
            x = (
                torch.as_tensor(np.asarray(batch), dtype=torch.float32)
                .permute(0, 3, 1, 2)
                .requires_grad_(True)
            )
            model(x)[:, target].sum().backward()
            return {INPUT_OUTPUT_GRADIENTS: x.grad.permute(0, 2, 3, 1).numpy()}

        low, high = float(image.min()), float(image.max())
        baselines = [np.full_like(image, low), np.full_like(image, high)]
        parameters = XRAIParameters(steps=self.steps)
        attribution = XRAI().GetMask(
            image, gradients, baselines=baselines, batch_size=self.batch_size, extra_parameters=parameters
        )
        return torch.as_tensor(np.asarray(attribution, dtype=np.float32))
