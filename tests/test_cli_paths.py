"""Inputs and outputs at the command line's edge: output paths checked before any work, failures
that say so (exit codes), and folders of symbolic links searched once each."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mien.atomic import atomic_path
from mien.data.fer2013 import read_folder
from mien.data.synthetic import write_folder
from mien.errors import MienError
from mien.video import process_video
from mien.video.sinks import VideoSink
from mien.vision.io import image_files_under
from tests.entry_point import run_mien
from tests.fakes import FakePredictor
from tests.media import moving_face_video


def no_work(monkeypatch) -> None:
    """Loading a model (or starting Ray) fails the test: the checks must come first."""

    def refuse(*args, **kwargs):
        raise AssertionError("work started before the output paths were checked")

    monkeypatch.setattr("mien.cli.recognition.load_predictor", refuse)
    monkeypatch.setattr("mien.batch.run_batch", refuse)


def image(path: Path, grey: int = 128) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((32, 32, 3), grey, np.uint8)).save(path)
    return path


def files_in(folder: Path) -> set[Path]:
    return set(folder.rglob("*"))


@pytest.fixture
def places(tmp_path) -> Path:
    """A photo, a video, and folders and files where outputs might be asked for."""
    image(tmp_path / "photos" / "grey.png")
    moving_face_video(tmp_path / "clip.mp4", frames=2)
    (tmp_path / "a_folder").mkdir()
    (tmp_path / "a_file").write_text("x")
    (tmp_path / "taken.csv").mkdir()
    (tmp_path / "taken.parquet").write_text("x")
    return tmp_path


@pytest.mark.parametrize(
    "args, message",
    [
        (["predict", "photos", "--csv", "a_folder"], "--csv a_folder is a folder; give the name of a file"),
        (["predict", "photos", "--annotate", "a_file"], "--annotate a_file is a file; give a folder"),
        (
            ["predict", "photos", "--csv", "a_file/faces.csv"],
            "--csv a_file/faces.csv: a_file is not a folder",
        ),
        (["video", "clip.mp4", "--csv", "f.csv", "--out", "a_folder"], "--out a_folder is a folder"),
        (
            ["video", "clip.mp4", "--csv", "f.csv", "--timeline", "a_folder"],
            "--timeline a_folder is a folder",
        ),
        (["batch", "photos", "--out", "taken.csv"], "--out taken.csv is a folder"),
        (["batch", "photos", "--out", "taken.parquet"], "--out taken.parquet is a file; give a folder"),
        (["batch", "photos", "--out", "a_file/faces.parquet"], "a_file is not a folder"),
    ],
)
def test_a_bad_output_path_is_a_one_line_error_before_any_work(places, monkeypatch, capsys, args, message):
    monkeypatch.chdir(places)
    no_work(monkeypatch)
    before = files_in(places)
    code, out, err = run_mien(monkeypatch, capsys, *args)
    assert code == 1 and out == ""
    [line] = err.splitlines()
    assert line.startswith("error: ") and message in line
    assert files_in(places) == before  # no output, no temporary file


def test_a_stream_with_a_folder_for_its_video_stops_before_the_first_frame(places):
    predictor = FakePredictor()
    before = files_in(places)
    with pytest.raises(MienError, match="a_folder is a folder"):
        process_video(predictor, places / "clip.mp4", out_video=places / "a_folder", out_csv=places / "f.csv")
    assert predictor.calls == 0 and files_in(places) == before  # the CSV's temporary file went too
    with pytest.raises(MienError, match="is a folder"):
        VideoSink(places / "a_folder", fps=10)
    with pytest.raises(MienError, match="a_file is not a folder"), atomic_path(places / "a_file" / "x.json"):
        pass
    assert files_in(places) == before


def test_batch_exits_1_when_an_input_failed(places, monkeypatch, capsys):
    summaries = iter([{"files": 2, "skipped": 0, "faces": 1, "errors": 1}])
    monkeypatch.setattr("mien.batch.run_batch", lambda *args, **kwargs: next(summaries))
    code, out, _ = run_mien(monkeypatch, capsys, "batch", places / "photos", "--out", places / "faces.csv")
    assert code == 1 and "2 file(s) done" in out and "1 error(s)" in out
    summaries = iter([{"files": 2, "skipped": 0, "faces": 1, "errors": 0}])
    code, out, _ = run_mien(monkeypatch, capsys, "batch", places / "photos", "--out", places / "faces.csv")
    assert code == 0 and "0 error(s)" in out
    summaries = iter([{"files": 0, "skipped": 0, "faces": 0, "errors": 0}])  # nothing to do
    code, _, err = run_mien(monkeypatch, capsys, "batch", places / "photos", "--out", places / "faces.csv")
    assert code == 1 and "no image or video files in" in err


def test_an_empty_folder_is_an_error(tmp_path, monkeypatch, capsys):
    (tmp_path / "empty" / "nested").mkdir(parents=True)
    (tmp_path / "empty" / "notes.txt").write_text("not an image")
    image(tmp_path / "full" / "grey.png")
    no_work(monkeypatch)
    for inputs in ([tmp_path / "empty"], [tmp_path / "full", tmp_path / "empty"]):
        code, out, err = run_mien(monkeypatch, capsys, "predict", *inputs)
        assert code == 1 and out == ""
        assert err.startswith(f"error: {tmp_path / 'empty'}: no image files in this folder")
        assert len(err.splitlines()) == 1 and ".png" in err


@pytest.fixture
def linked(tmp_path) -> Path:
    """A data set made of links: two links to one folder, a loop back up, a link to a file that is
    also reached through a folder link, and a broken link."""
    store = tmp_path / "store"
    image(store / "a.png")
    image(store / "deeper" / "b.png", grey=200)
    (store / "deeper" / "up").symlink_to("..", target_is_directory=True)  # a loop
    (store / "deeper" / "self").symlink_to(".", target_is_directory=True)  # another
    root = tmp_path / "linked"
    root.mkdir()
    (root / "happy").symlink_to(store, target_is_directory=True)
    (root / "same").symlink_to(store, target_is_directory=True)
    (root / "c.png").symlink_to(store / "a.png")
    (root / "gone.png").symlink_to(tmp_path / "missing.png")
    image(root / "own.png")
    return root


def test_symbolic_links_are_followed_and_each_file_listed_once(linked):
    found = image_files_under(linked)
    # The folder's own files first (c.png is a.png), then its folders in order: happy, not same.
    assert found == [linked / "c.png", linked / "happy" / "deeper" / "b.png", linked / "own.png"]
    assert len({path.resolve() for path in found}) == len(found) == 3
    deeper = linked / "happy" / "deeper"
    assert image_files_under(deeper) == [deeper / "b.png", deeper / "up" / "a.png"]  # up: the loop, once


def test_predict_answers_each_file_once_through_links(linked, monkeypatch, capsys):
    code, out, err = run_mien(monkeypatch, capsys, "predict", linked, "--json")
    assert code == 0, err
    answered = [json.loads(line)["path"] for line in out.splitlines()]
    assert answered == [str(path) for path in image_files_under(linked)]


def test_a_data_set_of_linked_folders_reads_as_the_original(tmp_path):
    original = write_folder(tmp_path / "fer", {"Training": 14, "PublicTest": 7, "PrivateTest": 7}, seed=1)
    links = tmp_path / "links"
    links.mkdir()
    for part in ("train", "test"):
        (links / part).symlink_to(original / part, target_is_directory=True)
    expected, got = read_folder(original), read_folder(links)
    assert list(got.sources) == list(expected.sources) and len(got.sources) == 28
    assert (got.labels == expected.labels).all() and (got.splits == expected.splits).all()
