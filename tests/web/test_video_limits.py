"""/api/video's limits hold for files that do not say how long they are, or say it wrongly, and
still images are refused with a reason."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient
from skimage import data

from mien.pipeline import Predictor
from mien.video import video_info
from mien.web import WebSettings, create_app

STILL = "one frame at most (a still image or a broken file), not a video; photos go to /api/predict"


def jpeg(image: np.ndarray) -> bytes:
    return cv2.imencode(".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR))[1].tobytes()


def mjpeg_stream(frames: int) -> bytes:
    """JPEGs one after another: a video (25 frames/s to OpenCV) whose length nothing announces."""
    return b"".join(jpeg(np.full((48, 64, 3), 4 * (i % 60), np.uint8)) for i in range(frames))


def lying_avi(path: Path, frames: int, announced: int) -> bytes:
    """An MJPEG AVI at 10 frames/s whose headers announce fewer frames than it holds."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (64, 48))
    for i in range(frames):
        writer.write(np.full((48, 64, 3), 4 * i, np.uint8))
    writer.release()
    avi = bytearray(path.read_bytes())
    main, stream = avi.find(b"avih"), avi.find(b"strh")
    avi[main + 24 : main + 28] = announced.to_bytes(4, "little")  # avih's total frames
    avi[stream + 40 : stream + 44] = announced.to_bytes(4, "little")  # strh's length
    return bytes(avi)


@pytest.fixture
def client(untrained_checkpoint, tmp_path) -> TestClient:
    settings = WebSettings(max_video_seconds=1.0, work_dir=tmp_path / "web")
    return TestClient(create_app(Predictor.from_checkpoint(untrained_checkpoint), settings))


def post_video(client: TestClient, name: str, body: bytes):
    return client.post("/api/video", files={"file": (name, body)})


def test_counting_stops_just_past_the_limit_when_the_file_announces_no_length(tmp_path):
    path = tmp_path / "stream"
    path.write_bytes(mjpeg_stream(300))
    assert video_info(path).frames == 0  # unknown, never OpenCV's negative answer
    assert video_info(path, max_seconds=1.0).frames == 26  # 25 frames are 1 s at 25 frames/s
    assert video_info(path, max_seconds=100.0).frames == 300


def test_a_video_without_an_announced_length_is_held_to_the_limit(client, tmp_path):
    response = post_video(client, "clip.mjpeg", mjpeg_stream(40))  # 1.6 s
    assert response.status_code == 422
    assert response.json()["detail"] == "clip.mjpeg: the video is longer than the limit of 1 s"
    assert list((tmp_path / "web").iterdir()) == []


def test_a_video_that_announces_too_few_frames_is_held_to_the_limit(client, tmp_path):
    avi = lying_avi(tmp_path / "clip.avi", frames=30, announced=3)  # 3 s, announced as 0.3 s
    (tmp_path / "clip.avi").write_bytes(avi)
    assert video_info(tmp_path / "clip.avi").frames == 3
    response = post_video(client, "clip.avi", avi)
    assert response.status_code == 422
    assert response.json()["detail"] == "clip.avi: the video is longer than the limit of 1 s"


def test_a_video_without_an_announced_length_under_the_limit_reports_its_counted_frames(client):
    response = post_video(client, "clip.mjpeg", mjpeg_stream(20))  # 0.8 s
    assert response.status_code == 200
    assert (response.json()["frames"], response.json()["seconds"]) == (20, 0.8)


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("photo.png", cv2.imencode(".png", data.astronaut())[1].tobytes()),
        ("photo.jpg", jpeg(data.astronaut())),
        ("cut.jpg", jpeg(data.astronaut())[:20000]),  # truncated: the decoder fills in the rest
    ],
)
def test_a_still_image_sent_as_a_video_is_refused_with_the_reason(client, tmp_path, name, body):
    response = post_video(client, name, body)
    assert response.status_code == 422
    assert response.json() == {"detail": f"{name}: {STILL}"}
    assert list((tmp_path / "web").iterdir()) == []


def test_a_video_that_claims_a_huge_frame_rate_is_held_to_the_frames_of_the_limit(client, tmp_path):
    path = tmp_path / "fast.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 1000, (64, 48))
    for i in range(100):  # 0.1 s at the 1000 frames/s it claims; 60 frames at most for a 1 s limit
        writer.write(np.full((48, 64, 3), 2 * i, np.uint8))
    writer.release()
    assert video_info(path, max_seconds=1.0).frames == 61  # counting stopped one past 60
    response = post_video(client, "fast.avi", path.read_bytes())
    assert response.status_code == 422 and "more than 60 frames" in response.json()["detail"]
