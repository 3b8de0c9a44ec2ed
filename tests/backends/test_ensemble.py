"""Ensembles: the mean of their members' probabilities, from Python and the command line."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner
from skimage import data

from mien.backends import load_classifier
from mien.backends.ensemble import EnsembleClassifier
from mien.cli import cli
from mien.data.fer2013 import CLASS_NAMES
from mien.data.synthetic import make_faces
from mien.errors import MienError
from mien.models.checkpoint import save_checkpoint
from mien.models.registry import create_model
from mien.pipeline import Predictor
from mien.train.export import export_onnx


@pytest.fixture
def second_checkpoint(tmp_path):
    """An untrained resnet_s: a member that differs from the vgg_s fixture in every answer."""
    path = tmp_path / "resnet.pt"
    checkpoint = {
        "model": {"name": "resnet_s", "args": {}},
        "class_names": list(CLASS_NAMES),
        "preprocess": {"size": 48, "mean": 0.5, "std": 0.25},
        "state_dict": create_model("resnet_s").state_dict(),
    }
    save_checkpoint(path, checkpoint)
    return path


def test_an_ensemble_answers_the_mean_of_its_members(untrained_checkpoint, second_checkpoint, tmp_path):
    export_onnx(untrained_checkpoint, tmp_path / "vgg.onnx")
    faces = make_faces({"PublicTest": 16}, seed=2)[0]
    paths = [tmp_path / "vgg.onnx", second_checkpoint]
    members = [load_classifier(path, precision="fp32").probabilities(faces) for path in paths]
    predictor = Predictor.ensemble(paths, precision="auto")
    assert np.allclose(
        predictor.classify(faces), np.mean(members, axis=0), atol=1e-3
    )  # resnet in bf16 or fp32
    assert predictor.checkpoint == second_checkpoint  # explanations: the first PyTorch member


def test_members_must_agree_on_the_classes(untrained_checkpoint):
    member = load_classifier(untrained_checkpoint)

    class Other:
        class_names = ["a", "b"]
        preprocess = member.preprocess
        precision = "fp32"

    with pytest.raises(MienError, match="disagree on the classes"):
        EnsembleClassifier([member, Other()])


def test_predict_and_evaluate_take_ensemble(tmp_path, small_folder):
    image = tmp_path / "astronaut.png"
    from PIL import Image

    Image.fromarray(data.astronaut()).save(image)
    runner = CliRunner()
    result = runner.invoke(cli, ["predict", str(image), "--ensemble", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["faces"][0]["label"] == "happy"
    arguments = ["--data", str(small_folder), "--out", str(tmp_path / "eval"), "--json"]
    result = runner.invoke(cli, ["evaluate", "--ensemble", *arguments])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "eval" / "public_ensemble.json").is_file()
