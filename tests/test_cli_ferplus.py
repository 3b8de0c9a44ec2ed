"""The data, evaluate and train commands on tests/ferplus_data.py's tiny FER+."""

import json
import shutil

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from mien.backends import load_classifier
from mien.cli import cli
from mien.config import DataConfig
from mien.data.cache import load_fer2013
from mien.data.fer2013 import CLASS_NAMES
from mien.data.ferplus import FERPLUS_CLASSES
from mien.data.splits import training_splits
from mien.models.checkpoint import load_checkpoint, save_checkpoint
from mien.models.registry import create_model
from tests.ferplus_data import write_fer2013_twin


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def settings(*overrides):
    return [word for override in overrides for word in ("--set", override)]


def untrained_eight_classes(path):
    torch.manual_seed(1)
    save_checkpoint(
        path,
        {
            "model": {"name": "vgg_s", "args": {}},
            "class_names": list(FERPLUS_CLASSES),
            "preprocess": {"size": 48, "mean": 0.5, "std": 0.25},
            "state_dict": create_model("vgg_s", num_classes=8).state_dict(),
        },
    )
    return path


def accuracy_by_hand(checkpoint, data):
    """The share of FER2013Valid faces with a majority whose top class, matched by name, is it."""
    public = load_fer2013(data).select("public")
    classifier = load_classifier(checkpoint, precision="fp32")
    probabilities = classifier.probabilities(public.images)
    predicted = [FERPLUS_CLASSES.index(classifier.class_names[top]) for top in probabilities.argmax(axis=1)]
    scored = public.labels >= 0
    return float((np.array(predicted)[scored] == public.labels[scored]).mean())


def test_data_check_prints_majorities_agreement_and_faces_without_an_expression(ferplus_folder):
    result = run("data", "check", ferplus_folder)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "FER+ majority labels" in lines[0]
    assert lines[1].split() == ["split", *FERPLUS_CLASSES, "no", "majority", "total"]
    assert lines[2].split() == ["Training", "1", "1", "1", "1", "2", "3", "1", "2", "4", "16"]
    assert "  0.9-1.0       10 " + "#" * 40 in lines
    assert "not a face (NF leads or ties for the lead): 2: FER2013Train/fer0000010.png, " in result.output
    report = json.loads(run("data", "check", ferplus_folder, "--json").stdout)
    assert report["votes"]["unknown"] == ["FER2013Train/fer0000009.png"]


def test_evaluate_an_eight_class_model_on_ferplus(ferplus_folder, tmp_path):
    checkpoint = untrained_eight_classes(tmp_path / "eight.pt")
    out = tmp_path / "eval"
    result = run(
        "evaluate", checkpoint, "--data", ferplus_folder, "--precision", "fp32", "--out", out, "--json"
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["split"] == "FER2013Valid" and report["count"] == 6 and report["model_lacks"] == []
    assert report["class_names"] == list(FERPLUS_CLASSES) and np.array(report["confusion_matrix"]).shape == (
        8,
        8,
    )
    assert report["accuracy"] == accuracy_by_hand(checkpoint, ferplus_folder)
    assert report["vote_faces"] == 7 and report["vote_cross_entropy"] > 0
    assert (out / "public_confusion.png").read_bytes()[:4] == b"\x89PNG"
    result = run("evaluate", checkpoint, "--data", ferplus_folder, "--split", "private", "--out", out)
    assert result.exit_code == 0 and result.output.startswith("FER2013Test (2 faces")
    assert "95% intervals" in result.output and "accuracy" in result.output.splitlines()[0]


def test_evaluate_the_seven_class_model_on_ferplus(ferplus_folder, tmp_path, untrained_checkpoint):
    args = ["--data", ferplus_folder, "--precision", "fp32", "--out", tmp_path / "eval"]
    result = run("evaluate", untrained_checkpoint, *args)
    assert result.exit_code == 0, result.output
    assert "the model has no class contempt" in result.output
    assert "FER+: 2 faces without a majority label left out" in result.output
    report = json.loads(run("evaluate", untrained_checkpoint, *args, "--json").stdout)
    assert report["model_lacks"] == ["contempt"]
    assert report["accuracy"] == accuracy_by_hand(untrained_checkpoint, ferplus_folder)
    assert report["per_class"]["contempt"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}


def test_evaluate_against_another_model_pairs_them_on_the_same_faces(
    ferplus_folder, tmp_path, untrained_checkpoint
):
    eight = untrained_eight_classes(tmp_path / "eight.pt")
    args = ["--data", ferplus_folder, "--precision", "fp32", "--out", tmp_path / "eval"]
    result = run("evaluate", eight, *args, "--against", untrained_checkpoint)
    assert result.exit_code == 0, result.output
    assert f"against {untrained_checkpoint} (accuracy" in result.output
    report = json.loads(run("evaluate", eight, *args, "--against", untrained_checkpoint, "--json").stdout)
    against = report["against"]
    mine = accuracy_by_hand(eight, ferplus_folder)
    theirs = accuracy_by_hand(untrained_checkpoint, ferplus_folder)
    assert against["accuracy"] == theirs
    assert against["difference"] == pytest.approx(mine - theirs)
    scored = report["count"]
    assert (against["only_this_right"] - against["only_baseline_right"]) == round((mine - theirs) * scored)
    low, high = against["interval"]
    assert low <= against["difference"] <= high
    same = json.loads(run("evaluate", eight, *args, "--against", eight, "--json").stdout)["against"]
    assert same["difference"] == 0 and same["interval"] == [0.0, 0.0]


def test_evaluate_private_without_fer2013test_is_a_one_line_error(
    ferplus_folder, untrained_checkpoint, tmp_path
):
    shutil.rmtree(ferplus_folder / "FER2013Test")
    result = run("evaluate", untrained_checkpoint, "--data", ferplus_folder, "--split", "private")
    assert result.exit_code != 0 and "FER2013Valid" in str(result.exception)


def test_train_one_epoch_on_ferplus_then_from_the_seven_class_model(
    ferplus_folder, tmp_path, untrained_checkpoint
):
    fast = settings("train.epochs=1", "train.batch_size=4", "train.bf16=false")
    result = run("train", "--data", ferplus_folder, "--model", "vgg_s", "--out", tmp_path / "run", *fast)
    assert result.exit_code == 0, result.output
    assert load_checkpoint(tmp_path / "run" / "last.pt")["class_names"] == list(FERPLUS_CLASSES)

    # learning rate 0 keeps the starting weights: the seven rows by name, contempt's freshly drawn
    frozen = settings("train.lr=0", "train.seed=3", f"train.init_from={untrained_checkpoint}")
    result = run("train", "--data", ferplus_folder, "--out", tmp_path / "tuned", *fast, *frozen)
    assert result.exit_code == 0, result.output
    source = load_checkpoint(untrained_checkpoint)["state_dict"]
    tuned = load_checkpoint(tmp_path / "tuned" / "last.pt")["state_dict"]
    torch.manual_seed(3)  # as the run does before it builds its model (the source's seed was 0)
    fresh = create_model("vgg_s", num_classes=8).state_dict()
    per_class = [key for key, weight in source.items() if weight.ndim and weight.shape[0] == 7]
    assert len(per_class) == 2  # the last layer's weight and bias
    for key in per_class:
        for index, name in enumerate(FERPLUS_CLASSES):
            expected = source[key][CLASS_NAMES.index(name)] if name in CLASS_NAMES else fresh[key][index]
            torch.testing.assert_close(tuned[key][index], expected)


def test_train_with_fer2013_labels_in_the_targets_and_evaluate_on_the_held_out_faces(
    ferplus_folder, tmp_path
):
    twin = write_fer2013_twin(tmp_path / "fer2013")
    fast = settings("train.epochs=1", "train.batch_size=4", "train.bf16=false", "train.seed=2")
    held = settings("data.holdout=0.3", f"data.fer2013_labels_from={twin}", "train.fer2013_label_weight=0.5")
    result = run(
        "train", "--data", ferplus_folder, "--model", "vgg_s", "--out", tmp_path / "run", *fast, *held
    )
    assert result.exit_code == 0, result.output
    checkpoint = tmp_path / "run" / "last.pt"

    out = tmp_path / "eval"
    args = ["--split", "holdout", "--precision", "fp32", "--out", out, "--json"]
    result = run("evaluate", checkpoint, "--data", ferplus_folder, *args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    _, chosen = training_splits(load_fer2013(ferplus_folder), DataConfig(holdout=0.3), seed=2)
    classifier = load_classifier(checkpoint, precision="fp32")
    predicted = classifier.probabilities(chosen.images).argmax(axis=1)
    assert report["split"] == "held-out Training faces" and report["count"] == len(chosen) > 0
    assert report["accuracy"] == float((predicted == chosen.labels).mean())

    # a model whose run held nothing out has no held-out faces to score
    result = run("train", "--data", ferplus_folder, "--model", "vgg_s", "--out", tmp_path / "all", *fast)
    result = run("evaluate", tmp_path / "all" / "last.pt", "--data", ferplus_folder, "--split", "holdout")
    assert result.exit_code != 0 and "held no Training faces out" in str(result.exception)


def test_fer2013_label_weight_needs_the_fer2013_labels(ferplus_folder, tmp_path):
    fast = settings(
        "train.epochs=1", "train.batch_size=4", "train.bf16=false", "train.fer2013_label_weight=0.5"
    )
    result = run("train", "--data", ferplus_folder, "--model", "vgg_s", "--out", tmp_path / "run", *fast)
    assert result.exit_code != 0 and "data.fer2013_labels_from" in str(result.exception)


def test_fer2013_labels_in_a_head_of_their_own_train_the_shared_layers_and_do_not_ship(
    ferplus_folder, tmp_path
):
    twin = write_fer2013_twin(tmp_path / "fer2013")
    fast = settings("train.epochs=1", "train.batch_size=4", "train.bf16=false", "train.seed=2")
    head = settings(f"data.fer2013_labels_from={twin}", "train.fer2013_head_weight=0.5")
    result = run(
        "train", "--data", ferplus_folder, "--model", "vgg_s", "--out", tmp_path / "run", *fast, *head
    )
    assert result.exit_code == 0, result.output
    checkpoint = load_checkpoint(tmp_path / "run" / "last.pt")
    own_head = checkpoint["fer2013_head"]
    last = {
        key.removeprefix("head.5."): value
        for key, value in checkpoint["state_dict"].items()
        if key.startswith("head.5.")
    }
    assert own_head.keys() == last.keys() and own_head["weight"].shape == (8, 256)
    assert not torch.equal(own_head["weight"], last["weight"])  # started as a copy, trained apart
    assert not any(
        "fer2013" in key for key in checkpoint["state_dict"]
    )  # the model that ships is the usual one
    assert load_classifier(tmp_path / "run" / "last.pt", precision="fp32").class_names == list(
        FERPLUS_CLASSES
    )

    # resuming puts the head back as it was saved
    result = run(
        "train",
        "--data",
        ferplus_folder,
        "--out",
        tmp_path / "run",
        "--resume",
        *fast,
        *settings("train.epochs=2"),
        *head,
    )
    assert result.exit_code == 0, result.output
    assert load_checkpoint(tmp_path / "run" / "last.pt")["epoch"] == 2


def test_labelled_cross_entropy_counts_only_faces_with_a_label():
    from mien.train.loop import labelled_cross_entropy

    logits = torch.tensor([[2.0, 0.0], [0.0, 5.0], [1.0, 1.0]])
    targets = torch.tensor([[1.0, 0.0], [0.0, 0.0], [0.0, 1.0]])  # the second face has no label
    expected = -(torch.log_softmax(logits[0], 0)[0] + torch.log_softmax(logits[2], 0)[1]) / 2
    torch.testing.assert_close(labelled_cross_entropy(logits, targets), expected)
