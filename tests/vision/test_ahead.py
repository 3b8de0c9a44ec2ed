"""Frames worked on ahead on threads (mien.vision.ahead): the same results in order, errors at their
frame's turn, a clean stop, and no more frames held than the pixel limit allows."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from mien.errors import MienError
from mien.video import Frame, read_frames
from mien.vision import ahead as ahead_module
from mien.vision.ahead import run_ahead
from tests.media import moving_face_video


def frames(count: int, side: int = 8) -> list[Frame]:
    return [Frame(i, i / 10, np.full((side, side, 3), i, np.uint8)) for i in range(count)]


def mean_pixel(position: int, frame: Frame) -> tuple[int, float]:
    time.sleep(0.002 * (position % 3))  # later frames finish first now and then
    return position, float(frame.image.mean())


@pytest.mark.parametrize("workers", [0, 1, 2, 3])
def test_the_results_come_in_frame_order_as_a_plain_loop_gives_them(workers):
    given = frames(10)
    results = list(run_ahead(given, mean_pixel, workers))
    assert [frame for frame, _ in results] == given
    assert [result for _, result in results] == [mean_pixel(i, f) for i, f in enumerate(given)]


def test_the_next_frames_are_worked_on_while_the_caller_holds_one():
    started = {position: threading.Event() for position in range(4)}

    def work(position, frame):
        started[position].set()
        return threading.current_thread().name

    results = run_ahead(frames(4), work, workers=2)
    _, first = next(results)
    assert first.startswith("mien-frames")  # not the caller's thread
    assert started[1].wait(5) and started[2].wait(5)  # two workers and one more queued
    assert [name.startswith("mien-frames") for _, name in results] == [True] * 3


def test_without_workers_the_work_runs_in_the_callers_thread():
    results = list(run_ahead(frames(3), lambda i, f: threading.current_thread(), workers=0))
    assert {thread for _, thread in results} == {threading.current_thread()}


def test_a_failing_frame_raises_at_its_turn_after_the_frames_before_it():
    def work(position, frame):
        if position == 3:
            raise MienError("frame 3 cannot be read")
        return position

    seen = []
    with pytest.raises(MienError, match="frame 3"):
        for frame, _ in run_ahead(frames(8), work, workers=2):
            seen.append(frame.index)
    assert seen == [0, 1, 2]


def test_a_source_that_fails_midway_raises_after_the_frames_read_before_it():
    def source():
        yield from frames(3)
        raise MienError("frame 3: over the size limit")

    seen = []
    with pytest.raises(MienError, match="over the size limit"):
        for frame, _ in run_ahead(source(), mean_pixel, workers=2):
            seen.append(frame.index)
    assert seen == [0, 1, 2]


def test_stopping_early_waits_for_the_workers_and_reads_no_further():
    read = []

    def source():
        for frame in frames(100):
            read.append(frame.index)
            yield frame

    results = run_ahead(source(), mean_pixel, workers=2)
    next(results)
    results.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("mien-frames")]
    assert read == [0, 1, 2]  # two workers and one more queued: nothing read after the stop


def test_no_more_pixels_are_held_than_the_limit(monkeypatch):
    monkeypatch.setattr(ahead_module, "AHEAD_PIXELS", 2 * 64 * 64)
    busy, most, lock = [0], [0], threading.Lock()

    def work(position, frame):
        with lock:
            busy[0] += 1
            most[0] = max(most[0], busy[0])
        time.sleep(0.01)
        with lock:
            busy[0] -= 1
        return position

    results = list(run_ahead(frames(6, side=64), work, workers=4))
    assert [position for _, position in results] == list(range(6))
    assert most[0] <= 2  # room for two 64x64 frames, though four workers wait


def test_a_broken_video_stops_cleanly_with_the_frames_before_it(tmp_path):
    source = moving_face_video(tmp_path / "in.avi", frames=20)
    whole = source.read_bytes()
    broken = tmp_path / "broken.avi"
    broken.write_bytes(whole[: len(whole) // 2])
    one_at_a_time = list(run_ahead(read_frames(broken), mean_pixel, workers=0))
    ahead = list(run_ahead(read_frames(broken), mean_pixel, workers=2))
    assert 0 < len(ahead) < 20
    assert [f.index for f, _ in ahead] == [f.index for f, _ in one_at_a_time]
    assert all(np.array_equal(a.image, b.image) for (a, _), (b, _) in zip(ahead, one_at_a_time))
    assert [r for _, r in ahead] == [r for _, r in one_at_a_time]
