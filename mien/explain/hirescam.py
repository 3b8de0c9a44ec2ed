"""HiResCAM (Draelos and Carin, 2020): gradient times activation on ``model.features``, summed
over channels, through captum's LayerGradientXActivation.

It equals Grad-CAM for networks that end in global average pooling, and stays faithful for
networks with flatten + dense heads such as `vgg_s`, where Grad-CAM's spatially averaged
gradients can cancel out (on 100 PublicTest happy faces: 85% of Grad-CAM maps empty, 7% of
HiResCAM maps).
"""

from __future__ import annotations

from captum.attr import LayerAttribution, LayerGradientXActivation

from mien.explain.base import Explainer, register_explainer


@register_explainer("hirescam")
class HiResCam(Explainer):
    def attribute(self, model, inputs, target):
        products = LayerGradientXActivation(model, model.features).attribute(inputs, target=target)
        cam = products.sum(dim=1, keepdim=True)  # (1, 1, h, w)
        return LayerAttribution.interpolate(cam, tuple(inputs.shape[-2:]), interpolate_mode="bilinear")
