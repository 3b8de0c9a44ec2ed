import cv2
import numpy as np

from mien.data.cache import load_fer2013
from mien.data.checks import check_faces, summarize_problems
from tests.conftest import SMALL_COUNTS
from tests.ferplus_data import write_ferplus_csv


def test_counts_per_split_and_class(small_folder):
    report = check_faces(load_fer2013(small_folder))
    assert report["total"] == sum(SMALL_COUNTS.values())
    for split, count in SMALL_COUNTS.items():
        assert report["splits"][split]["total"] == count
        assert sum(report["splits"][split]["classes"].values()) == count
    assert report["splits"]["Training"]["classes"]["angry"] == 20  # 140 faces, 7 classes cycled


def test_blank_duplicate_and_unreadable_images_are_reported(small_folder):
    happy = small_folder / "train" / "happy"
    cv2.imwrite(str(happy / "Training_blank.png"), np.full((48, 48), 128, np.uint8))
    original = next(happy.glob("Training_*.png"))
    (happy / "Training_copy.png").write_bytes(original.read_bytes())  # duplicate within Training
    leaked = small_folder / "test" / "sad"
    (leaked / "PrivateTest_leak.png").write_bytes(original.read_bytes())  # and across splits, other label
    (happy / "Training_broken.jpg").write_bytes(b"broken")

    report = check_faces(load_fer2013(small_folder))
    problems = report["problems"]
    assert problems["blank"] == ["train/happy/Training_blank.png"]
    assert problems["unreadable"] == [
        {"file": "train/happy/Training_broken.jpg", "reason": "not a readable image"}
    ]
    [group] = problems["duplicates"]
    assert sorted(group["files"]) == sorted(
        [f"train/happy/{original.name}", "train/happy/Training_copy.png", "test/sad/PrivateTest_leak.png"]
    )
    assert group["splits"] == ["PrivateTest", "Training"] and group["across_splits"]
    assert group["labels"] == ["happy", "sad"] and group["conflicting_labels"]
    assert summarize_problems(report) == {
        "unreadable": 1,
        "wrong_size": 0,
        "blank": 1,
        "empty_classes": 0,
        "duplicate_groups": 1,
        "duplicate_groups_across_splits": 1,
        "duplicate_groups_conflicting_labels": 1,
    }


def test_an_empty_class_folder_is_reported(small_folder):
    for path in (small_folder / "train" / "disgust").iterdir():
        path.unlink()
    report = check_faces(load_fer2013(small_folder))
    assert report["problems"]["empty_classes"] == ["Training/disgust"]


def test_ferplus_counts_majorities_agreement_and_faces_without_an_expression(ferplus_folder):
    # a Training face without a majority, copied into FER2013Valid with a clear one
    copy = ferplus_folder / "FER2013Valid" / "fer0000099.png"
    copy.write_bytes((ferplus_folder / "FER2013Train" / "fer0000006.png").read_bytes())
    with (ferplus_folder / "FER2013Valid" / "label.csv").open("a") as labels:
        labels.write('fer0000099.png,"(0, 0, 48, 48)",0,10,0,0,0,0,0,0,0,0\n')

    report = check_faces(load_fer2013(ferplus_folder))  # tests/ferplus_data.py's votes, worked out by hand
    training, public = report["splits"]["Training"], report["splits"]["PublicTest"]
    assert training["classes"] == {"angry": 1, "contempt": 1, "disgust": 1, "fear": 1, "happy": 2,
                                   "neutral": 3, "sad": 1, "surprise": 2}  # fmt: skip
    assert (training["no_majority"], training["total"]) == (4, 16)
    assert public["classes"]["contempt"] == 1 and public["classes"]["happy"] == 2
    assert (public["no_majority"], public["total"]) == (2, 9)
    votes = report["votes"]
    # winning shares: three of 5/10, five of 6/10, three of 7/10, five of 8/10 and eleven of 1
    assert [entry["count"] for entry in votes["winning_share"]] == [0, 0, 0, 0, 3, 5, 3, 5, 0, 11]
    assert votes["winning_share"][5] == {"low": 0.5, "high": 0.6, "count": 5}
    assert votes["not_a_face"] == ["FER2013Train/fer0000010.png", "FER2013Valid/fer0000021.png"]
    assert votes["unknown"] == ["FER2013Train/fer0000009.png"]
    assert votes["no_votes_left"] == [] and votes["no_image"] == []
    [group] = report["problems"]["duplicates"]
    assert group["labels"] == ["happy", "no majority"] and group["across_splits"]


def test_ferplus_rows_without_an_image_are_listed_not_unreadable(tmp_path):
    report = check_faces(load_fer2013(write_ferplus_csv(tmp_path / "csv")))
    assert report["votes"]["no_image"] == ["fer2013new.csv:13", "fer2013new.csv:25"]
    assert report["problems"]["unreadable"] == []
    assert report["splits"]["PrivateTest"]["total"] == 2


def test_fer2013_reports_have_no_votes(small_csv):
    report = check_faces(load_fer2013(small_csv))
    assert "votes" not in report and "no_majority" not in report["splits"]["Training"]
