"""Integrated gradients (Sundararajan et al., 2017) from a mean-grey baseline, through captum."""

from __future__ import annotations

from captum.attr import IntegratedGradients

from mien.explain.base import Explainer, register_explainer


@register_explainer("integrated_gradients")
class IntegratedGradientsMap(Explainer):
    steps = 32

    def attribute(self, model, inputs, target):
        return IntegratedGradients(model).attribute(inputs, baselines=0.0, target=target, n_steps=self.steps)
