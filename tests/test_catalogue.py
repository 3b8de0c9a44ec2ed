"""The catalogue of shipped models: what ships is what runs, and names resolve to files."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from mien.backends.onnx_backend import OnnxClassifier
from mien.backends.torch_backend import TorchClassifier
from mien.catalogue import (
    DEFAULT_MODEL,
    ENSEMBLE,
    WEIGHTS,
    member_files,
    model_file,
    referenced_files,
    resolve_model,
    resolve_teachers,
    retired_models,
    shipped_model,
    shipped_models,
)
from mien.data.synthetic import make_faces
from mien.errors import MienError
from mien.models.checkpoint import load_checkpoint

PACKAGE = Path(__file__).resolve().parents[1] / "mien"


def test_every_file_in_weights_is_named_by_the_catalogue_and_every_named_file_is_there():
    present = {path for path in WEIGHTS.iterdir() if path.name != "__pycache__"}
    assert present == referenced_files()


def test_each_shipped_model_describes_itself_as_the_catalogue_says():
    faces = make_faces({"PublicTest": 16}, seed=5)[0]
    for model in shipped_models():
        if not model.files:
            assert model.members and all(shipped_model(m).files for m in model.members)
            continue
        checkpoint = load_checkpoint(model_file(model.name))
        assert tuple(checkpoint["class_names"]) == model.classes
        assert model_file(model.name).stat().st_size < 10 * 1024 * 1024
        # PyTorch rebuilds the network from the same file ONNX Runtime runs.
        on_torch = TorchClassifier.from_checkpoint(model_file(model.name), precision="fp32")
        on_onnx = OnnxClassifier(model_file(model.name))
        assert np.abs(on_torch.probabilities(faces) - on_onnx.probabilities(faces)).max() < 1e-4


def test_the_fast_model_ships_in_5_mb_and_runs_its_int8_file_alone():
    fast = shipped_model("fast")
    assert not fast.cascade and set(fast.files) == {"fp32", "int8"}
    assert sum(model_file("fast", precision).stat().st_size for precision in fast.files) <= 5 * 1024 * 1024


def test_names_resolve_to_shipped_files_and_retired_names_say_how_to_rebuild(tmp_path, monkeypatch):
    assert resolve_model(DEFAULT_MODEL) == model_file()
    assert resolve_model("runs/mine/best.pt") == Path("runs/mine/best.pt")
    assert resolve_teachers(["shipped"]) == member_files(ENSEMBLE)
    retired = retired_models()[0]
    monkeypatch.chdir(tmp_path)
    with pytest.raises(MienError, match=re.escape(f"mien train --preset {retired.preset} ")):
        resolve_model(retired.name)
    rebuilt = tmp_path / "runs" / retired.name / "best.pt"
    rebuilt.parent.mkdir(parents=True)
    rebuilt.write_bytes(b"")
    assert resolve_model(retired.name).resolve() == rebuilt
    with pytest.raises(MienError, match="no shipped model 'nope'; shipped: "):
        model_file("nope")
    with pytest.raises(MienError, match="has no int8 file"):
        model_file("vgg_s_distilled_gen3", "int8")


def test_retired_models_have_presets_and_no_shipped_model_shares_a_name_with_one():
    presets = {path.stem for path in (PACKAGE / "presets").glob("*.toml")}
    assert {model.preset for model in retired_models()} <= presets
    assert not {m.name for m in retired_models()} & {m.name for m in shipped_models()}


def test_only_the_catalogue_knows_where_the_weights_are():
    builders = [
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*.py")
        if re.search(r"""["']weights["']|weights/""", path.read_text()) and path.name != "catalogue.py"
    ]
    assert builders == []
