"""The ONNX export and backend: parity with PyTorch, self-description, and no PyTorch at run time."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import onnx
import pytest
import torch
from click.testing import CliRunner
from skimage import data

from mien.backends import load_classifier, onnx_backend
from mien.backends.cascade import CascadeClassifier
from mien.backends.onnx_backend import OnnxClassifier
from mien.backends.torch_backend import TorchClassifier
from mien.catalogue import model_file
from mien.cli import cli
from mien.data.synthetic import make_faces
from mien.errors import MienError
from mien.models.checkpoint import load_checkpoint, save_checkpoint
from mien.pipeline import Predictor
from mien.train.export import PARITY_LIMIT, export_and_check, export_onnx, round_weights_to_fp16


@pytest.fixture(scope="module")
def faces() -> np.ndarray:
    return make_faces({"PublicTest": 64}, seed=1)[0]


def test_an_export_matches_pytorch_and_describes_itself(untrained_checkpoint, tmp_path, faces):
    report = export_and_check(
        untrained_checkpoint, tmp_path / "model.onnx", int8=False, data_path=None, faces=64
    )
    assert report["passed"] and report["max_abs_difference"] < PARITY_LIMIT and report["same_label"] == 1.0
    classifier = load_classifier(tmp_path / "model.onnx")
    assert isinstance(classifier, OnnxClassifier) and classifier.precision == "fp32"
    assert classifier.class_names[3] == "happy" and classifier.preprocess["size"] == 48
    assert classifier.probabilities(faces).sum(axis=1) == pytest.approx(np.ones(len(faces)), abs=1e-5)


def test_test_time_augmentation_is_the_same_on_both_backends(faces):
    torch_probs = TorchClassifier.from_checkpoint(model_file(), tta=True, precision="fp32").probabilities(
        faces
    )
    averaged = OnnxClassifier(model_file(), tta=True).probabilities(faces)
    plain = OnnxClassifier(model_file()).probabilities(faces)
    assert np.abs(torch_probs - averaged).max() < PARITY_LIMIT
    assert np.abs(plain - averaged).max() > 1e-2  # the views really were averaged


def test_int8_export_is_calibrated_on_real_training_faces(untrained_checkpoint, tmp_path, small_folder):
    with pytest.raises(MienError, match="int8 export calibrates on real faces"):
        export_and_check(untrained_checkpoint, tmp_path / "q.onnx", int8=True, data_path=None)
    report = export_and_check(
        untrained_checkpoint, tmp_path / "q.onnx", int8=True, data_path=small_folder, faces=30
    )
    assert report["precision"] == "int8" and report["passed"] is None and report["checked_on"] == "PublicTest"
    assert report["bytes"] < 0.4 * (tmp_path / "q.onnx").stat().st_size / 0.25  # about a quarter of fp32's
    assert load_classifier(tmp_path / "q.onnx").precision == "int8"
    assert largest_int8_weight(tmp_path / "q.onnx") <= 64


def largest_int8_weight(path) -> int:
    """The largest magnitude of the model's int8 weights. Within 64, a CPU without VNNI adds two
    u8 x s8 products (at most 2 x 255 x 64 = 32,640) without saturating its 16-bit sums."""
    weights = [
        onnx.numpy_helper.to_array(tensor)
        for tensor in onnx.load(str(path)).graph.initializer
        if tensor.data_type == onnx.TensorProto.INT8
    ]
    assert weights
    return max(int(np.abs(w.astype(np.int16)).max()) for w in weights)


def test_the_shipped_int8_model_is_an_export_of_the_shipped_fp32_model(faces):
    reference = TorchClassifier.from_checkpoint(model_file(), precision="fp32").probabilities(faces)
    fp32 = OnnxClassifier(model_file()).probabilities(faces)
    assert np.abs(reference - fp32).max() < PARITY_LIMIT  # PyTorch rebuilt from the file's own weights
    int8 = OnnxClassifier(model_file(precision="int8"))
    assert int8.precision == "int8"
    assert largest_int8_weight(model_file(precision="int8")) <= 64  # right without VNNI too
    assert (int8.probabilities(faces).argmax(axis=1) == reference.argmax(axis=1)).mean() > 0.9


def test_predicting_on_onnx_never_imports_torch():
    script = (
        "import sys; from mien.pipeline import Predictor; from skimage import data; "
        "p = Predictor.default(backend='onnx'); faces = p.predict(data.astronaut()); "
        "print(faces[0].label, p.classifier.precision, 'torch' in sys.modules)"
    )
    output = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert output.split() == ["happy", "int8+fp32", "False"]


def test_the_default_backend_is_onnx_and_explanations_still_work():
    predictor = Predictor.default()
    assert isinstance(predictor.classifier, CascadeClassifier)
    assert Predictor.default(tta=True).classifier.precision == "fp32"  # TTA: fp32 alone
    assert Predictor.default(precision="int8").classifier.precision == "int8"
    with pytest.raises(MienError, match="not bf16"):
        Predictor.default(backend="onnx", precision="bf16")
    [explanation] = predictor.explain(data.astronaut(), method="saliency")
    assert explanation.target == explanation.prediction.label  # the label shown is the one explained
    assert explanation.heat.shape == (48, 48)


def test_an_fp32_export_runs_on_pytorch_too_and_an_int8_one_does_not(untrained_checkpoint, tmp_path):
    with pytest.raises(MienError, match="make one with `mien export"):
        Predictor.from_checkpoint(untrained_checkpoint, backend="onnx")
    export_onnx(untrained_checkpoint, tmp_path / "model.onnx")
    faces = make_faces({"PublicTest": 8}, seed=3)[0]
    exported = Predictor.from_checkpoint(tmp_path / "model.onnx", backend="torch")
    original = Predictor.from_checkpoint(untrained_checkpoint, backend="torch")
    assert np.abs(exported.classify(faces) - original.classify(faces)).max() < 1e-6  # the same weights
    [explanation] = Predictor.from_checkpoint(tmp_path / "model.onnx").explain(faces[0], aligned=True)
    assert explanation.heat.shape == (48, 48)
    int8 = make_faces({"Training": 64}, seed=4)[0]
    export_onnx(untrained_checkpoint, tmp_path / "model.int8.onnx", calibration_faces=int8)
    with pytest.raises(MienError, match="holds no PyTorch weights"):
        Predictor.from_checkpoint(tmp_path / "model.int8.onnx", backend="torch")
    with pytest.raises(MienError, match="holds no PyTorch weights"):
        Predictor.from_checkpoint(tmp_path / "model.int8.onnx").explain(faces[0], aligned=True)


def test_an_onnx_file_not_made_by_mien_is_refused(tmp_path):
    graph = onnx.helper.make_graph(
        [onnx.helper.make_node("Identity", ["x"], ["y"])], "plain",
        [onnx.helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1])],
        [onnx.helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1])],
    )  # fmt: skip
    onnx.save(onnx.helper.make_model(graph), str(tmp_path / "plain.onnx"))
    with pytest.raises(MienError, match="not exported by mien"):
        OnnxClassifier(tmp_path / "plain.onnx")
    (tmp_path / "broken.onnx").write_bytes(b"not a model")
    with pytest.raises(MienError, match="not a readable ONNX model"):
        OnnxClassifier(tmp_path / "broken.onnx")


def test_export_predict_and_evaluate_from_the_command_line(untrained_checkpoint, tmp_path, small_folder):
    runner = CliRunner()
    out = tmp_path / "model.onnx"
    arguments = ["--out", str(out), "--data", str(small_folder), "--faces", "20", "--json"]
    result = runner.invoke(cli, ["export", str(untrained_checkpoint), *arguments])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["passed"] is True
    result = runner.invoke(cli, ["evaluate", str(out), "--data", str(small_folder), "--split", "public",
                                 "--out", str(tmp_path / "eval"), "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["precision"] == "fp32"
    image = tmp_path / "astronaut.png"
    from PIL import Image

    Image.fromarray(data.astronaut()).save(image)
    result = runner.invoke(cli, ["predict", str(image), "--checkpoint", str(out), "--json"])
    assert result.exit_code == 0 and len(json.loads(result.stdout)["faces"]) == 1


def test_sessions_spin_between_layers_and_stop_when_a_run_ends():
    options = OnnxClassifier(model_file("fast", "int8")).session.get_session_options()
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "1"
    assert options.get_session_config_entry("session.force_spinning_stop") == "1"


def test_faces_in_one_call_in_several_and_one_at_a_time_give_the_same_rows(faces, monkeypatch):
    classifier = OnnxClassifier(model_file("fast", "int8"))
    together = classifier.probabilities(faces)
    monkeypatch.setattr(onnx_backend, "BATCH", 24)  # 64 faces: calls of 24, 24 and 16
    assert np.allclose(classifier.probabilities(faces), together, atol=1e-6)
    alone = np.concatenate([classifier.probabilities(faces[i : i + 1]) for i in range(len(faces))])
    assert together.shape == (len(faces), 7) and np.allclose(together, alone, atol=1e-6)
    assert classifier.probabilities(faces[:0]).shape == (0, 7)


def test_weights_stored_in_fp16_halve_the_file_and_read_back_as_the_rounded_weights(
    untrained_checkpoint, tmp_path, faces
):
    rounded = round_weights_to_fp16(load_checkpoint(untrained_checkpoint))
    save_checkpoint(tmp_path / "rounded.pt", rounded)
    export_onnx(tmp_path / "rounded.pt", tmp_path / "full.onnx")
    export_onnx(tmp_path / "rounded.pt", tmp_path / "half.onnx", fp16_weights=True)
    full, half = (tmp_path / name for name in ("full.onnx", "half.onnx"))
    assert half.stat().st_size < 0.6 * full.stat().st_size
    # ONNX Runtime answers as before, and PyTorch rebuilds the same weights through the casts
    np.testing.assert_allclose(
        OnnxClassifier(half).probabilities(faces), OnnxClassifier(full).probabilities(faces), atol=1e-6
    )
    read_back = load_checkpoint(half)["state_dict"]
    for name, tensor in rounded["state_dict"].items():
        assert read_back[name].dtype == tensor.dtype and torch.equal(read_back[name], tensor), name
    # weights that are not fp16 values are refused rather than silently rounded
    with pytest.raises(MienError, match="not fp16-exact"):
        export_onnx(untrained_checkpoint, tmp_path / "unrounded.onnx", fp16_weights=True)
