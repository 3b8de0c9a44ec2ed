"""mien batch on a local Ray instance: rows per face, errors as rows, resumable output."""

from __future__ import annotations

import csv

import pandas as pd
import pytest
from click.testing import CliRunner
from PIL import Image
from skimage import data

from mien.batch.rows import rows_for_file
from mien.batch.sink import open_sink
from mien.cli import cli
from mien.errors import MienError
from mien.pipeline import Predictor
from mien.rows import columns
from tests.media import moving_face_video


@pytest.fixture
def collection(tmp_path):
    folder = tmp_path / "inputs"
    folder.mkdir()
    Image.fromarray(data.astronaut()).save(folder / "astronaut.jpg")
    Image.new("RGB", (64, 64), "grey").save(folder / "blank.png")
    (folder / "broken.jpg").write_bytes(b"not an image")
    moving_face_video(folder / "clip.mp4", frames=6)
    return folder


def test_rows_name_every_face_and_every_failure(collection, untrained_checkpoint):
    predictor = Predictor.from_checkpoint(untrained_checkpoint)
    [face] = rows_for_file(predictor, str(collection / "astronaut.jpg"))
    assert face["face"] == 0 and face["label"] in predictor.class_names and face["w"] > 50
    assert face["frame"] is None and face["track"] is None  # a photo has no frame; batch does not track
    assert rows_for_file(predictor, str(collection / "blank.png")) == [
        {"path": str(collection / "blank.png"), "face": -1}
    ]
    [failure] = rows_for_file(predictor, str(collection / "broken.jpg"))
    assert failure["face"] == -1 and "not an image" in failure["error"]
    video = rows_for_file(predictor, str(collection / "clip.mp4"), every=2)
    assert [(row["frame"], row["time"]) for row in video] == [(0, 0.0), (2, 0.2), (4, 0.4)]


def test_batch_on_local_ray_writes_parquet_and_a_rerun_skips_what_is_done(collection, tmp_path):
    pytest.importorskip("ray", reason="Ray is not installed (pip install 'mien[batch]')")
    out = tmp_path / "faces.parquet"
    result = CliRunner().invoke(
        cli, ["batch", str(collection), "--out", str(out), "--every", "3", "--actors", "1"]
    )
    assert result.exit_code == 1, result.output  # broken.jpg failed; the rows are written all the same
    assert "4 file(s) done (0 already" in result.output and "1 error(s)" in result.output
    table = pd.read_parquet(out)
    assert list(table.columns) == columns(Predictor.default().class_names)  # the layout of every CSV
    assert sorted(set(table["path"].map(lambda p: p.rsplit("/", 1)[1]))) == [
        "astronaut.jpg", "blank.png", "broken.jpg", "clip.mp4"
    ]  # fmt: skip
    assert table[table["path"].str.endswith("clip.mp4")]["frame"].tolist() == [0, 3]
    assert table["face"].tolist().count(-1) == 2  # the blank and the broken file
    assert table["happy"].notna().sum() == 3  # the astronaut and two video frames
    (collection / "later.jpg").write_bytes((collection / "astronaut.jpg").read_bytes())
    result = CliRunner().invoke(cli, ["batch", str(collection), "--out", str(out), "--actors", "1"])
    assert "1 file(s) done (4 already" in result.output
    assert len(pd.read_parquet(out)) == len(table) + 1


def test_csv_sink_appends_and_knows_what_it_holds(tmp_path):
    sink = open_sink(tmp_path / "faces.csv", ["path", "face", "label"])
    sink.write([{"path": "a.jpg", "face": 0, "label": "happy"}])
    sink.close()
    sink = open_sink(tmp_path / "faces.csv", ["path", "face", "label"])
    sink.write([{"path": "b.jpg", "face": -1}])
    assert sink.done_paths() == {"a.jpg", "b.jpg"}
    sink.close()
    with (tmp_path / "faces.csv").open() as handle:
        assert [row["path"] for row in csv.DictReader(handle)] == ["a.jpg", "b.jpg"]  # one header
    with pytest.raises(MienError, match="must end in .parquet"):
        open_sink(tmp_path / "faces.json", ["path"])


def test_a_rerun_refuses_an_output_with_other_columns(tmp_path):
    sink = open_sink(tmp_path / "faces.csv", ["path", "face", "happy"])
    sink.close()
    with pytest.raises(MienError, match="holds other columns"):
        open_sink(tmp_path / "faces.csv", ["path", "face", "happy", "contempt"])
    sink = open_sink(tmp_path / "faces.parquet", ["path", "face", "happy"])
    sink.write([{"path": "a.jpg", "face": 0, "happy": 0.5}])
    with pytest.raises(MienError, match="holds other columns"):
        open_sink(tmp_path / "faces.parquet", ["path", "face", "sad"])
