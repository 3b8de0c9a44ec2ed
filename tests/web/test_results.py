"""Video results on disk: a running job is never removed, a rejected upload takes no room, finished
results are kept for a time within a disk budget, and no server leaves its folder behind."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

from fastapi.testclient import TestClient

from mien.pipeline import Predictor
from mien.web import WebSettings, create_app
from mien.web.results import TEMPORARY_PREFIX, VideoResults, remove_dead_servers_folders
from tests.media import moving_face_video


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def finished_job(results: VideoResults, size: int = 10) -> str:
    job, folder = results.new_job()
    (folder / "faces.csv").write_bytes(b"x" * size)
    results.finish(job)
    return job


def test_a_running_job_is_never_removed_and_a_rejected_upload_takes_no_room(tmp_path):
    clock = Clock()
    results = VideoResults(tmp_path, keep_seconds=60, max_bytes=1000, clock=clock)
    running, folder = results.new_job()
    (folder / "faces.csv").write_bytes(b"x" * 500)
    done = finished_job(results)
    for _ in range(25):
        rejected, _ = results.new_job()
        results.discard(rejected)
        assert not (tmp_path / rejected).exists()
    clock.now += 3600
    finished_job(results)  # prunes: the expired result goes, the running job stays
    assert (tmp_path / running / "faces.csv").is_file() and results.find(running, "faces.csv") is None
    assert results.find(done, "faces.csv") is None
    results.finish(running)
    assert results.find(running, "faces.csv") == tmp_path / running / "faces.csv"


def test_finished_results_stay_their_time_and_the_budget_drops_the_oldest_first(tmp_path):
    clock = Clock()
    results = VideoResults(tmp_path, keep_seconds=600, max_bytes=250, clock=clock)
    jobs = []
    for _ in range(3):
        jobs.append(finished_job(results, size=100))
        clock.now += 1
    assert [results.find(job, "faces.csv") is not None for job in jobs] == [False, True, True]
    clock.now += 597  # the two left are still within their ten minutes
    finished_job(results, size=10)
    assert results.find(jobs[1], "faces.csv") is not None
    clock.now += 2
    finished_job(results, size=10)
    assert results.find(jobs[1], "faces.csv") is None and results.find(jobs[2], "faces.csv") is not None


def test_a_clean_stop_removes_the_servers_own_folder_and_a_start_removes_dead_servers_folders(tmp_path):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    leftover = tmp_path / f"{TEMPORARY_PREFIX}{int(dead.stdout)}-abc"  # a server that is gone
    alive = tmp_path / f"{TEMPORARY_PREFIX}{os.getpid()}-def"  # a server still running (another port)
    for folder in (leftover, alive):
        (folder / ("0" * 32)).mkdir(parents=True)
    remove_dead_servers_folders(tmp_path)
    assert not leftover.exists() and alive.is_dir()
    results = VideoResults(None)
    assert results.root.name.startswith(f"{TEMPORARY_PREFIX}{os.getpid()}-")
    results.close()
    assert not results.root.exists()
    given = VideoResults(tmp_path / "given")
    given.close()
    assert given.root.is_dir()  # a folder the server was given stays


def test_a_clean_stop_of_the_app_leaves_no_results_folder(untrained_checkpoint):
    app = create_app(Predictor.from_checkpoint(untrained_checkpoint), WebSettings())
    with TestClient(app) as client:
        root = app.state.results.root
        assert client.get("/healthz").status_code == 200 and root.is_dir()
    assert not root.exists()


def test_a_long_video_keeps_its_results_through_rejected_and_valid_uploads(untrained_checkpoint, tmp_path):
    app = create_app(Predictor.from_checkpoint(untrained_checkpoint), WebSettings(work_dir=tmp_path / "web"))
    client = TestClient(app)
    long_video = moving_face_video(tmp_path / "long.mp4", frames=50, size=(1280, 480)).read_bytes()
    short_video = moving_face_video(tmp_path / "short.mp4", frames=2).read_bytes()
    answer = {}
    first = threading.Thread(
        target=lambda: answer.update(long=client.post("/api/video", files={"file": ("l.mp4", long_video)}))
    )
    first.start()
    for index in range(25):
        rejected = client.post("/api/video", files={"file": (f"{index}.jpg", b"not a video")})
        assert rejected.status_code == 422
        assert client.post("/api/video", files={"file": (f"{index}.mp4", short_video)}).status_code == 200
    first.join()
    assert answer["long"].status_code == 200, answer["long"].text
    for url in answer["long"].json()["files"].values():
        assert client.get(url).status_code == 200
