"""The photo budget: requests at once and pixels in flight, reserved from the header before decoding,
refused with 503 and Retry-After when full, and given back whatever happens to the request."""

from __future__ import annotations

import io
import threading

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from mien.pipeline import Predictor
from mien.web import WebSettings, create_app
from mien.web.budget import Busy, PixelBudget, announced_pixels


def png_bytes(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.full((height, width, 3), 90, np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_the_header_gives_the_pixel_count_and_the_file_is_rewound():
    file = io.BytesIO(png_bytes(300, 200))
    assert announced_pixels(file) == 60_000
    assert file.tell() == 0


def test_an_unreadable_header_counts_as_nothing():
    file = io.BytesIO(b"%PDF-1.4 not an image")
    assert announced_pixels(file) == 0
    assert file.tell() == 0


def test_a_request_past_the_count_is_refused():
    budget = PixelBudget(max_requests=1, max_pixels=1000, wait_seconds=0)
    with budget.reserve(10), pytest.raises(Busy), budget.reserve(10):
        pass
    assert (budget.requests, budget.pixels) == (0, 0)


def test_pixels_in_flight_are_bounded_and_a_huge_image_runs_alone():
    budget = PixelBudget(max_requests=4, max_pixels=1000, wait_seconds=0)
    with budget.reserve(600):
        with pytest.raises(Busy), budget.reserve(600):
            pass
        with budget.reserve(400):
            assert budget.pixels == 1000
    with budget.reserve(10**9):  # counted as the whole budget
        assert budget.pixels == 1000


def test_room_is_given_back_when_the_request_fails():
    budget = PixelBudget(max_requests=1, max_pixels=1000, wait_seconds=0)
    with pytest.raises(ValueError), budget.reserve(500):
        raise ValueError("decoding failed")
    assert (budget.requests, budget.pixels) == (0, 0)


def test_a_waiting_request_gets_the_room_when_it_frees():
    budget = PixelBudget(max_requests=1, max_pixels=1000, wait_seconds=5)
    holding = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with budget.reserve(100):
            holding.set()
            release.wait(5)

    worker = threading.Thread(target=hold)
    worker.start()
    holding.wait(5)
    threading.Timer(0.1, release.set).start()
    with budget.reserve(100):
        assert budget.requests == 1
    worker.join()


@pytest.fixture
def blocked_app(untrained_checkpoint, tmp_path):
    """An app allowing one photo at a time whose model waits, inside predict, until released."""
    predictor = Predictor.from_checkpoint(untrained_checkpoint)
    inside, release = threading.Event(), threading.Event()

    def predict(image, landmarks=False):
        inside.set()
        release.wait(10)
        return []

    predictor.predict = predict
    settings = WebSettings(max_concurrent=1, busy_wait_seconds=0, work_dir=tmp_path / "web")
    return create_app(predictor, settings), inside, release


def test_a_second_photo_while_one_is_classified_gets_503_with_retry_after(blocked_app):
    app, inside, release = blocked_app
    client = TestClient(app)
    photo = {"file": ("a.png", png_bytes(64, 64))}
    first = threading.Thread(target=lambda: client.post("/api/predict", files=photo))
    first.start()
    try:
        assert inside.wait(10)
        busy = client.post("/api/predict", files=photo)
        assert busy.status_code == 503
        assert busy.headers["Retry-After"] == "1"
        assert "busy" in busy.json()["detail"]
    finally:
        release.set()
        first.join()
    assert client.post("/api/predict", files=photo).status_code == 200
    assert (app.state.budget.requests, app.state.budget.pixels) == (0, 0)


def test_bad_uploads_give_their_room_back(untrained_checkpoint, tmp_path):
    settings = WebSettings(max_concurrent=1, busy_wait_seconds=0, max_pixels=5000, work_dir=tmp_path)
    app = create_app(Predictor.from_checkpoint(untrained_checkpoint), settings)
    client = TestClient(app)
    for content in (b"%PDF-1.4", png_bytes(100, 100), png_bytes(300, 300)[:200]):
        assert client.post("/api/predict", files={"file": ("x.png", content)}).status_code == 422
        assert (app.state.budget.requests, app.state.budget.pixels) == (0, 0)
    assert client.post("/api/predict", files={"file": ("x.png", png_bytes(50, 50))}).status_code == 200
