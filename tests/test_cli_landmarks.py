"""--landmarks through the commands: points, pose and measures in JSON, CSV columns, the mesh drawn
on annotations, per-frame pose and measures in video's CSV and timeline, and batch's rows."""

from __future__ import annotations

import csv
import json

import cv2
import numpy as np
from click.testing import CliRunner
from skimage import data

from mien.batch.rows import rows_for_file
from mien.cli import cli
from mien.data.fer2013 import CLASS_NAMES
from mien.geometry.measures import MEASURES
from mien.pipeline import Predictor
from mien.rows import GEOMETRY_COLUMNS, columns
from tests.media import moving_face_video


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def _photo(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    cv2.imwrite(str(folder / "astronaut.jpg"), cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR))
    return folder


def test_predict_landmarks_gives_points_pose_and_measures_in_json_csv_and_annotations(
    tmp_path, untrained_checkpoint
):
    photos = _photo(tmp_path)
    plain = run(
        "predict", photos, "--checkpoint", untrained_checkpoint, "--json", "--annotate", tmp_path / "plain"
    )
    assert "geometry" not in json.loads(plain.stdout)["faces"][0]  # off by default
    outputs = ["--csv", tmp_path / "faces.csv", "--annotate", tmp_path / "meshed", "--json"]
    result = run("predict", photos, "--checkpoint", untrained_checkpoint, "--landmarks", *outputs)
    assert result.exit_code == 0, result.output
    [face] = json.loads(result.stdout)["faces"]
    shape = face["geometry"]
    assert len(shape["points"]) == 468 and shape["refused"] is None and shape["mesh_score"] > 0.9
    assert set(shape["pose"]) == {"yaw", "pitch", "roll"} and list(shape["measures"]) == list(MEASURES)
    x, y, w, h = face["box"]
    points = np.array(shape["points"])
    assert (points[:, 0] > x - w / 4).all() and (points[:, 0] < x + 1.25 * w).all()
    with (tmp_path / "faces.csv").open() as handle:
        reader = csv.DictReader(handle)
        [row] = list(reader)
    assert reader.fieldnames == columns(CLASS_NAMES, landmarks=True)
    assert float(row["yaw"]) == shape["pose"]["yaw"]
    assert float(row["mouth_opening"]) == shape["measures"]["mouth_opening"]
    assert row["pose_warning"] == "" and row["mesh_refused"] == ""
    drawn = cv2.imread(str(tmp_path / "meshed" / "astronaut_annotated.png")).astype(int)
    bare = cv2.imread(str(tmp_path / "plain" / "astronaut_annotated.png")).astype(int)
    on_face = np.abs(drawn - bare)[int(y) : int(y + h), int(x) : int(x + w)].max(axis=-1) > 30
    assert on_face.mean() > 0.05  # the mesh is drawn over the face


def test_video_landmarks_writes_pose_and_measures_per_frame(tmp_path, untrained_checkpoint):
    source = moving_face_video(tmp_path / "in.mp4", frames=4)
    outputs = ["--csv", tmp_path / "f.csv", "--timeline", tmp_path / "t.png"]
    result = run("video", source, "--checkpoint", untrained_checkpoint, "--landmarks", *outputs)
    assert result.exit_code == 0, result.output
    with (tmp_path / "f.csv").open() as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
    assert reader.fieldnames == columns(CLASS_NAMES, landmarks=True)
    assert [row["frame"] for row in rows] == ["0", "1", "2", "3"]
    for row in rows:
        assert float(row["mesh_score"]) > 0.9 and abs(float(row["yaw"])) < 20
        assert 0 < float(row["mouth_width"]) < 1
    bare = run("video", source, "--checkpoint", untrained_checkpoint, "--timeline", tmp_path / "bare.png")
    assert bare.exit_code == 0, bare.output
    with_measures, without = cv2.imread(str(tmp_path / "t.png")), cv2.imread(str(tmp_path / "bare.png"))
    assert with_measures.shape[0] > without.shape[0]  # the measures' panel below the expressions


def test_batch_rows_carry_the_geometry_columns(tmp_path, untrained_checkpoint):
    photos = _photo(tmp_path)
    predictor = Predictor.from_checkpoint(untrained_checkpoint)
    [row] = rows_for_file(predictor, str(photos / "astronaut.jpg"), landmarks=True)
    assert set(GEOMETRY_COLUMNS) <= set(row) and row["mesh_score"] > 0.9 and row["mesh_refused"] is None
    [plain] = rows_for_file(predictor, str(photos / "astronaut.jpg"))
    assert not set(GEOMETRY_COLUMNS) & set(plain)
