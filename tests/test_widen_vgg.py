"""scripts/widen_vgg.py: the widened network answers as the narrow one, its copied channels carry
different shares (so fine-tuning can tell them apart), and the command writes a checkpoint that
training starts from."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
import torch

from mien.errors import MienError
from mien.models.checkpoint import FORMAT, load_checkpoint, model_from_checkpoint
from mien.models.registry import create_model
from tests.networks import random_vgg_s

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"
sys.path.append(str(SCRIPTS))  # the script imports its sibling narrow_vgg
_spec = importlib.util.spec_from_file_location("widen_vgg", SCRIPTS / "widen_vgg.py")
widen_vgg = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(widen_vgg)

NARROW = {"stem": 8, "widths": [6, 6, 6], "hidden": 16, "dropout": 0.0, "block_dropout": 0.0}
WIDER = {**NARROW, "widths": [9, 12, 7]}


def test_the_wide_network_answers_as_the_narrow_one():
    narrow, wide = random_vgg_s(7, **NARROW), create_model("vgg_s", num_classes=7, **WIDER).eval()
    widen_vgg.widen(narrow, wide, seed=3)
    faces = torch.rand(4, 1, 48, 48)
    with torch.no_grad():
        torch.testing.assert_close(wide(faces), narrow(faces), atol=1e-5, rtol=1e-5)


def test_copies_of_a_channel_split_its_weight_unevenly():
    origin = torch.tensor([0, 1, 2, 0, 0, 2])
    shares = widen_vgg.random_shares(origin, torch.Generator().manual_seed(0))
    totals = torch.zeros(3).index_add_(0, origin, shares)
    torch.testing.assert_close(totals, torch.ones(3))
    assert shares[1] == 1 and (shares > 0).all()
    assert len(set(shares[origin == 0].tolist())) == 3  # three copies, three different shares


def test_the_command_writes_a_checkpoint_and_refuses_to_narrow(tmp_path, monkeypatch):
    narrow = random_vgg_s(7, **NARROW)
    source = tmp_path / "narrow.pt"
    torch.save({"format": FORMAT, "model": {"name": "vgg_s", "args": NARROW},
                "state_dict": narrow.state_dict(), "class_names": list("abcdefg"),
                "preprocess": {"size": 48, "mean": 0.5, "std": 0.25}, "config": {}}, source)  # fmt: skip
    out = tmp_path / "wide.pt"
    command = ["widen_vgg", str(source), "--out", str(out), "--widths"]
    monkeypatch.setattr(sys, "argv", [*command, "9", "12", "7"])
    widen_vgg.main()
    checkpoint = load_checkpoint(out)
    assert checkpoint["model"]["args"]["widths"] == [9, 12, 7]
    faces = torch.rand(2, 1, 48, 48)
    with torch.no_grad():
        answers = model_from_checkpoint(checkpoint)(faces)
    torch.testing.assert_close(answers, narrow(faces), atol=1e-5, rtol=1e-5)
    monkeypatch.setattr(sys, "argv", [*command, "9", "5", "7"])
    with pytest.raises(MienError, match="narrow_vgg.py narrows"):
        widen_vgg.main()
