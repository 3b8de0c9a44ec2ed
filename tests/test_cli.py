import json
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner

from mien.cli import cli
from mien.data.fer2013 import CLASS_NAMES
from mien.rows import columns


def run(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    return result


def test_data_check_json_holds_split_totals(small_folder):
    result = run("data", "check", small_folder, "--json")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert [report["splits"][s]["total"] for s in ("Training", "PublicTest", "PrivateTest")] == [140, 35, 35]


def test_data_check_prints_a_table(small_csv):
    result = run("data", "check", small_csv)
    assert result.exit_code == 0
    assert "Training" in result.output and "total: 210 faces" in result.output


def test_train_then_evaluate_from_the_command_line(train_csv, tmp_path):
    run_dir = tmp_path / "run"
    result = run(
        "train",
        "--data",
        train_csv,
        "--model",
        "vgg_s",
        "--epochs",
        "2",
        "--out",
        run_dir,
        "--set",
        "train.batch_size=64",
        "--set",
        "train.lr=0.05",
        "--set",
        "data.train_limit=350",
    )
    assert result.exit_code == 0, result.output
    assert "best PublicTest accuracy" in result.output
    out = tmp_path / "eval"
    result = run(
        "evaluate",
        run_dir / "best.pt",
        run_dir / "last.pt",
        "--data",
        train_csv,
        "--split",
        "private",
        "--tta",
        "--out",
        out,
        "--json",
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["split"] == "PrivateTest" and report["tta"] and len(report["checkpoints"]) == 2
    assert sum(map(sum, report["confusion_matrix"])) == report["count"] == 140
    assert json.loads((out / "private_tta.json").read_text())["accuracy"] == report["accuracy"]
    assert (out / "private_tta_confusion.png").read_bytes()[:4] == b"\x89PNG"
    assert (out / "private_tta_reliability.png").read_bytes()[:4] == b"\x89PNG"
    assert 0 <= report["expected_calibration_error"] <= 1 and report["log_loss"] > 0

    result = run("calibrate", run_dir / "best.pt", "--data", train_csv, "--out", tmp_path / "calibrated.pt")
    assert result.exit_code == 0, result.output
    assert "temperature" in result.output and "after" in result.output
    log_loss = {}
    for name in ("best.pt", "calibrated.pt"):
        path = run_dir / name if name == "best.pt" else tmp_path / name
        out = tmp_path / f"eval_{name}"
        result = run("evaluate", path, "--data", train_csv, "--tta", "--out", out, "--json")
        log_loss[name] = json.loads(result.stdout)["log_loss"]
    assert log_loss["calibrated.pt"] < log_loss["best.pt"]  # on the split it was fitted to

    result = run(
        "soup", run_dir / "best.pt", run_dir / "last.pt", "--data", train_csv, "--out", tmp_path / "soup.pt"
    )
    assert result.exit_code == 0 and "the mean of 2 models' weights" in result.output
    result = run(
        "evaluate", tmp_path / "soup.pt", "--data", train_csv, "--out", tmp_path / "eval_soup", "--json"
    )
    report = json.loads(result.stdout)
    assert report["count"] == 140 and len(report["checkpoints"]) == 1


def test_models_lists_the_registry():
    result = run("models", "--networks")
    assert "vgg_s" in result.output and "resnet_s" in result.output


def test_models_lists_the_catalogue():
    from mien.catalogue import DEFAULT_MODEL, shipped_models

    listed = json.loads(run("models", "--json").stdout)
    assert [entry["name"] for entry in listed] == [model.name for model in shipped_models()]
    default = next(entry for entry in listed if entry["default"])
    assert default["name"] == DEFAULT_MODEL and default["figures"]["RAF-DB test"] == 77.61
    fer2013 = next(entry for entry in listed if entry["name"] == "fer2013")
    assert fer2013["figures"]["PrivateTest TTA"] == 72.92 and not fer2013["default"]
    assert "rebuild: mien train --preset fer2013_vgg_s " in run("models", "--retired").output


def test_errors_are_one_line_without_traceback(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "mien", "data", "check", str(tmp_path / "missing")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"error: data not found: {tmp_path / 'missing'} (give the FER2013 folder or fer2013.csv)"
    ]
    result = subprocess.run(
        [sys.executable, "-m", "mien", "train", "--data", str(tmp_path), "--set", "train.nope=1"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("error: unknown setting 'train.nope'")


def test_predict_aligned_writes_json_lines_and_fails_when_an_input_fails(tmp_path, untrained_checkpoint):
    import cv2
    import numpy as np

    from mien.data.synthetic import draw_face

    faces = tmp_path / "faces"
    faces.mkdir()
    cv2.imwrite(str(faces / "face.png"), draw_face(3, np.random.default_rng(0)))
    (faces / "zzz.jpg").write_bytes(b"")
    result = run("predict", "--aligned", "--json", "--checkpoint", untrained_checkpoint, faces)
    assert result.exit_code == 1
    good, bad = (json.loads(line) for line in result.stdout.splitlines())
    assert good["path"].endswith("face.png") and good["error"] is None
    [face] = good["faces"]
    assert face["box"] == [0, 0, 48, 48] and face["label"] in face["scores"]
    assert bad == {
        "path": str(faces / "zzz.jpg"),
        "faces": [],
        "error": f"{faces / 'zzz.jpg'}: empty file",
    }
    assert f"error: {faces / 'zzz.jpg'}: empty file" in result.stderr


def test_predict_finds_faces_writes_csv_and_annotations(tmp_path, untrained_checkpoint):
    import csv

    import cv2
    from skimage import data

    photos = tmp_path / "photos"
    photos.mkdir()
    cv2.imwrite(str(photos / "astronaut.jpg"), cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR))
    cv2.imwrite(str(photos / "wall.png"), np.full((100, 100, 3), 128, np.uint8))
    args = ["predict", photos, "--checkpoint", untrained_checkpoint, "--csv", tmp_path / "faces.csv"]
    result = run(*args, "--annotate", tmp_path / "annotated", "--json")
    assert result.exit_code == 0, result.output
    astronaut, wall = (json.loads(line) for line in result.stdout.splitlines())
    [face] = astronaut["faces"]
    assert set(face) == {"box", "score", "landmarks", "label", "compound", "scores"}
    assert 170 < face["box"][0] < 190 and face["landmarks"]["right_eye"][0] < face["landmarks"]["left_eye"][0]
    assert wall == {"path": str(photos / "wall.png"), "faces": [], "error": None}  # no face is not an error
    with (tmp_path / "faces.csv").open() as handle:
        reader = csv.DictReader(handle)
        [row] = list(reader)
    assert reader.fieldnames == columns(CLASS_NAMES)  # the layout video's CSV and batch share
    assert row["label"] == face["label"] and row["path"].endswith("astronaut.jpg")
    assert [float(row[k]) for k in "xywh"] == face["box"] and float(row["score"]) == face["score"]
    assert {name: float(row[name]) for name in CLASS_NAMES} == face["scores"]
    assert (row["face"], row["frame"], row["track"], row["error"]) == ("0", "", "", "")
    annotated = cv2.imread(str(tmp_path / "annotated" / "astronaut_annotated.png"))
    assert annotated.shape == (512, 512, 3)
    assert (tmp_path / "annotated" / "wall_annotated.png").exists()
    table = run("predict", photos, "--checkpoint", untrained_checkpoint).stdout
    assert "astronaut.jpg: 1 face" in table and "wall.png: no faces" in table


def test_video_command_writes_every_output(tmp_path, untrained_checkpoint):
    import csv

    from tests.test_video import moving_face_video

    source = moving_face_video(tmp_path / "in.mp4", frames=4)
    outputs = ["--out", tmp_path / "out.mp4", "--csv", tmp_path / "f.csv", "--timeline", tmp_path / "t.png"]
    result = run("video", source, "--checkpoint", untrained_checkpoint, *outputs, "--json")
    assert result.exit_code == 0, result.output
    [track] = json.loads(result.stdout)
    assert track["frames"] == 4
    assert (tmp_path / "t.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "out.mp4").stat().st_size > 0
    with (tmp_path / "f.csv").open() as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
    assert reader.fieldnames == columns(CLASS_NAMES)  # the layout predict's CSV and batch share
    assert [row["frame"] for row in rows] == ["0", "1", "2", "3"] and {row["track"] for row in rows} == {"1"}


def test_webcam_without_a_screen_is_a_one_line_error(tmp_path, untrained_checkpoint, monkeypatch):
    from tests.test_video import moving_face_video

    monkeypatch.delenv("DISPLAY", raising=False)
    source = moving_face_video(tmp_path / "in.mp4", frames=2)
    result = CliRunner().invoke(
        cli, ["webcam", "--source", str(source), "--checkpoint", str(untrained_checkpoint)]
    )
    assert result.exit_code != 0
    assert "cannot open a window" in str(result.exception)


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["video", "clip.mp4", "--detect-every", "0"],
            "Invalid value for '--detect-every': 0 is not in the range x>=1. (see mien video --help)",
        ),
        (["video", "clip.mp4", "--detect-every", "-2"], "Invalid value for '--detect-every': -2 is not"),
        (["webcam", "--detect-every", "0"], "(see mien webcam --help)"),
        (["video", "clip.mp4", "--every", "0"], "Invalid value for '--every': 0 is not in the range x>=1."),
        (["predict"], "Missing argument 'INPUTS...'"),
        (["video", "clip.mp4", "--detect-side", "0"], "Invalid value for '--detect-side': 0 is not"),
        (
            ["video", "clip.mp4", "--detect-side", "320", "--detector", "retinaface"],
            "--detect-side sets YuNet's detection size",
        ),
    ],
)
def test_bad_speed_settings_are_one_line_errors_before_any_work(monkeypatch, capsys, tmp_path, args, message):
    from tests.entry_point import run_mien
    from tests.media import moving_face_video
    from tests.test_cli_paths import no_work

    monkeypatch.chdir(tmp_path)
    moving_face_video(tmp_path / "clip.mp4", frames=2)
    no_work(monkeypatch)
    code, out, err = run_mien(monkeypatch, capsys, *args)
    assert code in (1, 2) and out == ""  # 2: click's code for a bad option, 1: mien's for the rest
    [line] = err.splitlines()
    assert line.startswith("error: ") and message in line


def test_video_speed_settings_reach_the_stream(monkeypatch, tmp_path):
    from tests.fakes import FakePredictor
    from tests.media import moving_face_video

    predictor = FakePredictor()
    monkeypatch.setattr("mien.cli.recognition.load_predictor", lambda **options: predictor)
    source = moving_face_video(tmp_path / "in.mp4", frames=5)
    result = run("video", source, "--detect-every", "2", "--detect-side", "320", "--json")
    assert result.exit_code == 0, result.output
    [track] = json.loads(result.stdout)
    assert track["frames"] == 5 and predictor.calls == 3  # detection on frames 0, 2 and 4
    assert predictor.detector.settings.max_side == 320
