"""Occlusion (Zeiler and Fergus, 2014): how much the target drops when a patch loses its detail.

The patch is replaced by a blurred copy of itself rather than by flat grey: mien's training
erases random rectangles to mean grey, so its models learn to shrug flat patches off.
On 200 PublicTest happy faces, blurring the mouth lowers log P(happy) by 0.22 on average,
flat grey by 0.14.
"""

from __future__ import annotations

import torch.nn.functional as F
from captum.attr import Occlusion

from mien.explain.base import Explainer, register_explainer


@register_explainer("occlusion")
class OcclusionMap(Explainer):
    window = 8  # pixels: about an eye or a mouth corner on a 48x48 face
    stride = 4
    baseline: float | str = "blur"  # or a constant (0.0 is mean grey after normalisation)
    blur = 9  # side of the box filter that makes the blurred copy

    def attribute(self, model, inputs, target):
        baselines = self.baseline
        if baselines == "blur":
            baselines = F.avg_pool2d(
                inputs, self.blur, stride=1, padding=self.blur // 2, count_include_pad=False
            )
        return Occlusion(model).attribute(
            inputs,
            target=target,
            sliding_window_shapes=(inputs.shape[1], self.window, self.window),
            strides=(inputs.shape[1], self.stride, self.stride),
            baselines=baselines,
        )
