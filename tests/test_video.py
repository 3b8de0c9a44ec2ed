"""The stream loop on synthetic frames and videos, and its sinks: the shared CSV and the annotated video."""

import csv

import numpy as np
import pytest
from skimage import data

from mien.errors import MienError
from mien.pipeline import Predictor
from mien.rows import columns
from mien.video import Frame, process_video, read_frames, recognise_stream, summarize_tracks
from mien.video.sinks import CsvSink, VideoSink
from mien.video.tracking import FaceTracker
from tests.fakes import EIGHT_CLASSES, FakePredictor
from tests.media import moving_face_frames, moving_face_video


def read_csv(path):
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        return reader.fieldnames, list(reader)


def test_the_stream_loop_runs_on_frames_from_a_list(untrained_checkpoint):
    blank = np.full((120, 160, 3), 90, np.uint8)
    frames = [Frame(i, i / 10, data.astronaut() if i % 2 else blank) for i in range(5)]
    results = list(recognise_stream(Predictor.from_checkpoint(untrained_checkpoint), frames))
    assert [r.frame.index for r in results] == [0, 1, 2, 3, 4]
    assert [len(r.faces) for r in results] == [0, 1, 0, 1, 0]
    assert results[1].faces[0].track == results[3].faces[0].track  # the same face, one track


class CountingDetector:
    """A detector that counts its calls."""

    def __init__(self, detector):
        self.detector, self.calls = detector, 0

    def detect(self, image):
        self.calls += 1
        return self.detector.detect(image)


@pytest.fixture
def counted(untrained_checkpoint) -> Predictor:
    predictor = Predictor.from_checkpoint(untrained_checkpoint)
    predictor.detector = CountingDetector(predictor.detector)
    return predictor


def as_frames(images) -> list[Frame]:
    return [Frame(i, i / 10, image) for i, image in enumerate(images)]


def test_detecting_every_other_frame_carries_the_faces_between(counted):
    frames = as_frames(moving_face_frames(5))  # the face moves 20 px a frame
    results = list(recognise_stream(counted, frames, detect_every=2))
    assert [r.frame.index for r in results] == list(range(5))  # a result for every frame
    assert counted.detector.calls == 3  # frames 0, 2 and 4
    boxes = [[face.prediction.box for face in r.faces] for r in results]
    assert all(len(b) == 1 for b in boxes)
    assert boxes[0] == boxes[1] != boxes[2] == boxes[3] != boxes[4]
    assert {face.track for r in results for face in r.faces} == {1}  # one face, one track


def test_carried_faces_are_classified_on_the_current_frame(counted):
    first = moving_face_frames(1)[0]
    second = 255 - first  # the same place, other pixels: the expression read must come from here
    results = list(recognise_stream(counted, as_frames([first, second]), detect_every=2))
    faces = counted.detector.detector.detect(first)
    [carried] = results[1].faces
    assert carried.prediction == counted.predict_faces(second, faces)[0]
    assert carried.prediction.scores != counted.predict_faces(first, faces)[0].scores


def test_detecting_every_frame_is_predict_and_track_per_frame(counted):
    frames = as_frames(moving_face_frames(4))
    tracker = FaceTracker()
    expected = [tracker.update(counted.predict(f.image), counted.class_names) for f in frames]
    counted.detector.calls = 0
    assert [r.faces for r in recognise_stream(counted, frames, detect_every=1)] == expected
    assert counted.detector.calls == 4


@pytest.mark.parametrize("detect_every", [0, -1])
def test_detect_every_below_one_is_an_error(detect_every):
    with pytest.raises(MienError, match="1 or more"):
        next(recognise_stream(FakePredictor(), [], detect_every=detect_every))


def test_a_video_detecting_every_other_frame_has_a_row_for_every_frame(tmp_path):
    predictor = FakePredictor()
    rows = process_video(predictor, moving_face_video(tmp_path / "in.mp4", frames=5), detect_every=2)
    assert [r["frame"] for r in rows] == [0, 1, 2, 3, 4]
    assert predictor.calls == 3  # detection on frames 0, 2 and 4


def test_video_is_tracked_written_and_summarised(untrained_checkpoint, tmp_path):
    source = moving_face_video(tmp_path / "in.mp4")
    predictor = Predictor.from_checkpoint(untrained_checkpoint)
    rows = process_video(
        predictor, source, every=2, out_video=tmp_path / "out.mp4", out_csv=tmp_path / "faces.csv"
    )
    assert [r["frame"] for r in rows] == [0, 2, 4]
    assert {r["track"] for r in rows} == {1}  # one face, one track across frames
    header, table = read_csv(tmp_path / "faces.csv")
    assert header == columns(predictor.class_names)
    assert [row["frame"] for row in table] == ["0", "2", "4"]
    assert [row["label"] for row in table] == [r["label"] for r in rows]  # the smoothed label
    assert {row["track"] for row in table} == {"1"} and {row["path"] for row in table} == {""}
    assert len(list(read_frames(tmp_path / "out.mp4"))) == 3
    [summary] = summarize_tracks(rows, predictor.class_names)
    assert summary["frames"] == 3 and summary["dominant"] in predictor.class_names
    assert sorted(p.name for p in tmp_path.iterdir()) == ["faces.csv", "in.mp4", "out.mp4", "untrained.pt"]


def test_the_video_csv_follows_the_model_classes_and_smooths_them(tmp_path):
    predictor = FakePredictor()
    source = moving_face_video(tmp_path / "in.mp4", frames=3)
    process_video(predictor, source, out_csv=tmp_path / "faces.csv")
    header, table = read_csv(tmp_path / "faces.csv")
    assert header[-9:] == [*EIGHT_CLASSES, "error"]
    assert [row["time"] for row in table] == ["0.0", "0.1", "0.2"]
    first = table[0]
    assert (first["track"], first["face"], first["x"], first["y"], first["score"]) == (
        "1",
        "0",
        "10.0",
        "20.1",
        "0.8765",
    )
    assert (first["label"], first["compound"], first["neutral"]) == ("neutral", "neutral+happy", "0.3")
    assert first["error"] == ""


class FailingSink:
    def __init__(self, after: int):
        self.after, self.seen, self.closed = after, 0, None

    def __call__(self, result) -> None:
        self.seen += 1
        if self.seen > self.after:
            raise MienError("the disk is full")

    def close(self, failed: bool = False) -> None:
        self.closed = "failed" if failed else "kept"


def test_a_stream_that_fails_midway_leaves_no_output_and_no_temporary_file(tmp_path):
    source = moving_face_video(tmp_path / "in.mp4", frames=4)
    out = tmp_path / "out"
    failing = FailingSink(after=2)
    with pytest.raises(MienError, match="the disk is full"):
        process_video(
            FakePredictor(), source, out_video=out / "a.mp4", out_csv=out / "f.csv", sinks=[failing]
        )
    assert failing.closed == "failed"
    assert list(out.iterdir()) == []  # no partial outputs and no temporary files
    (out / "f.csv").write_text("the old version\n")  # an output already there stays as it was
    with pytest.raises(MienError):
        process_video(FakePredictor(), source, out_csv=out / "f.csv", sinks=[FailingSink(after=1)])
    assert [p.name for p in out.iterdir()] == ["f.csv"] and (out / "f.csv").read_text() == "the old version\n"


def test_file_sinks_write_under_a_temporary_name_until_closed(tmp_path):
    [result] = recognise_stream(FakePredictor(), [Frame(0, 0.0, np.zeros((60, 80, 3), np.uint8))])
    csv_sink, video_sink = CsvSink(tmp_path / "f.csv", EIGHT_CLASSES), VideoSink(tmp_path / "v.mp4", 10)
    for sink in (csv_sink, video_sink):
        sink(result)
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == []
    csv_sink.close(), video_sink.close(failed=True)
    csv_sink.close()  # closing twice changes nothing
    assert [p.name for p in tmp_path.iterdir()] == ["f.csv"]
    assert len(read_csv(tmp_path / "f.csv")[1]) == 1


def test_a_video_that_breaks_midway_keeps_the_frames_before(tmp_path):
    source = moving_face_video(tmp_path / "in.avi", frames=20)
    whole = source.read_bytes()
    broken = tmp_path / "broken.avi"
    broken.write_bytes(whole[: len(whole) // 2])
    frames = list(read_frames(broken))
    assert 0 < len(frames) < 20


@pytest.fixture(scope="module")
def shipped() -> Predictor:
    return Predictor.default(backend="onnx")  # ONNX Runtime sessions: frames side by side on one thread each


@pytest.mark.parametrize("detect_every", [1, 3])
def test_frames_recognised_ahead_are_the_frames_recognised_one_at_a_time(shipped, tmp_path, detect_every):
    source = moving_face_video(tmp_path / "in.mp4", frames=8)

    def stream(workers):
        frames = read_frames(source)
        return list(recognise_stream(shipped, frames, detect_every=detect_every, workers=workers))

    one_at_a_time = stream(0)
    for workers in (1, 2, None):
        ahead = stream(workers)
        assert [r.frame.index for r in ahead] == list(range(8))
        assert [r.faces for r in ahead] == [r.faces for r in one_at_a_time]  # boxes and scores bit for bit
        assert all(len(r.faces) == 1 for r in ahead)


def test_side_by_side_frames_run_on_the_predictors_one_thread_twin(shipped, monkeypatch):
    calls = []
    twin = shipped.one_thread_each()
    monkeypatch.setattr(twin, "predict", lambda image, landmarks=False: calls.append(image) or [])
    list(recognise_stream(shipped, as_frames(moving_face_frames(3)), workers=2))
    assert len(calls) == 3


def test_a_predictor_without_a_twin_runs_on_one_worker_as_it_is(counted):
    frames = as_frames(moving_face_frames(4))
    tracker = FaceTracker()
    expected = [tracker.update(counted.predict(f.image), counted.class_names) for f in frames]
    counted.detector.calls = 0
    assert counted.one_thread_each() is None  # a wrapped detector has no threads of its own
    assert [r.faces for r in recognise_stream(counted, frames, workers=2)] == expected
    assert counted.detector.calls == 4


def test_a_stream_from_a_broken_video_keeps_the_frames_before(tmp_path):
    source = moving_face_video(tmp_path / "in.avi", frames=20)
    whole = source.read_bytes()
    broken = tmp_path / "broken.avi"
    broken.write_bytes(whole[: len(whole) // 2])
    rows = process_video(FakePredictor(), broken, out_csv=tmp_path / "faces.csv")
    assert 0 < len(rows) < 20 and [r["frame"] for r in rows] == list(range(len(rows)))
    assert len(read_csv(tmp_path / "faces.csv")[1]) == len(rows)


def test_a_frame_over_the_size_limit_fails_after_the_frames_before_it(tmp_path):
    source = moving_face_video(tmp_path / "in.mp4", frames=4)
    predictor, seen = FakePredictor(), []

    def frames():
        yield from read_frames(source, max_pixels=640 * 480)
        yield from read_frames(moving_face_video(tmp_path / "big.mp4", 1, (800, 600)), max_pixels=640 * 480)

    with pytest.raises(MienError, match="over the limit"):
        for result in recognise_stream(predictor, frames(), workers=2):
            seen.append(result.frame.index)
    assert seen == [0, 1, 2, 3]


def test_landmarks_read_side_by_side_are_the_landmarks_read_one_frame_at_a_time(shipped):
    frames = as_frames(moving_face_frames(3))
    one_at_a_time = list(recognise_stream(shipped, frames, landmarks=True, workers=0))
    ahead = list(recognise_stream(shipped, frames, landmarks=True, workers=2))
    assert [r.faces for r in ahead] == [r.faces for r in one_at_a_time]  # pose and measures too
    assert all(r.faces[0].prediction.geometry.pose is not None for r in ahead)
