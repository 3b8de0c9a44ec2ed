"""The API's landmarks switch: each face's mesh, head pose and measures on request, and only then."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient
from skimage import data

from mien.geometry.measures import MEASURES
from mien.geometry.mesh import CONTOURS
from mien.pipeline import Predictor
from mien.web import WebSettings, create_app
from tests.media import moving_face_video
from tests.web.test_api import ASTRONAUT_FACE, png_bytes

ASTRONAUT = data.astronaut()
CUT_OFF = ASTRONAUT[120:, 210:]  # the face's left half and forehead gone: found, but its mesh is refused


@pytest.fixture(scope="module")
def client(tmp_path_factory) -> TestClient:
    settings = WebSettings(work_dir=tmp_path_factory.mktemp("web"))
    return TestClient(create_app(Predictor.default(), settings))


def predict(client: TestClient, image: np.ndarray, **fields) -> dict:
    response = client.post("/api/predict", files={"file": ("a.png", png_bytes(image))}, data=fields)
    assert response.status_code == 200, response.text
    return response.json()


def test_landmarks_give_each_face_its_mesh_pose_and_measures(client):
    [face] = predict(client, ASTRONAUT, landmarks="true")["faces"]
    geometry = face["geometry"]
    assert geometry["refused"] is None and geometry["mesh_score"] > 0.9
    points = np.array(geometry["points"])
    assert points.shape == (468, 2)  # x, y only: depth stays out of the answer
    assert np.array_equal(points, np.round(points, 1))  # and written so: 0.1 px, not float32 noise
    x, y, w, h = ASTRONAUT_FACE
    nose_tip = points[1]  # the mesh's point 1, on the face the detector found
    assert x < nose_tip[0] < x + w and y < nose_tip[1] < y + h
    assert set(geometry["pose"]) == {"yaw", "pitch", "roll"}
    assert abs(geometry["pose"]["yaw"]) < 15 and geometry["pose_warning"] is None  # she faces the camera
    assert list(geometry["measures"]) == list(MEASURES)


def test_without_landmarks_faces_have_no_geometry(client):
    [face] = predict(client, ASTRONAUT)["faces"]
    assert face["geometry"] is None
    [face] = predict(client, ASTRONAUT, landmarks="false")["faces"]
    assert face["geometry"] is None


def test_a_face_cut_off_by_the_edge_gets_a_reason_and_no_mesh(client):
    [face] = predict(client, CUT_OFF, landmarks="true")["faces"]
    geometry = face["geometry"]
    assert geometry["refused"].startswith("mesh score")
    assert geometry["points"] is None and geometry["pose"] is None and geometry["measures"] == {}
    assert face["scores"]  # the expression is still read


def test_the_mesh_outlines_index_the_points(client):
    mesh = client.get("/api/mesh").json()
    assert mesh["points"] == 468
    assert mesh["contours"] == {name: list(run) for name, run in CONTOURS.items()}


def test_the_schema_describes_the_switch_and_the_geometry(client):
    schema = client.get("/openapi.json").json()
    components = schema["components"]["schemas"]
    for path in ("/api/predict", "/api/video"):
        body = schema["paths"][path]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
        assert components[body["$ref"].split("/")[-1]]["properties"]["landmarks"]["default"] is False
    assert "geometry" in components["FaceResult"]["properties"]
    assert {"pose", "pose_warning", "measures", "points", "refused"} <= set(
        components["GeometryResult"]["properties"]
    )
    assert "/api/mesh" in schema["paths"]


def test_a_video_with_landmarks_has_pose_and_measures_in_its_csv(client, tmp_path):
    video = moving_face_video(tmp_path / "clip.mp4", frames=5).read_bytes()
    response = client.post("/api/video", files={"file": ("clip.mp4", video)}, data={"landmarks": "true"})
    assert response.status_code == 200, response.text
    header, *rows = client.get(response.json()["files"]["faces"]).text.splitlines()
    columns = header.split(",")
    assert {"yaw", "pitch", "roll", "mouth_opening", "mesh_refused"} <= set(columns)
    assert len(rows) == 5


def test_the_page_has_the_switch_off_and_loads_the_landmarks_script(client):
    page = client.get("/").text
    assert 'id="landmarks-switch"' in page and "checked" not in page
    assert '<script src="/static/landmarks.js"' in page
    assert client.get("/static/landmarks.js").headers["content-type"].startswith("text/javascript")
