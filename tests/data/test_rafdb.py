import numpy as np
import pytest

from mien.config import DataConfig
from mien.data.cache import load_fer2013
from mien.data.fer2013 import CLASS_NAMES, SPLITS
from mien.data.framing import reframe
from mien.data.rafdb import CODE_TO_NAME, is_rafdb, read_rafdb
from mien.data.splits import training_splits
from mien.errors import MienError
from tests.rafdb_data import FACES, face_image, write_rafdb_folders, write_rafdb_official


def _by_stem(faces):
    return {source.split("/")[-1].split(" ")[-1].split("_aligned")[0].split(".")[0]: index
            for index, source in enumerate(faces.sources)}  # fmt: skip


@pytest.mark.parametrize("write", [write_rafdb_folders, write_rafdb_official])
def test_both_layouts_give_the_same_faces_labels_and_splits(write, tmp_path):
    root = write(tmp_path / "rafdb")
    assert is_rafdb(root)
    faces = read_rafdb(root)
    assert len(faces) == len(FACES) and faces.images.shape[1:] == (48, 48) and faces.images.dtype == np.uint8
    assert faces.class_names == CLASS_NAMES and faces.skipped == ()
    index = _by_stem(faces)
    for stem, code in FACES:
        face = index[stem]
        assert CLASS_NAMES[faces.labels[face]] == CODE_TO_NAME[code]
        assert SPLITS[faces.splits[face]] == ("Training" if stem.startswith("train") else "PrivateTest")
        expected = reframe(face_image(stem, code)[:, :, ::-1], "native")  # the file is BGR
        assert np.abs(faces.images[face].astype(int) - expected).mean() < 4  # JPEG's loss only


def test_the_official_layout_is_found_from_above_basic_and_from_basic(tmp_path):
    root = write_rafdb_official(tmp_path / "rafdb")
    assert len(read_rafdb(root / "basic")) == len(read_rafdb(root)) == len(FACES)
    assert not is_rafdb(tmp_path / "nothing-here") and not is_rafdb(root / "basic" / "Image")


def test_bad_lines_and_files_are_skipped_and_recorded(tmp_path):
    root = write_rafdb_official(
        tmp_path / "rafdb", extra_lines=("train_09999.jpg 3", "train_00001.jpg x", "valid_0001.jpg 2")
    )
    aligned = root / "basic" / "Image" / "aligned"
    (aligned / "train_00002_aligned.jpg").write_bytes(b"not a jpeg")
    (aligned / "train_00003_aligned.jpg").write_bytes(b"")
    faces = read_rafdb(root)
    reasons = {skipped.source.split(" ")[-1]: skipped.reason for skipped in faces.skipped}
    assert reasons == {
        "train_09999.jpg": "image missing",
        "train_00002.jpg": "not a readable image",
        "train_00003.jpg": "empty file",
        "train_00001.jpg": "no RAF-DB label 1-7 (train_ or test_ file and class number)",
        "valid_0001.jpg": "image missing",
    }
    assert len(faces) == len(FACES) - 2


def test_no_faces_is_a_clear_error(tmp_path):
    (tmp_path / "rafdb" / "train" / "1").mkdir(parents=True)
    with pytest.raises(MienError, match="no RAF-DB faces"):
        read_rafdb(tmp_path / "rafdb")


def test_it_loads_through_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MIEN_CACHE_DIR", str(tmp_path / "cache"))
    root = write_rafdb_folders(tmp_path / "rafdb")
    first, again = load_fer2013(root), load_fer2013(root)
    assert len(list(tmp_path.joinpath("cache").glob("*.npz"))) == 1
    assert np.array_equal(first.images, again.images) and np.array_equal(first.labels, again.labels)
    with pytest.raises(MienError, match="PublicTest"):  # RAF-DB has none: runs hold a share out
        training_splits(first, DataConfig(), seed=11)


def test_the_pipeline_framing_puts_the_eyes_where_the_aligner_does():
    # A crop with two dark eyes where RAF-DB puts them comes out with them where aligned faces have them.
    image = np.full((100, 100), 200, np.uint8)
    for x, y in ((25, 31), (72, 31)):
        image[y - 2 : y + 3, x - 2 : x + 3] = 0
    framed = reframe(image, "pipeline")
    dark = np.argwhere(framed < 150)
    assert abs(dark[:, 0].mean() - 0.38 * 48) < 1.5  # eye height
    spread = dark[:, 1].max() - dark[:, 1].min()
    assert abs(spread - 0.35 * 48) < 3  # eye distance
