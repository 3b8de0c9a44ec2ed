import numpy as np
import pytest
import torch

from mien.errors import MienError
from mien.models.checkpoint import load_checkpoint, model_from_checkpoint, save_checkpoint
from mien.models.registry import create_model
from mien.train.calibrate import Calibration, bake_into_model, calibrate, fit_calibration


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
