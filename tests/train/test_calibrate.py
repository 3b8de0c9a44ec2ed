import numpy as np
import onnx
import pytest
import torch

from mien.data.synthetic import make_faces
from mien.errors import MienError
from mien.models.checkpoint import load_checkpoint, model_from_checkpoint, save_checkpoint
from mien.models.forward import view_averaged_probabilities
from mien.models.registry import create_model
from mien.models.temperature import HiddenTemperature, LogitTemperature
from mien.pipeline import Predictor
from mien.train.calibrate import (
    Calibration,
    apply_temperature,
    bake_into_model,
    calibrate,
    fit_calibration,
    fit_temperature,
    hidden_and_logits,
)
from mien.train.export import export_onnx, round_weights_to_fp16
from mien.train.metrics import probability_report


def test_the_fit_recovers_the_temperature_and_biases_that_distorted_calibrated_logits():
    rng = np.random.default_rng(0)
    calibrated_logits = rng.normal(0, 2, (20000, 3))
    probabilities = np.exp(calibrated_logits) / np.exp(calibrated_logits).sum(axis=1, keepdims=True)
    labels = np.array([rng.choice(3, p=p) for p in probabilities])
    true_bias = np.array([0.5, -0.8, 0.3])
    # A model that is 1.5 times too sure and leans toward class 1: undoing that is the calibration.
    distorted = 1.5 * (calibrated_logits - true_bias)
    fitted = fit_calibration(distorted[:, None, :], labels)
    assert fitted.temperature == pytest.approx(1.5, rel=0.05)
    assert np.asarray(fitted.class_bias) == pytest.approx(true_bias, abs=0.06)
    assert sum(fitted.class_bias) == pytest.approx(0.0, abs=1e-9)


def test_baking_into_the_last_layer_gives_the_calibrated_logits():
    torch.manual_seed(0)
    model = create_model("vgg_s").eval()
    faces = torch.rand(4, 1, 48, 48)
    calibration = Calibration(1.7, (0.4, -1.0, 0.2, 0.1, 0.3, -0.2, 0.2))
    with torch.no_grad():
        expected = calibration.apply(model(faces).numpy())
        baked = bake_into_model(model, calibration)(faces).numpy()
    assert baked == pytest.approx(expected, abs=1e-5)


def test_calibrate_writes_a_checkpoint_that_records_the_fit_and_lowers_the_log_loss(
    untrained_checkpoint, small_folder, tmp_path
):
    calibrated = calibrate(untrained_checkpoint, small_folder, "public", tta=False)
    path = tmp_path / "calibrated.pt"
    save_checkpoint(path, calibrated)
    (record,) = load_checkpoint(path)["calibration"]
    assert record["split"] == "PublicTest" and record["faces"] == 35 and not record["tta"]
    assert record["after"]["log_loss"] < record["before"]["log_loss"]
    bias = np.array(list(record["class_bias"].values()))
    model = model_from_checkpoint(load_checkpoint(path))
    original = model_from_checkpoint(load_checkpoint(untrained_checkpoint))
    faces = torch.rand(3, 1, 48, 48)
    with torch.no_grad():
        expected = original(faces).numpy() / record["temperature"] + bias
        assert model(faces).numpy() == pytest.approx(expected, abs=1e-5)


def test_calibrating_on_the_test_split_is_refused(untrained_checkpoint, small_folder):
    with pytest.raises(MienError, match="PrivateTest"):
        calibrate(untrained_checkpoint, small_folder, "private")


def test_a_temperature_alone_keeps_every_label_and_several_sets_calibrate_together(
    untrained_checkpoint, small_folder, small_csv
):
    calibrated = calibrate(
        untrained_checkpoint, [small_folder, small_csv], "public", tta=False, class_bias=False
    )
    (record,) = calibrated["calibration"]
    assert record["faces"] == 70 and record["data"] == [small_folder.name, small_csv.name]
    assert set(record["class_bias"].values()) == {0.0}
    assert record["after"]["accuracy"] == record["before"]["accuracy"]
    model = model_from_checkpoint(calibrated)
    original = model_from_checkpoint(load_checkpoint(untrained_checkpoint))
    faces = torch.rand(16, 1, 48, 48)
    with torch.no_grad():
        assert torch.equal(model(faces).argmax(dim=1), original(faces).argmax(dim=1))


def test_calibrating_on_held_out_faces_needs_a_run_that_held_some_out(untrained_checkpoint, small_folder):
    with pytest.raises(MienError, match="held no Training faces out"):
        calibrate(untrained_checkpoint, small_folder, "holdout")


def _log_loss(labels, view_logits):
    return probability_report(labels, view_averaged_probabilities(view_logits))["log_loss"]


def _two_kinds_of_face(rng, count=6000):
    """Logits of faces of two kinds, one kind twice too sure and the other half as sure as it should
    be (no one temperature fits both), told apart by their logits: each kind's are shifted by a
    constant of its own, which leaves its probabilities as they were."""
    calibrated_logits = rng.normal(0, 2, (count, 4))
    probabilities = np.exp(calibrated_logits) / np.exp(calibrated_logits).sum(axis=1, keepdims=True)
    labels = np.array([rng.choice(4, p=p) for p in probabilities])
    too_sure = rng.random(count) < 0.5
    distorted = calibrated_logits * np.where(too_sure, 2.0, 0.5)[:, None] + np.where(too_sure, 8, -8)[:, None]
    return distorted[:, None, :], labels, too_sure


def test_a_temperature_that_reads_the_logits_fits_two_kinds_of_face_one_temperature_cannot():
    logits, labels, too_sure = _two_kinds_of_face(np.random.default_rng(0))
    one = fit_calibration(logits, labels, class_bias=False)
    by_logits = fit_temperature(logits, labels)
    read = apply_temperature(by_logits, logits)

    assert _log_loss(labels, read) < _log_loss(labels, one.apply(logits)) - 0.05
    assert np.array_equal(read.argmax(axis=2), logits.argmax(axis=2))  # no label changes
    # the fitted temperature is above 1 for the faces that were too sure and below for the others
    with torch.no_grad():
        temperature = by_logits.log_temperature(torch.as_tensor(logits[:, 0], dtype=torch.float32)).exp()
    assert temperature[too_sure].median() > 1.2 and temperature[~too_sure].median() < 0.8


def test_calibrating_by_the_logits_keeps_every_label_and_replaces_an_earlier_fit(
    untrained_checkpoint, small_folder, tmp_path
):
    calibrated = calibrate(untrained_checkpoint, small_folder, "public", tta=False, by="logits")
    (record,) = calibrated["calibration"]
    assert set(record["temperature_by_logits"]["weight"]) == set(calibrated["class_names"])
    assert record["after"]["accuracy"] == record["before"]["accuracy"]
    assert record["after"]["log_loss"] < record["before"]["log_loss"]
    save_checkpoint(tmp_path / "calibrated.pt", calibrated)
    model = model_from_checkpoint(load_checkpoint(tmp_path / "calibrated.pt"))
    original = model_from_checkpoint(load_checkpoint(untrained_checkpoint))
    assert model.temperature is not None and original.temperature is None
    faces = torch.rand(16, 1, 48, 48)
    with torch.no_grad():
        assert torch.equal(model(faces).argmax(dim=1), original(faces).argmax(dim=1))
    # fitted again, it starts from the network's own logits, not from the first fit's
    again = calibrate(tmp_path / "calibrated.pt", small_folder, "public", tta=False, by="logits")
    assert [r["before"] for r in again["calibration"]] == [record["before"]] * 2


def test_a_temperature_by_the_logits_travels_through_the_exports(untrained_checkpoint, tmp_path):
    checkpoint = load_checkpoint(untrained_checkpoint)
    model = model_from_checkpoint(checkpoint)
    model.temperature = LogitTemperature(len(checkpoint["class_names"]))
    with torch.no_grad():
        model.temperature.weight.copy_(torch.linspace(-0.3, 0.3, len(checkpoint["class_names"])))
        model.temperature.bias.fill_(-0.4)
    save_checkpoint(
        tmp_path / "tempered.pt", round_weights_to_fp16(checkpoint | {"state_dict": model.state_dict()})
    )
    faces = make_faces({"PublicTest": 32}, seed=5)[0]
    # the fp32 file (weights stored in fp16) answers as PyTorch does and reads back with the module,
    # and the int8 file carries it too
    export_onnx(tmp_path / "tempered.pt", tmp_path / "tempered.onnx", fp16_weights=True)
    export_onnx(tmp_path / "tempered.pt", tmp_path / "tempered.int8.onnx", calibration_faces=faces)
    in_torch = Predictor.from_checkpoint(tmp_path / "tempered.pt", backend="torch", precision="fp32")
    exported = Predictor.from_checkpoint(tmp_path / "tempered.onnx", backend="onnx").classify(faces)
    np.testing.assert_allclose(exported, in_torch.classify(faces), atol=1e-5)
    untempered = Predictor.from_checkpoint(untrained_checkpoint, backend="torch", precision="fp32")
    assert np.abs(exported - untempered.classify(faces)).max() > 1e-3  # the module is in the graph
    read_back = load_checkpoint(tmp_path / "tempered.onnx")["state_dict"]
    assert torch.equal(read_back["temperature.weight"], model.temperature.weight.detach().half().float())
    # in the int8 file the logits are 8-bit, the temperature and the softmax after them fp32
    nodes = onnx.load(str(tmp_path / "tempered.int8.onnx")).graph.node
    tempering = [node for node in nodes if "/temperature/" in node.name]
    assert {node.op_type for node in tempering} == {"Mul", "ReduceSum", "Add", "Neg", "Exp"}
    assert nodes[-1].op_type == "Softmax" and nodes[-1].input == tempering[-1].output
    int8 = Predictor.from_checkpoint(tmp_path / "tempered.int8.onnx", backend="onnx").classify(faces)
    assert np.abs(int8 - exported).max() < 0.01


def test_a_temperature_that_reads_the_hidden_layer_tells_apart_kinds_of_face_the_logits_cannot():
    """Two kinds of face whose logits look alike, one kind twice too sure and the other half as
    sure: only the hidden layer (one of its 32 numbers marks the kind) tells them apart."""
    rng = np.random.default_rng(1)
    count = 6000
    calibrated_logits = rng.normal(0, 2, (count, 4))
    probabilities = np.exp(calibrated_logits) / np.exp(calibrated_logits).sum(axis=1, keepdims=True)
    labels = np.array([rng.choice(4, p=p) for p in probabilities])
    too_sure = rng.random(count) < 0.5
    logits = (calibrated_logits * np.where(too_sure, 2.0, 0.5)[:, None])[:, None, :]
    hidden = rng.normal(0, 1, (count, 1, 32))
    hidden[:, 0, 5] += np.where(too_sure, 1.5, -1.5)

    by_logits = apply_temperature(fit_temperature(logits, labels), logits)
    by_hidden_temperature = fit_temperature(logits, labels, hidden)
    by_hidden = apply_temperature(by_hidden_temperature, logits, hidden)
    assert isinstance(by_hidden_temperature, HiddenTemperature)
    assert _log_loss(labels, by_hidden) < _log_loss(labels, by_logits) - 0.05
    assert np.array_equal(by_hidden.argmax(axis=2), logits.argmax(axis=2))  # no label changes
    # the weight on the number that marks the kind dwarfs the others
    weight = by_hidden_temperature.weight.detach().abs()
    assert weight.argmax() == 5 and weight[5] > 3 * weight[torch.arange(32) != 5].max()


def test_the_hidden_layer_is_what_the_last_layer_reads(untrained_checkpoint):
    checkpoint = load_checkpoint(untrained_checkpoint)
    model = model_from_checkpoint(checkpoint)
    faces = make_faces({"PublicTest": 20}, seed=2)[0]
    hidden, logits = hidden_and_logits(model, faces, checkpoint["preprocess"], tta=True)
    assert hidden.shape == (20, 10, 256) and logits.shape == (20, 10, 7)
    last = model.head[-1]
    with torch.no_grad():
        recomputed = last(torch.as_tensor(hidden)).numpy()
    np.testing.assert_allclose(recomputed, logits, atol=1e-4)


def test_calibrating_by_the_hidden_layer_keeps_every_label_and_travels_through_the_exports(
    untrained_checkpoint, small_folder, tmp_path
):
    calibrated = calibrate(untrained_checkpoint, small_folder, "public", tta=False, by="hidden")
    (record,) = calibrated["calibration"]
    assert len(record["temperature_by_hidden"]["weight"]) == 256
    assert record["after"]["accuracy"] == record["before"]["accuracy"]
    assert record["after"]["log_loss"] < record["before"]["log_loss"]
    save_checkpoint(tmp_path / "tempered.pt", round_weights_to_fp16(calibrated))
    model = model_from_checkpoint(load_checkpoint(tmp_path / "tempered.pt"))
    original = model_from_checkpoint(load_checkpoint(untrained_checkpoint))
    assert isinstance(model.temperature, HiddenTemperature)
    faces = make_faces({"PublicTest": 32}, seed=5)[0]
    images = torch.rand(16, 1, 48, 48)
    with torch.no_grad():
        assert torch.equal(model(images).argmax(dim=1), original(images).argmax(dim=1))
        assert not torch.allclose(model(images), original(images))
    # the fp32 file answers as PyTorch does and reads back with the same kind of module; the int8
    # file keeps the temperature and the softmax in fp32
    export_onnx(tmp_path / "tempered.pt", tmp_path / "tempered.onnx", fp16_weights=True)
    export_onnx(tmp_path / "tempered.pt", tmp_path / "tempered.int8.onnx", calibration_faces=faces)
    in_torch = Predictor.from_checkpoint(tmp_path / "tempered.pt", backend="torch", precision="fp32")
    exported = Predictor.from_checkpoint(tmp_path / "tempered.onnx", backend="onnx").classify(faces)
    np.testing.assert_allclose(exported, in_torch.classify(faces), atol=1e-5)
    read_back = model_from_checkpoint(load_checkpoint(tmp_path / "tempered.onnx"))
    assert isinstance(read_back.temperature, HiddenTemperature)
    nodes = onnx.load(str(tmp_path / "tempered.int8.onnx")).graph.node
    tempering = [node for node in nodes if "/temperature/" in node.name]
    assert {node.op_type for node in tempering} == {"Mul", "ReduceSum", "Add", "Neg", "Exp"}
    assert nodes[-1].op_type == "Softmax" and nodes[-1].input == tempering[-1].output
    # (this untrained network's fit is steep, so the 8-bit hidden layer moves it more than a
    # trained one's: the shipped files are measured against their fp32 twins on real faces)
    int8 = Predictor.from_checkpoint(tmp_path / "tempered.int8.onnx", backend="onnx").classify(faces)
    assert (
        np.array_equal(int8.argmax(axis=1), exported.argmax(axis=1)) and np.abs(int8 - exported).max() < 0.1
    )
