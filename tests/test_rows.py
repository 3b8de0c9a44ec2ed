"""One per-face row layout for predict's CSV, video's CSV and batch's CSV or Parquet."""

import csv

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from PIL import Image

from mien.batch.rows import rows_for_file
from mien.batch.sink import open_sink
from mien.outputs import write_results_csv
from mien.rows import columns, face_row, failed_row, no_face_row
from mien.types import ImageResult
from mien.video import process_video
from tests.fakes import EIGHT_CLASSES, FakePredictor
from tests.media import moving_face_video

PLACE_AND_FACE = ["path", "frame", "time", "track", "face", "x", "y", "w", "h", "score", "label", "compound"]


def header(path):
    with path.open(newline="") as handle:
        return next(csv.reader(handle))


def test_the_layout_follows_the_model_classes_in_their_order():
    assert columns(EIGHT_CLASSES) == [*PLACE_AND_FACE, *EIGHT_CLASSES, "error"]
    assert columns(["b", "a"])[-3:] == ["b", "a", "error"]


def test_a_face_row_rounds_and_leaves_what_does_not_apply_empty():
    [prediction] = FakePredictor().predict(None)
    row = face_row("a.jpg", 0, prediction)
    assert set(row) == set(columns(EIGHT_CLASSES))
    assert (row["frame"], row["time"], row["track"], row["error"]) == (None, None, None, None)
    assert [row[k] for k in "xywh"] == [10.0, 20.1, 30.0, 40.0] and row["score"] == 0.8765
    assert (row["label"], row["compound"], row["contempt"]) == ("neutral", "neutral+happy", 0.075)
    in_video = face_row("v.mp4", 1, prediction, frame=12, time=0.48001)
    assert (in_video["frame"], in_video["time"], in_video["face"]) == (12, 0.48, 1)
    assert no_face_row("b.png") == {"path": "b.png", "face": -1}
    assert failed_row("c.jpg", "c.jpg: not an image\ndetails") == {
        "path": "c.jpg",
        "face": -1,
        "error": "c.jpg: not an image",
    }


def test_predict_video_and_batch_write_the_same_header(tmp_path):
    predictor = FakePredictor()
    photo = tmp_path / "photo.png"
    Image.fromarray(np.zeros((60, 80, 3), np.uint8)).save(photo)
    clip = moving_face_video(tmp_path / "clip.mp4", frames=2)

    write_results_csv(
        tmp_path / "predict.csv", [ImageResult(str(photo), predictor.predict(photo))], EIGHT_CLASSES
    )
    process_video(predictor, clip, out_csv=tmp_path / "video.csv")
    rows = [
        row for path in (photo, clip, tmp_path / "missing.jpg") for row in rows_for_file(predictor, str(path))
    ]
    for out in ("batch.csv", "batch.parquet"):
        sink = open_sink(tmp_path / out, columns(predictor.class_names))  # as run_batch opens it
        sink.write(rows)
        sink.close()

    expected = columns(EIGHT_CLASSES)
    assert header(tmp_path / "predict.csv") == header(tmp_path / "video.csv") == expected
    assert header(tmp_path / "batch.csv") == expected
    [part] = (tmp_path / "batch.parquet").glob("part-*.parquet")
    schema = pq.read_schema(part)
    assert schema.names == expected
    names = ("path", "frame", "time", "track", "face", "label", "contempt")
    assert [schema.field(n).type for n in names] == [
        pa.string(), pa.int64(), pa.float64(), pa.int64(), pa.int64(), pa.string(), pa.float64()
    ]  # fmt: skip
    table = pq.read_table(part).to_pylist()
    assert [(r["frame"], r["face"], r["error"] is None) for r in table] == [
        (None, 0, True),
        (0, 0, True),
        (1, 0, True),
        (None, -1, False),
    ]


def test_predict_csv_rows_for_faces_and_failures(tmp_path):
    predictor = FakePredictor()
    results = [
        ImageResult("a.jpg", predictor.predict(None) * 2),
        ImageResult("b.jpg", error="b.jpg: empty file"),
    ]
    write_results_csv(tmp_path / "faces.csv", results, predictor.class_names)
    with (tmp_path / "faces.csv").open(newline="") as handle:
        table = list(csv.DictReader(handle))
    assert [(r["path"], r["face"], r["track"], r["frame"], r["error"]) for r in table] == [
        ("a.jpg", "0", "", "", ""), ("a.jpg", "1", "", "", ""), ("b.jpg", "-1", "", "", "b.jpg: empty file")
    ]  # fmt: skip
    assert table[0]["neutral"] == "0.3" and table[2]["label"] == ""
