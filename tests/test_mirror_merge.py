"""scripts/mirror_merge.py: the mirrored twin answers each face as the network answers its mirror
image, pairing the twin's channels never changes what it computes, and the pairing finds channels
that were only shuffled."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
import torch

from mien.errors import MienError
from mien.models.registry import create_model
from tests.networks import random_vgg_s

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"
sys.path.append(str(SCRIPTS))  # the script imports its sibling interpolate_weights
_spec = importlib.util.spec_from_file_location("mirror_merge", SCRIPTS / "mirror_merge.py")
mirror_merge = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mirror_merge)

SMALL = {"widths": [8, 12, 12], "hidden": 16, "dropout": 0.0, "block_dropout": 0.0}  # no stride-2 stem


def random_network() -> torch.nn.Module:
    """A small vgg_s with random weights and batch-norm statistics, in eval mode."""
    return random_vgg_s(8, **SMALL)


def with_weights(weights: dict) -> torch.nn.Module:
    model = create_model("vgg_s", num_classes=8, **SMALL)
    model.load_state_dict(weights)
    return model.eval()


def test_the_twin_answers_the_mirror_image():
    model = random_network()
    twin = with_weights(mirror_merge.mirrored(model.state_dict(), model))
    faces = torch.randn(6, 1, 48, 48)
    with torch.no_grad():
        assert torch.allclose(twin(faces), model(faces.flip(-1)), atol=1e-5)
        assert not torch.allclose(twin(faces), model(faces), atol=1e-3)  # faces are not symmetric


def test_pairing_channels_keeps_the_function():
    model = random_network()
    faces = torch.randn(6, 1, 48, 48)
    shuffles = {
        name: torch.randperm(acts.shape[1]) for name, acts in mirror_merge.activations(model, faces).items()
    }
    shuffled = with_weights(mirror_merge.permuted(model.state_dict(), model, shuffles))
    with torch.no_grad():
        assert torch.allclose(shuffled(faces), model(faces), atol=1e-5)
    assert any(not torch.equal(order, torch.arange(len(order))) for order in shuffles.values())


def test_pairing_finds_shuffled_channels():
    torch.manual_seed(1)
    mine = torch.randn(64, 10, 5, 5)
    order = torch.randperm(10)
    twins = mine[:, torch.argsort(order)]  # my channel c is the twin's channel order[c]
    assert torch.equal(mirror_merge.pairing(mine, twins), order)


def test_a_stride_2_stem_has_no_twin():
    model = create_model("vgg_s", num_classes=8, stem=8, **SMALL).eval()
    with pytest.raises(MienError, match="stride-2 stem"):
        mirror_merge.mirrored(model.state_dict(), model)
