"""Grad-CAM (Selvaraju et al., 2017) on ``model.features``, through captum's LayerGradCam."""

from __future__ import annotations

from captum.attr import LayerAttribution, LayerGradCam

from mien.explain.base import Explainer, register_explainer


@register_explainer("gradcam")
class GradCam(Explainer):
    def attribute(self, model, inputs, target):
        cam = LayerGradCam(model, model.features).attribute(inputs, target=target, relu_attributions=True)
        return LayerAttribution.interpolate(cam, tuple(inputs.shape[-2:]), interpolate_mode="bilinear")
