"""/api/video within the memory budget: frames over the size limit are refused from the header before
any is decoded, a video job holds the budget that photos hold (others wait, then get 503), and the
annotated video is written at a bounded size."""

from __future__ import annotations

import csv
import io
import threading

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient

import mien.web.app
from mien.errors import MienError
from mien.pipeline import Predictor
from mien.video import frame_size, read_frames
from mien.web import WebSettings, create_app
from mien.web.budget import video_pixels
from tests.media import moving_face_video


def png(width: int, height: int) -> bytes:
    return cv2.imencode(".png", np.full((height, width, 3), 128, np.uint8))[1].tobytes()


def test_the_frame_size_comes_from_the_header_and_a_larger_frame_ends_the_stream(tmp_path):
    path = moving_face_video(tmp_path / "clip.mp4", frames=2, size=(400, 320))
    assert frame_size(path) == (400, 320)
    assert [frame.image.shape for frame in read_frames(path, max_pixels=400 * 320)] == [(320, 400, 3)] * 2
    with pytest.raises(MienError, match=r"frame 0: frames of 400x320 \(0.1 megapixels\) are over the limit"):
        next(read_frames(path, max_pixels=400 * 320 - 1))


def test_frames_over_the_limit_are_refused_before_any_is_decoded(untrained_checkpoint, tmp_path, monkeypatch):
    decoded = []
    monkeypatch.setattr(mien.web.app, "video_info", lambda *args: decoded.append(args))
    settings = WebSettings(max_video_frame_pixels=400 * 320, work_dir=tmp_path / "web")
    app = create_app(Predictor.from_checkpoint(untrained_checkpoint), settings)
    video = moving_face_video(tmp_path / "big.mp4", frames=2, size=(640, 480)).read_bytes()
    response = TestClient(app).post("/api/video", files={"file": ("big.mp4", video)})
    assert response.status_code == 422
    assert response.json()["detail"] == (
        "big.mp4: frames of 640x480 (0.3 megapixels) are over the limit of 0.128 megapixels a frame"
    )
    assert decoded == [] and list((tmp_path / "web").iterdir()) == []
    assert (app.state.budget.requests, app.state.budget.pixels) == (0, 0)


@pytest.fixture
def blocked_app(untrained_checkpoint, tmp_path):
    """An app allowing one request at a time whose model waits, inside predict, until released."""
    predictor = Predictor.from_checkpoint(untrained_checkpoint)
    inside, release = threading.Event(), threading.Event()
    predict = predictor.predict

    def blocking_predict(image, landmarks=False):
        inside.set()
        release.wait(20)
        return predict(image, landmarks)

    predictor.predict = blocking_predict
    settings = WebSettings(max_concurrent=1, busy_wait_seconds=0, work_dir=tmp_path / "web")
    return create_app(predictor, settings), inside, release


def test_a_video_job_holds_the_budget_and_other_requests_get_503_meanwhile(blocked_app, tmp_path):
    app, inside, release = blocked_app
    client = TestClient(app)
    video = moving_face_video(tmp_path / "clip.mp4", frames=2, size=(400, 320)).read_bytes()
    answer = {}
    first = threading.Thread(
        target=lambda: answer.update(first=client.post("/api/video", files={"file": ("a.mp4", video)}))
    )
    first.start()
    try:
        assert inside.wait(20)
        assert (app.state.budget.requests, app.state.budget.pixels) == (1, video_pixels(400, 320))
        for path, name, body in (("/api/predict", "p.png", png(64, 64)), ("/api/video", "b.mp4", video)):
            busy = client.post(path, files={"file": (name, body)})
            assert busy.status_code == 503, path
            assert busy.headers["Retry-After"] == "1" and "busy" in busy.json()["detail"]
    finally:
        release.set()
        first.join()
    assert answer["first"].status_code == 200, answer["first"].text
    assert len(list((tmp_path / "web").iterdir())) == 1  # the refused video left no folder
    assert (app.state.budget.requests, app.state.budget.pixels) == (0, 0)


def test_the_annotated_video_is_shrunk_to_its_side_while_the_csv_keeps_the_uploads_pixels(
    untrained_checkpoint, tmp_path
):
    settings = WebSettings(video_result_side=320, work_dir=tmp_path / "web")
    client = TestClient(create_app(Predictor.from_checkpoint(untrained_checkpoint), settings))
    video = moving_face_video(tmp_path / "clip.mp4", frames=3, size=(640, 480)).read_bytes()
    response = client.post("/api/video", files={"file": ("clip.mp4", video)})
    assert response.status_code == 200, response.text
    files = response.json()["files"]
    annotated = tmp_path / "annotated.webm"
    annotated.write_bytes(client.get(files["annotated"]).content)
    assert frame_size(annotated) == (320, 240)
    rows = list(csv.DictReader(io.StringIO(client.get(files["faces"]).text)))
    assert len(rows) == 3
    pasted = [100 + 20 * int(row["frame"]) for row in rows]  # where tests.media put the face, in 640 px
    assert all(0 <= float(row["x"]) - x <= 60 for row, x in zip(rows, pasted, strict=True))
