"""Odd files (tests/fuzz_corpus.py) through every command and endpoint: no traceback, no 5xx, every
good file answered in the same call as the bad ones, one-line errors, and exit code 1 when any failed."""

from __future__ import annotations

import json
import traceback

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from mien.batch.rows import rows_for_file
from mien.cli import cli
from mien.errors import MienError
from mien.pipeline import Predictor
from mien.vision.io import read_image
from mien.web import WebSettings, create_app
from tests.fuzz_corpus import Corpus, write_corpus


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Corpus:
    root = tmp_path_factory.mktemp("fuzz")
    return write_corpus(root / "corpus", root / "outside")


def invoke(*args) -> object:
    """Run a command as `mien` does: main() turns a MienError into one line and exit code 1; any
    other exception would be a traceback."""
    result = CliRunner().invoke(cli, [str(a) for a in args])
    error = result.exception
    if error is not None and not isinstance(error, (SystemExit, MienError)):
        pytest.fail("".join(traceback.format_exception(error)))
    assert "Traceback" not in result.stderr
    return result


def one_line(message: str | None) -> bool:
    return bool(message) and "\n" not in message.strip()


def test_the_corpus_has_thirty_odd_files_good_and_bad(corpus):
    assert len(corpus.images) + len(corpus.videos) >= 30
    assert corpus.paths("images", good=False) and corpus.paths("videos", good=False)
    assert all(path.exists() for path in corpus.paths("images") + corpus.paths("videos"))


def test_good_images_read_upright_as_rgb(corpus):
    for path in corpus.paths("images", good=True):
        image = read_image(path)
        assert image.ndim == 3 and image.shape[2] == 3 and image.dtype == "uint8", path
    for name in ("exif6.jpg", "exif8.jpg", "face.png"):
        assert read_image(corpus.folder / name).shape == (320, 240, 3)  # the EXIF turn undone


@pytest.mark.parametrize("aligned", [False, True], ids=["detected", "aligned"])
def test_predict_answers_every_image_in_one_call(corpus, untrained_checkpoint, aligned):
    flags = ["--aligned"] if aligned else []
    result = invoke("predict", corpus.folder, "--json", *flags, "--checkpoint", untrained_checkpoint)
    assert result.exit_code == 1  # some inputs failed
    lines = {json.loads(line)["path"]: json.loads(line) for line in result.stdout.splitlines()}
    assert sorted(lines) == sorted(map(str, corpus.paths("images")))
    for path in corpus.paths("images"):
        line = lines[str(path)]
        if corpus.images[path.name]:
            assert line["error"] is None, line
        else:
            assert line["faces"] == [] and one_line(line["error"]), line
            assert f"error: {line['error']}" in result.stderr
    assert len(lines[str(corpus.folder / "face.png")]["faces"]) == 1


def test_explain_writes_maps_for_good_images_and_one_line_errors_for_bad(
    corpus, untrained_checkpoint, tmp_path
):
    args = ["--method", "saliency", "--out", tmp_path / "maps", "--checkpoint", untrained_checkpoint]
    result = invoke("explain", corpus.folder, *args)
    assert result.exit_code == 1
    answered = {line.split(": ")[0] for line in result.stdout.splitlines()}
    assert answered == {str(path) for path in corpus.paths("images", good=True)}
    errors = result.stderr.strip().splitlines()
    assert len(errors) == len(corpus.paths("images", good=False))
    assert (tmp_path / "maps" / "face_face0_saliency.png").exists()


def test_video_reads_good_videos_and_refuses_bad_ones_in_one_line(corpus, untrained_checkpoint):
    for path in corpus.paths("videos"):
        result = invoke("video", path, "--json", "--checkpoint", untrained_checkpoint)
        if corpus.videos[path.name]:
            assert result.exit_code == 0, (path, result.output)
            assert [track["frames"] for track in json.loads(result.stdout)] == [4], path
        else:
            assert result.exit_code == 1 and one_line(str(result.exception)), (path, result.exception)
    result = invoke("video", corpus.folder / "text.jpg", "--checkpoint", untrained_checkpoint)
    assert result.exit_code == 1


def test_batch_rows_name_every_file_and_every_failure(corpus, untrained_checkpoint):
    predictor = Predictor.from_checkpoint(untrained_checkpoint)
    for kind in ("images", "videos"):
        for path in corpus.paths(kind):
            rows = rows_for_file(predictor, str(path), every=2)
            assert rows and all(row["path"] == str(path) for row in rows), path
            failed = [row for row in rows if row.get("error")]
            assert bool(failed) != getattr(corpus, kind)[path.name], (path, rows)
            assert all(one_line(row["error"]) for row in failed)


def test_batch_on_ray_answers_the_good_and_fails_with_exit_code_one(corpus, untrained_checkpoint, tmp_path):
    pytest.importorskip("ray", reason="Ray is not installed (pip install 'mien[batch]')")
    import pandas as pd

    chosen = ["face.png", "random.png", "bomb_100000x100000.png", "clip.mp4", "truncated.mp4"]
    folder = tmp_path / "some"
    folder.mkdir()
    for name in chosen:
        (folder / name).symlink_to(corpus.folder / name)
    out = tmp_path / "faces.csv"
    result = invoke("batch", folder, "--out", out, "--actors", "1", "--every", "2",
                    "--checkpoint", untrained_checkpoint)  # fmt: skip
    assert result.exit_code == 1, result.output
    assert "5 file(s) done" in result.output and "3 error(s)" in result.output
    table = pd.read_csv(out)
    assert sorted({path.rsplit("/", 1)[1] for path in table["path"]}) == sorted(chosen)


@pytest.fixture
def client(untrained_checkpoint, tmp_path) -> TestClient:
    settings = WebSettings(work_dir=tmp_path / "web", max_video_seconds=5)
    return TestClient(create_app(Predictor.from_checkpoint(untrained_checkpoint), settings))


def test_every_endpoint_answers_every_file_without_a_server_error(corpus, client):
    for path in corpus.paths("images") + corpus.paths("videos"):
        good_image = corpus.images.get(path.name, False)
        files = {"file": (path.name, path.read_bytes())}
        predicted = client.post("/api/predict", files=files)
        assert predicted.status_code == (200 if good_image else 422), (path, predicted.text)
        explained = client.post("/api/explain", files=files, data={"method": "saliency"})
        assert explained.status_code < 500, (path, explained.text)
        if path.name == "face.png":
            assert explained.status_code == 200
        video = client.post("/api/video", files=files)
        assert video.status_code < 500, (path, video.text)
        if path.name in corpus.videos:
            assert video.status_code == (200 if corpus.videos[path.name] else 422), (path, video.text)
        for response in (predicted, explained, video):
            if response.status_code != 200:
                assert one_line(response.json()["detail"]), (path, response.text)
