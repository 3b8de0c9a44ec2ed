import numpy as np
import pytest

from mien.data.cache import load_fer2013
from mien.data.fer2013 import CLASS_NAMES, SPLITS, read_csv, read_folder
from mien.errors import MienError
from tests.conftest import SMALL_COUNTS


def test_folder_and_csv_give_the_same_faces(small_folder, small_csv):
    from_folder, from_csv = read_folder(small_folder), read_csv(small_csv)
    assert len(from_folder) == len(from_csv) == sum(SMALL_COUNTS.values())

    # The folder is read in path order, the CSV in row order: compare as sorted records.
    def records(faces):
        return sorted(
            (int(s), int(y), im.tobytes()) for s, y, im in zip(faces.splits, faces.labels, faces.images)
        )

    assert records(from_folder) == records(from_csv)


def test_csv_codes_map_to_class_names(tmp_path):
    pixels = " ".join(["7"] * 2304)
    # Official codes: 4 is sad, 6 is neutral.
    (tmp_path / "f.csv").write_text(f"emotion,pixels,Usage\n4,{pixels},Training\n6,{pixels},PrivateTest\n")
    faces = read_csv(tmp_path / "f.csv")
    assert [CLASS_NAMES[i] for i in faces.labels] == ["sad", "neutral"]
    assert [SPLITS[i] for i in faces.splits] == ["Training", "PrivateTest"]
    assert faces.images.shape == (2, 48, 48) and faces.images.dtype == np.uint8 and faces.images[0, 0, 0] == 7


def test_split_comes_from_the_file_name_prefix(small_folder):
    faces = read_folder(small_folder)
    assert len(faces.select("train")) == SMALL_COUNTS["Training"]
    assert len(faces.select("public")) == SMALL_COUNTS["PublicTest"]
    assert len(faces.select("PrivateTest")) == SMALL_COUNTS["PrivateTest"]
    assert all("PublicTest_" in s for s in faces.select("public").sources)
    with pytest.raises(MienError, match="unknown split 'validation'"):
        faces.select("validation")


def test_malformed_csv_rows_are_skipped_and_named(small_csv, capsys):
    lines = small_csv.read_text().splitlines()
    lines[2] = "3,1 2 3,Training"  # too few pixels, on file line 3
    lines[4] = "9," + lines[4].split(",", 1)[1]  # no such emotion code, line 5
    small_csv.write_text("\n".join(lines) + "\n")
    faces = read_csv(small_csv)
    assert len(faces) == sum(SMALL_COUNTS.values()) - 2
    assert [(s.source, s.reason) for s in faces.skipped] == [
        ("fer2013.csv:3", "pixels has 3 values, expected 2304"),
        ("fer2013.csv:5", "emotion '9' is not a code 0-6"),
    ]
    assert "skipped fer2013.csv:3" in capsys.readouterr().err


def test_csv_without_the_columns_is_one_clear_error(tmp_path):
    (tmp_path / "bad.csv").write_text("label,data\n1,2\n")
    with pytest.raises(MienError, match="missing column"):
        read_csv(tmp_path / "bad.csv")


def test_corrupt_and_wrong_size_images_are_skipped_and_counted(small_folder):
    angry = small_folder / "train" / "angry"
    (angry / "Training_corrupt.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    (angry / "Training_empty.jpg").write_bytes(b"")
    import cv2

    cv2.imwrite(str(angry / "Training_big.png"), np.zeros((60, 50), np.uint8))
    faces = read_folder(small_folder)
    assert len(faces) == sum(SMALL_COUNTS.values())
    reasons = {s.source.split("/")[-1]: s.reason for s in faces.skipped}
    assert reasons == {
        "Training_corrupt.jpg": "not a readable image",
        "Training_empty.jpg": "empty file",
        "Training_big.png": "wrong size 50x60, expected 48x48",
    }


def test_missing_and_empty_folders_are_clear_errors(tmp_path):
    with pytest.raises(MienError, match="data not found"):
        load_fer2013(tmp_path / "nowhere")
    (tmp_path / "empty" / "train" / "happy").mkdir(parents=True)
    with pytest.raises(MienError, match="no labelled FER2013 images"):
        load_fer2013(tmp_path / "empty")


def test_an_empty_class_folder_is_loaded_without_that_class(small_folder):
    for path in (small_folder / "train" / "disgust").iterdir():
        path.unlink()
    faces = read_folder(small_folder)
    assert CLASS_NAMES.index("disgust") not in faces.select("train").labels
    assert len(faces.select("public")) == SMALL_COUNTS["PublicTest"]
