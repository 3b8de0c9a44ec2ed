import numpy as np
import pytest
import torch

from mien.config import PreprocessConfig
from mien.data.loaders import batches, class_weights, epoch_order, stratified_subset, to_model_input
from mien.data.run_data import draw_weights
from mien.errors import MienError


def test_model_input_is_scaled_and_centred():
    images = np.array([[[0, 255], [128, 64]]], np.uint8)
    out = to_model_input(images, PreprocessConfig(mean=0.5, std=0.25))
    assert out.shape == (1, 1, 2, 2)
    torch.testing.assert_close(out[0, 0, 0], torch.tensor([-2.0, 2.0]))


def test_balanced_sampler_draws_classes_equally():
    labels = np.array([0] * 900 + [1] * 90 + [2] * 10)
    order = epoch_order(1000, draw_weights(labels, "balanced"), torch.Generator().manual_seed(0))
    shares = np.bincount(labels[order.numpy()], minlength=3) / len(order)
    np.testing.assert_allclose(shares, [1 / 3] * 3, atol=0.05)
    assert draw_weights(labels, "uniform") is None
    uniform = epoch_order(1000, None, torch.Generator().manual_seed(0))
    assert sorted(uniform.tolist()) == list(range(1000))
    with pytest.raises(MienError, match="valid: uniform, balanced"):
        draw_weights(labels, "by-hand")


def test_batches_cover_the_order():
    order = torch.arange(10)
    assert [b.tolist() for b in batches(order, 4, drop_last=True)] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert sum(len(b) for b in batches(order, 4, drop_last=False)) == 10


def test_stratified_subset_keeps_class_shares_and_every_class():
    labels = np.array([0] * 800 + [1] * 190 + [2] * 10)
    keep = stratified_subset(labels, 100, seed=0)
    assert np.bincount(labels[keep]).tolist() == [80, 19, 1]
    assert len(stratified_subset(labels, 0, seed=0)) == 1000


def test_class_weights():
    labels = np.array([0] * 100 + [1] * 25)
    assert class_weights(labels, 2, "none") is None
    inverse = class_weights(labels, 2, "inverse")
    torch.testing.assert_close(inverse, torch.tensor([0.4, 1.6]))  # 1/100 : 1/25, mean 1
    sqrt = class_weights(labels, 2, "sqrt")
    torch.testing.assert_close(sqrt[1] / sqrt[0], torch.tensor(2.0))
    with pytest.raises(ValueError, match="unknown class weighting"):
        class_weights(labels, 2, "log")
