import csv

import numpy as np
import pytest
from skimage import data

from mien.pipeline import Predictor
from mien.types import Box, Face, FacePrediction
from mien.video import FaceTracker, Frame, iou, process_video, read_frames, recognise_stream, summarize_tracks
from tests.media import moving_face_video

CLASSES = ["a", "b"]


def prediction(x, probability_a):
    return FacePrediction(Face(Box(x, 10, 50, 50), 0.9), {"a": probability_a, "b": 1 - probability_a})


def test_iou():
    assert iou(Box(0, 0, 10, 10), Box(0, 0, 10, 10)) == 1.0
    assert iou(Box(0, 0, 10, 10), Box(5, 0, 10, 10)) == pytest.approx(50 / 150)
    assert iou(Box(0, 0, 10, 10), Box(20, 20, 5, 5)) == 0.0


def test_tracker_keeps_ids_and_smooths_probabilities():
    tracker = FaceTracker(smoothing=0.5)
    first = tracker.update([prediction(0, 1.0), prediction(300, 0.0)], CLASSES)
    assert [f.track for f in first] == [1, 2]
    second = tracker.update([prediction(305, 0.0), prediction(4, 0.0)], CLASSES)  # moved a little, reordered
    assert [f.track for f in second] == [2, 1]
    assert second[1].smoothed["a"] == pytest.approx(0.5)  # half of the past 1.0, half of the new 0.0
    third = tracker.update([prediction(1000, 1.0)], CLASSES)
    assert third[0].track == 3


def test_the_stream_loop_runs_on_frames_from_a_list(untrained_checkpoint):
    blank = np.full((120, 160, 3), 90, np.uint8)
    frames = [Frame(i, i / 10, data.astronaut() if i % 2 else blank) for i in range(5)]
    results = list(recognise_stream(Predictor.from_checkpoint(untrained_checkpoint), frames))
    assert [r.frame.index for r in results] == [0, 1, 2, 3, 4]
    assert [len(r.faces) for r in results] == [0, 1, 0, 1, 0]
    assert results[1].faces[0].track == results[3].faces[0].track  # the same face, one track


def test_video_is_tracked_written_and_summarised(untrained_checkpoint, tmp_path):
    source = moving_face_video(tmp_path / "in.mp4")
    predictor = Predictor.from_checkpoint(untrained_checkpoint)
    rows = process_video(
        predictor, source, every=2, out_video=tmp_path / "out.mp4", out_csv=tmp_path / "faces.csv"
    )
    assert [r["frame"] for r in rows] == [0, 2, 4]
    assert {r["track"] for r in rows} == {1}  # one face, one track across frames
    with (tmp_path / "faces.csv").open() as handle:
        table = list(csv.DictReader(handle))
    assert [row["frame"] for row in table] == ["0", "2", "4"]
    assert set(table[0]) >= {"frame", "time", "track", "label", *predictor.class_names}
    assert len(list(read_frames(tmp_path / "out.mp4"))) == 3
    [summary] = summarize_tracks(rows, predictor.class_names)
    assert summary["frames"] == 3 and summary["dominant"] in predictor.class_names


def test_a_video_that_breaks_midway_keeps_the_frames_before(tmp_path):
    source = moving_face_video(tmp_path / "in.avi", frames=20)
    whole = source.read_bytes()
    broken = tmp_path / "broken.avi"
    broken.write_bytes(whole[: len(whole) // 2])
    frames = list(read_frames(broken))
    assert 0 < len(frames) < 20
