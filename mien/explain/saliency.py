"""Vanilla gradients (Simonyan et al., 2014): |d logit / d pixel|, through captum's Saliency."""

from __future__ import annotations

from captum.attr import Saliency

from mien.explain.base import Explainer, register_explainer


@register_explainer("saliency")
class VanillaGradients(Explainer):
    def attribute(self, model, inputs, target):
        return Saliency(model).attribute(inputs.requires_grad_(True), target=target, abs=True)
