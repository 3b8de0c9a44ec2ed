import cv2
import numpy as np

from mien.data.cache import load_fer2013
from mien.data.checks import check_faces, summarize_problems
from tests.conftest import SMALL_COUNTS


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
