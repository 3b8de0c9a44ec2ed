"""scripts/narrow_vgg.py: a network narrowed to the channels its norms keep answers as the wide one
does when the dropped channels carried nothing."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
import torch

from mien.errors import MienError
from mien.models.checkpoint import FORMAT, load_checkpoint, model_from_checkpoint
from mien.models.registry import create_model

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "narrow_vgg.py"
_spec = importlib.util.spec_from_file_location("narrow_vgg", SCRIPT)
narrow_vgg = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(narrow_vgg)

WIDE = {"stem": 8, "widths": [12, 12, 12], "hidden": 16, "dropout": 0.0, "block_dropout": 0.0}


def silenced(keep: int) -> torch.nn.Module:
    """A random wide network whose block norms zero all but `keep` channels (scale and shift 0)."""
    torch.manual_seed(0)
    model = create_model("vgg_s", num_classes=7, **WIDE)
    norms = [m for m in model.features if isinstance(m, torch.nn.BatchNorm2d)]
    for norm in norms:
        norm.running_mean.uniform_(-0.5, 0.5)
        norm.running_var.uniform_(0.5, 2.0)
        norm.weight.data.uniform_(0.5, 1.5)
        norm.bias.data.uniform_(-0.2, 0.2)
    for norm in norms[1:]:  # the stem keeps its width
        dropped = torch.randperm(len(norm.weight))[: len(norm.weight) - keep]
        norm.weight.data[dropped] = 0.0
        norm.bias.data[dropped] = 0.0
    return model.eval()


def test_the_narrowed_network_gives_the_wide_ones_answers():
    wide = silenced(keep=5)
    narrow = create_model("vgg_s", num_classes=7, **{**WIDE, "widths": [5, 5, 5]}).eval()
    narrow_vgg.narrow(wide, narrow)
    faces = torch.rand(4, 1, 48, 48)
    with torch.no_grad():
        assert torch.allclose(narrow(faces), wide(faces), atol=1e-5)


def test_the_command_writes_a_checkpoint_training_can_start_from(tmp_path, monkeypatch):
    wide = silenced(keep=6)
    source = tmp_path / "wide.pt"
    torch.save({"format": FORMAT, "model": {"name": "vgg_s", "args": WIDE}, "state_dict": wide.state_dict(),
                "class_names": ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"],
                "preprocess": {"size": 48, "mean": 0.5, "std": 0.25}, "config": {}}, source)  # fmt: skip
    out = tmp_path / "narrow.pt"
    monkeypatch.setattr(
        sys, "argv", ["narrow_vgg", str(source), "--widths", "6", "6", "6", "--out", str(out)]
    )
    narrow_vgg.main()
    checkpoint = load_checkpoint(out)
    assert checkpoint["model"]["args"]["widths"] == [6, 6, 6]
    faces = torch.rand(2, 1, 48, 48)
    with torch.no_grad():
        assert torch.allclose(model_from_checkpoint(checkpoint)(faces), wide(faces), atol=1e-5)


def test_a_width_per_block_is_required(tmp_path, monkeypatch):
    source = tmp_path / "wide.pt"
    torch.save({"format": FORMAT, "model": {"name": "vgg_s", "args": WIDE},
                "state_dict": silenced(keep=6).state_dict(), "class_names": list("abcdefg"),
                "preprocess": {}, "config": {}}, source)  # fmt: skip
    monkeypatch.setattr(sys, "argv", ["narrow_vgg", str(source), "--widths", "6", "6", "--out", "x.pt"])
    with pytest.raises(MienError, match="one width per block"):
        narrow_vgg.main()
