"""The server's models: the catalogue's single models by name, each loaded on first use, and answers
that follow each model's own class list (an untrained 8-class model stands in for ferplus)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from skimage import data

from mien.catalogue import DEFAULT_MODEL, ENSEMBLE
from mien.pipeline import Predictor
from mien.web import WebSettings, create_app
from tests.conftest import FERPLUS_CLASSES
from tests.media import moving_face_video
from tests.web.test_api import png_bytes
from tests.web.test_serve_command import serve


@pytest.fixture
def loads():
    return []  # the names the app loaded, in order


@pytest.fixture
def client(ferplus_model, loads, tmp_path) -> TestClient:
    def load(name: str) -> Predictor:
        loads.append(name)
        return Predictor.default(name)

    app = create_app(Predictor.default(), WebSettings(work_dir=tmp_path / "web"), load)
    return TestClient(app)


@pytest.fixture(scope="module")
def photo() -> dict:
    return {"file": ("a.png", png_bytes(data.astronaut()), "image/png")}


def test_healthz_lists_the_models_by_the_names_users_type(client, loads):
    health = client.get("/healthz").json()
    assert health["model"] == DEFAULT_MODEL and len(health["classes"]) == 8
    models = {model["name"]: model["classes"] for model in health["models"]}
    names = [model["name"] for model in health["models"]]
    assert names[:5] == [DEFAULT_MODEL, "wild", "fer2013", "fast", ENSEMBLE]  # the default first
    assert models["ferplus"] == list(FERPLUS_CLASSES) and models["general"] == list(FERPLUS_CLASSES)
    assert not any(name.startswith("vgg_s") for name in names)  # the ensemble's members are not offered
    assert loads == []  # listing a model does not load it


def test_predict_answers_with_the_model_named_and_loads_it_once(client, loads, photo):
    plain = client.post("/api/predict", files=photo).json()
    assert plain["model"] == DEFAULT_MODEL and len(plain["faces"][0]["scores"]) == 8
    for _ in range(2):
        named = client.post("/api/predict", files=photo, data={"model": "ferplus"}).json()
        assert named["model"] == "ferplus" and list(named["faces"][0]["scores"]) == list(FERPLUS_CLASSES)
    alias = client.post("/api/predict", files=photo, data={"model": "vgg_s_distilled_gen3_swa_calibrated"})
    assert alias.json()["model"] == "fer2013" and len(alias.json()["faces"][0]["scores"]) == 7
    assert loads == ["ferplus", "fer2013"]


@pytest.mark.parametrize("url", ["/api/predict", "/api/explain", "/api/video"])
def test_an_unknown_model_gets_422_with_the_valid_names(client, photo, url):
    response = client.post(url, files=photo, data={"model": "nope"})
    assert response.status_code == 422
    assert response.json()["detail"].startswith(f"no model 'nope' on this server; models: {DEFAULT_MODEL}, ")
    assert "ferplus" in response.json()["detail"]


def test_explain_uses_the_model_named_and_its_classes(client, photo):
    fields = {"model": "ferplus", "method": "saliency", "target": "contempt"}
    result = client.post("/api/explain", files=photo, data=fields).json()
    assert (result["model"], result["target"]) == ("ferplus", "contempt")
    seven = {"model": "fer2013", "method": "saliency", "target": "contempt"}
    refused = client.post("/api/explain", files=photo, data=seven)
    assert refused.status_code == 422 and "unknown class 'contempt'" in refused.json()["detail"]


def test_video_uses_the_model_named(client, tmp_path):
    video = moving_face_video(tmp_path / "clip.mp4", frames=3).read_bytes()
    result = client.post("/api/video", files={"file": ("clip.mp4", video)}, data={"model": "ferplus"}).json()
    assert result["model"] == "ferplus" and list(result["tracks"][0]["mean_scores"]) == list(FERPLUS_CLASSES)
    header = client.get(result["files"]["faces"]).text.splitlines()[0]
    assert header.endswith(",".join(FERPLUS_CLASSES) + ",error")


def test_serve_starts_with_the_model_named(monkeypatch, ferplus_model):
    started, _ = serve(monkeypatch, "--model", ferplus_model)
    health = TestClient(started["app"]).get("/healthz").json()
    assert health["model"] == "ferplus" and health["classes"] == list(FERPLUS_CLASSES)
    assert DEFAULT_MODEL in [model["name"] for model in health["models"]]
