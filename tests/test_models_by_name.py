"""Shipped models by name: Predictor.default(NAME), --model on every recognition command and batch,
and outputs that follow a model's own class list (an untrained 8-class model stands in for ferplus)."""

from __future__ import annotations

import csv
import hashlib
import json

import numpy as np
import pytest
from PIL import Image
from skimage import data

from mien.backends.cascade import CascadeClassifier
from mien.backends.ensemble import EnsembleClassifier
from mien.catalogue import DEFAULT_MODEL, FER2013_CLASSES, model_file
from mien.data.synthetic import make_faces
from mien.errors import MienError
from mien.pipeline import Predictor
from mien.render.annotate import CLASS_COLOURS, OTHER_COLOURS, annotate, class_colour
from mien.render.plots import save_timeline
from mien.rows import columns
from mien.types import Box, Face, FacePrediction
from tests.conftest import FERPLUS_CLASSES
from tests.entry_point import run_mien
from tests.fakes import EIGHT_CLASSES
from tests.media import moving_face_video


@pytest.fixture
def astronaut(tmp_path):
    path = tmp_path / "photos" / "astronaut.jpg"
    path.parent.mkdir()
    Image.fromarray(data.astronaut()).save(path)
    return path


def test_a_named_model_with_an_int8_file_runs_as_the_cascade(ferplus_model):
    predictor = Predictor.default(ferplus_model)
    assert isinstance(predictor.classifier, CascadeClassifier) and predictor.model_name == "ferplus"
    assert predictor.class_names == list(FERPLUS_CLASSES)
    [face] = predictor.predict(data.astronaut())
    assert list(face.scores) == list(FERPLUS_CLASSES)
    [explanation] = predictor.explain(data.astronaut(), "saliency", target="contempt")  # PyTorch, from fp32
    assert explanation.target == "contempt" and explanation.heat.shape == (48, 48)


def test_a_named_model_without_an_int8_file_runs_its_fp32_file(ferplus_model):
    assert Predictor.default("ferplus_fp32").classifier.precision == "fp32"
    assert Predictor.default(model="ferplus", precision="int8").classifier.precision == "int8"
    assert Predictor.default("ferplus", tta=True).classifier.precision == "fp32"
    with pytest.raises(MienError, match="shipped model ferplus_fp32 has no int8 file"):
        Predictor.default("ferplus_fp32", precision="int8")


def test_a_named_model_shipped_for_speed_runs_its_int8_file_alone(ferplus_model):
    predictor = Predictor.default("ferplus_int8")
    assert predictor.classifier.precision == "int8"
    assert not isinstance(predictor.classifier, CascadeClassifier)
    assert Predictor.default("ferplus_int8", tta=True).classifier.precision == "fp32"
    [face] = predictor.predict(data.astronaut())
    assert list(face.scores) == list(FERPLUS_CLASSES)


def test_default_keeps_its_model_and_keywords_and_names_the_rest():
    assert Predictor.default().model_name == DEFAULT_MODEL
    assert DEFAULT_MODEL == "general" and len(Predictor.default().class_names) == 8  # contempt too
    assert Predictor.default("vgg_s_distilled_gen3_swa_calibrated").model_name == "fer2013"  # an alias
    assert Predictor.default(backend="onnx", precision="fp32").classifier.precision == "fp32"
    ensemble = Predictor.default("ensemble")
    assert isinstance(ensemble.classifier, EnsembleClassifier) and ensemble.model_name == "ensemble"
    with pytest.raises(
        MienError, match=r"^no shipped model 'nope'; shipped: general, wild, ferplus, fer2013, "
    ):
        Predictor.default("nope")
    with pytest.raises(MienError, match=r"'torch' is a backend, not a model: Predictor.default\(backend="):
        Predictor.default("torch")


def test_predict_with_a_named_model_writes_its_classes(
    ferplus_model, astronaut, tmp_path, monkeypatch, capsys
):
    outputs = ["--csv", tmp_path / "faces.csv", "--annotate", tmp_path / "annotated"]
    code, out, err = run_mien(
        monkeypatch, capsys, "predict", astronaut, "--model", ferplus_model, "--json", *outputs
    )
    assert code == 0, err
    [face] = json.loads(out)["faces"]
    assert list(face["scores"]) == list(FERPLUS_CLASSES)
    with (tmp_path / "faces.csv").open(newline="") as handle:
        assert next(csv.reader(handle)) == columns(list(FERPLUS_CLASSES))
    assert (tmp_path / "annotated" / "astronaut_annotated.png").is_file()


WRONG_CHOICES = [
    (["--model", "nope"], "error: no shipped model 'nope'; shipped: general, "),
    (
        ["--model", "ferplus", "--checkpoint", "x.pt"],
        "error: --model names a shipped model and --checkpoint ",
    ),
]


@pytest.mark.parametrize("command", ["predict", "video", "webcam", "explain", "serve", "batch"])
@pytest.mark.parametrize(("args", "message"), WRONG_CHOICES)
def test_a_wrong_model_choice_is_a_one_line_error(
    ferplus_model, astronaut, monkeypatch, capsys, command, args, message
):
    inputs = {"webcam": [], "serve": [], "batch": [astronaut, "--out", "x.csv"]}.get(command, [astronaut])
    code, _, err = run_mien(monkeypatch, capsys, command, *inputs, *args)
    assert code == 1 and err.splitlines() == [err.strip()] and err.startswith(message), err
    if "nope" in args:
        assert "ferplus" in err  # the names come from the catalogue


def test_model_and_ensemble_together_is_an_error(ferplus_model, astronaut, monkeypatch, capsys):
    code, _, err = run_mien(monkeypatch, capsys, "predict", astronaut, "--model", "ferplus", "--ensemble")
    assert code == 1 and err.startswith("error: --model and --ensemble: use one of them")


def test_video_with_a_named_model_follows_its_classes(ferplus_model, tmp_path, monkeypatch, capsys):
    source = moving_face_video(tmp_path / "in.mp4", frames=3)
    outputs = ["--csv", tmp_path / "f.csv", "--timeline", tmp_path / "t.png", "--out", tmp_path / "o.mp4"]
    code, out, err = run_mien(
        monkeypatch, capsys, "video", source, "--model", ferplus_model, "--json", *outputs
    )
    assert code == 0, err
    [track] = json.loads(out)
    assert list(track["mean_scores"]) == list(FERPLUS_CLASSES)
    with (tmp_path / "f.csv").open(newline="") as handle:
        assert next(csv.reader(handle)) == columns(list(FERPLUS_CLASSES))
    assert (tmp_path / "t.png").read_bytes()[:4] == b"\x89PNG"


def test_explain_with_a_named_model_explains_its_classes(
    ferplus_model, astronaut, tmp_path, monkeypatch, capsys
):
    args = [
        "--model",
        ferplus_model,
        "--method",
        "saliency",
        "--target",
        "contempt",
        "--out",
        tmp_path / "maps",
    ]
    code, out, err = run_mien(monkeypatch, capsys, "explain", astronaut, *args)
    assert code == 0, err
    [record] = json.loads((tmp_path / "maps" / "astronaut_explanations.json").read_text())["explanations"]
    assert record["target"] == "contempt"


def test_batch_passes_the_model_name_to_its_workers(ferplus_model, astronaut, tmp_path, monkeypatch, capsys):
    import mien.batch
    from mien.batch.runner import _Recogniser

    seen = {}

    def fake_run_batch(*args, model, landmarks=False):
        seen.update(model)
        return {"files": 1, "skipped": 0, "faces": 1, "errors": 0}

    monkeypatch.setattr(mien.batch, "run_batch", fake_run_batch)
    code, _, err = run_mien(
        monkeypatch, capsys, "batch", astronaut, "--out", tmp_path / "o.csv", "--model", "ferplus"
    )
    assert code == 0, err
    assert seen == {"model": "ferplus"}
    worker = _Recogniser(every=1, aligned=False, model=seen)  # what each Ray actor builds
    table = worker({"path": [str(astronaut)]})
    assert table.column_names == columns(list(FERPLUS_CLASSES)) and table.num_rows == 1


def test_annotations_and_timelines_follow_any_class_list(tmp_path):
    scores = dict(zip(EIGHT_CLASSES, [0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.65]))  # contempt leads
    prediction = FacePrediction(Face(Box(40, 20, 60, 60), 1.0), scores)
    canvas = annotate(np.zeros((300, 300, 3), np.uint8), [prediction])
    assert tuple(canvas[50, 40]) == CLASS_COLOURS["contempt"]  # the box's left edge
    assert class_colour("anger") in OTHER_COLOURS and class_colour("anger") == class_colour("anger")
    rows = [{"time": t / 10, "track": 1, "scores": scores} for t in range(3)]
    save_timeline(rows, EIGHT_CLASSES, tmp_path / "timeline.png")
    assert (tmp_path / "timeline.png").read_bytes()[:4] == b"\x89PNG"


# The FER2013 model's files as they shipped when it was the default: `--model fer2013` must answer
# exactly as the default did then.
FER2013_FILES = {
    "fp32": "0d9672c47527626c8b9001988cf030da71ddb11510e7bed21e3139acbdeb4dc9",
    "int8": "bc69be79dc6872025322ffb0c3fa62155c41070053c4f5a236fdbcca5f739174",
}


@pytest.mark.parametrize("name", ["general", "wild", "ferplus"])
def test_the_eight_class_models_answer_eight_classes_as_a_cascade(name):
    predictor = Predictor.default(name)
    assert isinstance(predictor.classifier, CascadeClassifier) and predictor.model_name == name
    assert predictor.class_names == list(FERPLUS_CLASSES)
    [face] = predictor.predict(data.astronaut())
    assert list(face.scores) == list(FERPLUS_CLASSES) and face.label == "happy"
    assert abs(sum(face.scores.values()) - 1) < 0.01  # int8 answers in steps of 1/255


def test_fer2013_answers_exactly_as_the_default_did_before():
    for precision, digest in FER2013_FILES.items():
        assert hashlib.sha256(model_file("fer2013", precision).read_bytes()).hexdigest() == digest
    faces = make_faces({"PublicTest": 32}, seed=9)[0]
    named = Predictor.default("fer2013")
    old_name = Predictor.default("vgg_s_distilled_gen3_swa_calibrated")
    assert named.model_name == old_name.model_name == "fer2013" != DEFAULT_MODEL
    assert named.class_names == list(FER2013_CLASSES)
    assert isinstance(named.classifier, CascadeClassifier)  # int8, fp32 re-answering near-ties, as before
    np.testing.assert_array_equal(named.classify(faces), old_name.classify(faces))
