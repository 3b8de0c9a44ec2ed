"""`mien serve` wires options into the app and uvicorn; the server itself is tested in-process."""

from __future__ import annotations

import uvicorn
from click.testing import CliRunner
from fastapi.testclient import TestClient

from mien.cli import cli


def serve(monkeypatch, *args) -> tuple[dict, str]:
    started = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: started.update(app=app, **options))
    result = CliRunner().invoke(cli, ["serve", *map(str, args)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return started, result.stderr


def test_serve_listens_on_this_machine_only_by_default(monkeypatch, untrained_checkpoint):
    started, warnings = serve(monkeypatch, "--checkpoint", untrained_checkpoint)
    assert (started["host"], started["port"]) == ("127.0.0.1", 8000)
    assert warnings == ""


def test_serve_warns_when_other_machines_can_reach_it(monkeypatch, untrained_checkpoint):
    started, warnings = serve(monkeypatch, "--checkpoint", untrained_checkpoint, "--host", "0.0.0.0")
    assert started["host"] == "0.0.0.0"
    assert "other machines can reach this server" in warnings


def test_the_upload_limit_option_reaches_the_app(monkeypatch, untrained_checkpoint):
    started, _ = serve(monkeypatch, "--checkpoint", untrained_checkpoint, "--max-upload-mb", "1")
    client = TestClient(started["app"])
    assert client.get("/healthz").json()["max_upload_bytes"] == 1024 * 1024
    response = client.post("/api/predict", files={"file": ("big.jpg", b"x" * (2 * 1024 * 1024))})
    assert response.status_code == 413


def test_the_memory_budget_options_reach_the_app(monkeypatch, untrained_checkpoint):
    args = ["--max-concurrent", "3", "--max-megapixels-in-flight", "4.5"]
    started, _ = serve(monkeypatch, "--checkpoint", untrained_checkpoint, *args)
    budget = started["app"].state.budget
    assert (budget.max_requests, budget.max_pixels) == (3, 4_500_000)


def test_the_video_frame_and_body_timeout_options_reach_the_app(monkeypatch, untrained_checkpoint):
    args = ["--max-video-megapixels", "8.2944", "--body-timeout", "5"]
    started, _ = serve(monkeypatch, "--checkpoint", untrained_checkpoint, *args)
    settings = started["app"].state.settings
    assert (settings.max_video_frame_pixels, settings.body_timeout_seconds) == (3840 * 2160, 5.0)
