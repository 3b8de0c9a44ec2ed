"""The HTTP API, in-process: answers, limits and bad input."""

from __future__ import annotations

import base64
import io

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from skimage import data

from mien.pipeline import Predictor
from mien.web import WebSettings, create_app
from tests.media import moving_face_video

ASTRONAUT_FACE = (178, 63, 91, 114)  # x, y, w, h: where YuNet finds the face in data.astronaut()


def png_bytes(image: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def astronaut_png() -> bytes:
    return png_bytes(data.astronaut())


@pytest.fixture
def client_for(untrained_checkpoint, tmp_path):
    def make(**settings) -> TestClient:
        settings.setdefault("work_dir", tmp_path / "web")
        app = create_app(Predictor.from_checkpoint(untrained_checkpoint), WebSettings(**settings))
        return TestClient(app)

    return make


@pytest.fixture
def client(client_for) -> TestClient:
    return client_for()


def test_healthz_names_the_classes_and_the_explanation_methods(client):
    health = client.get("/healthz").json()
    assert health["status"] == "ok"
    assert "happy" in health["classes"] and "xrai" in health["methods"]


def test_predict_returns_each_face_with_its_box_label_and_scores(client, astronaut_png):
    response = client.post("/api/predict", files={"file": ("a.png", astronaut_png, "image/png")})
    assert response.status_code == 200
    result = response.json()
    assert (result["width"], result["height"]) == (512, 512)
    [face] = result["faces"]
    assert np.allclose(face["box"], ASTRONAUT_FACE, atol=8)
    assert sum(face["scores"].values()) == pytest.approx(1, abs=1e-3)
    assert face["label"] == max(face["scores"], key=face["scores"].get)


def test_a_photo_without_faces_gives_an_empty_list(client):
    blank = png_bytes(np.full((200, 300, 3), 128, np.uint8))
    assert client.post("/api/predict", files={"file": ("blank.png", blank)}).json()["faces"] == []


def test_explain_returns_a_map_and_a_picture_of_it(client, astronaut_png):
    fields = {"method": "saliency", "face": "0", "target": "surprise"}
    response = client.post("/api/explain", files={"file": ("a.png", astronaut_png)}, data=fields)
    assert response.status_code == 200
    result = response.json()
    assert result["target"] == "surprise" and result["method"] == "saliency"
    heat = np.array(result["map"])
    assert heat.shape == (48, 48) and heat.min() >= 0 and heat.max() == pytest.approx(1)
    header, encoded = result["image"].split(",", 1)
    assert header == "data:image/png;base64"
    picture = cv2.imdecode(np.frombuffer(base64.b64decode(encoded), np.uint8), cv2.IMREAD_COLOR)
    assert picture.shape == (192, 192, 3)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"face": "3"}, "no face 3: the image has 1 face(s)"),
        ({"method": "magic"}, "unknown explanation method 'magic'; valid: gradcam"),
        ({"target": "bored"}, "unknown class 'bored'"),
    ],
)
def test_explain_refuses_what_it_cannot_explain(client, astronaut_png, fields, message):
    response = client.post("/api/explain", files={"file": ("a.png", astronaut_png)}, data=fields)
    assert response.status_code == 422
    assert message in response.json()["detail"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty file"),
        (b"GIF89a this is not really a picture", "not an image"),
        (b"%PDF-1.4 a document", "not an image"),
        (png_bytes(data.astronaut())[:3000], "corrupt or truncated image"),
    ],
)
def test_bad_uploads_get_a_4xx_with_the_reason(client, content, message):
    # The name and type claim a photo; only decoding tells.
    response = client.post("/api/predict", files={"file": ("photo.jpg", content, "image/jpeg")})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail.startswith("photo.jpg: ") and message in detail


def test_images_over_the_pixel_limit_are_refused_unread(client_for, astronaut_png):
    client = client_for(max_pixels=100_000)
    response = client.post("/api/predict", files={"file": ("big.png", astronaut_png)})
    assert response.status_code == 422
    assert "512x512 pixels is over the limit of 100,000" in response.json()["detail"]


def test_uploads_over_the_limit_get_413_whether_announced_or_streamed(client_for):
    client = client_for(max_upload_bytes=100_000)
    body = b"x" * 200_000
    response = client.post("/api/predict", files={"file": ("big.png", body)})
    assert response.status_code == 413
    assert response.json()["detail"] == "upload over the limit of 0.0953674 MB"

    def chunks():  # no Content-Length: the limit must hold while the body streams in
        for _ in range(400):
            yield b"y" * 1000

    headers = {"content-type": "multipart/form-data; boundary=abc"}
    response = client.post("/api/predict", content=chunks(), headers=headers)
    assert response.status_code == 413


def test_an_upload_under_the_limit_still_works(client_for, astronaut_png):
    client = client_for(max_upload_bytes=len(astronaut_png) + 10)
    assert client.post("/api/predict", files={"file": ("a.png", astronaut_png)}).status_code == 200


def test_video_gives_tracks_and_the_three_result_files(client, tmp_path):
    video = moving_face_video(tmp_path / "clip.mp4", frames=5).read_bytes()
    response = client.post("/api/video", files={"file": ("clip.mp4", video, "video/mp4")})
    assert response.status_code == 200
    result = response.json()
    assert result["frames"] == 5 and len(result["tracks"]) == 1
    assert result["tracks"][0]["frames"] == 5
    files = result["files"]
    annotated = client.get(files["annotated"])
    assert annotated.headers["content-type"] == "video/webm" and annotated.content[:4] == b"\x1a\x45\xdf\xa3"
    assert client.get(files["timeline"]).content[:8] == b"\x89PNG\r\n\x1a\n"
    rows = client.get(files["faces"]).text.splitlines()
    assert rows[0].startswith("path,frame,time,track,face,") and len(rows) == 6  # mien.rows' layout
    assert rows[1].split(",")[0] == ""  # the server's name for the upload stays on the server


def test_videos_that_are_not_videos_or_too_long_are_refused(client_for, tmp_path):
    client = client_for(max_video_seconds=0.2)
    response = client.post("/api/video", files={"file": ("clip.mp4", b"\x00" * 5000)})
    assert (response.status_code, response.json()["detail"]) == (422, "clip.mp4: not a readable video")
    video = moving_face_video(tmp_path / "clip.mp4", frames=5).read_bytes()  # 0.5 s at 10 frames/s
    response = client.post("/api/video", files={"file": ("clip.mp4", video)})
    assert response.status_code == 422 and "longer than the limit of 0.2 s" in response.json()["detail"]
    assert list((tmp_path / "web").iterdir()) == []  # refused uploads leave nothing behind


NAMED_PATHS = [
    "/api/videos/../../etc/passwd",
    "/api/videos/abc/faces.csv",
    "/api/videos/" + "0" * 32 + "/upload",
    "/static/app.py",
    "/static/..%2fapp.py",
]


@pytest.mark.parametrize("url", NAMED_PATHS)
def test_clients_cannot_name_paths(client, url):
    assert client.get(url).status_code == 404


def test_the_page_and_the_schema_are_served(client):
    page = client.get("/")
    assert page.status_code == 200 and 'id="photo-input"' in page.text
    assert client.get("/static/app.js").headers["content-type"].startswith("text/javascript")
    schema = client.get("/openapi.json").json()
    assert {"/healthz", "/api/predict", "/api/explain", "/api/video"} <= set(schema["paths"])
    predict = schema["paths"]["/api/predict"]["post"]
    assert "multipart/form-data" in predict["requestBody"]["content"]


def test_head_healthz_answers_for_load_balancers(client):
    assert client.head("/healthz").status_code == 200


@pytest.mark.parametrize("field", ["model", "method", "target"])
def test_a_huge_bad_value_is_quoted_short(client, astronaut_png, field):
    response = client.post(
        "/api/explain", files={"file": ("a.png", astronaut_png)}, data={field: "x" * 100_000}
    )
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert len(detail) < 400 and "cut from 100,000 characters" in detail


@pytest.mark.parametrize(
    ("fields", "message"),
    [({"method": "magic"}, "unknown explanation method"), ({"target": "bored"}, "unknown class"),
     ({"face": "-1"}, "face is a number from 0")],
)  # fmt: skip
def test_bad_explain_values_are_refused_before_the_photo_is_read(client, fields, message):
    # not an image: had the photo been read (and its faces detected) first, that would be the error
    response = client.post("/api/explain", files={"file": ("a.png", b"not an image")}, data=fields)
    assert response.status_code == 422 and response.json()["detail"].startswith(message)
