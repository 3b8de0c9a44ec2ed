import numpy as np
import pytest

from mien.data.cache import load_fer2013
from mien.data.fer2013 import SPLITS
from mien.data.ferplus import (
    FERPLUS_CLASSES,
    NO_FACE,
    is_ferplus,
    majority_labels,
    read_ferplus,
    trainable,
    vote_distributions,
)
from mien.errors import MienError
from tests.ferplus_data import FACES, face_image, write_ferplus_csv

# One face per row, in FER+'s column order: neutral, happiness, surprise, sadness, anger, disgust,
# fear, contempt, unknown, NF.
HAND_VOTES = np.array(
    [
        [6, 4, 0, 0, 0, 0, 0, 0, 0, 0],  # 6-4: neutral
        [0, 0, 0, 0, 5, 5, 0, 0, 0, 0],  # 5-5: none
        [4, 1, 1, 1, 1, 1, 1, 0, 0, 0],  # the 1s are dropped: 4 of 4 left, neutral
        [0, 3, 0, 0, 0, 0, 0, 0, 7, 0],  # unknown wins: none
        [0, 3, 0, 0, 0, 0, 0, 0, 0, 7],  # not a face wins: none
        [0, 0, 0, 0, 0, 0, 0, 6, 2, 2],  # contempt, 6 of 10
        [1, 1, 1, 1, 1, 1, 1, 1, 1, 1],  # nothing left
        [2, 0, 3, 0, 0, 0, 0, 0, 0, 5],  # NF 5 of 10 is not over half, yet it leads
    ]
)


def names(labels):
    return [FERPLUS_CLASSES[label] if label >= 0 else None for label in labels]


def test_majority_labels_follow_ferplus_rules():
    assert names(majority_labels(HAND_VOTES)) == [
        "neutral",
        None,
        "neutral",
        None,
        None,
        "contempt",
        None,
        None,
    ]


def test_vote_distributions_are_the_remaining_expression_votes_in_mien_class_order():
    shares = vote_distributions(HAND_VOTES)
    assert shares.shape == (8, 8) and shares.dtype == np.float32
    expected = np.zeros((8, 8), np.float32)
    neutral, happy, surprise = (FERPLUS_CLASSES.index(n) for n in ("neutral", "happy", "surprise"))
    expected[0, [neutral, happy]] = [0.6, 0.4]
    expected[1, [FERPLUS_CLASSES.index("angry"), FERPLUS_CLASSES.index("disgust")]] = [0.5, 0.5]
    expected[2, neutral] = 1.0
    expected[3, happy] = 1.0  # unknown and not-a-face are not expressions
    expected[4, happy] = 1.0
    expected[5, FERPLUS_CLASSES.index("contempt")] = 1.0
    # row 6: no vote left, no target
    expected[7, [neutral, surprise]] = [0.4, 0.6]
    np.testing.assert_allclose(shares, expected, rtol=1e-6)


def test_trainable_needs_an_expression_leading_unknown_and_not_a_face():
    assert trainable(HAND_VOTES).tolist() == [True, True, True, False, False, True, False, False]
    tie = np.array([[0, 4, 0, 0, 0, 0, 0, 0, 4, 2]])  # an expression tied with unknown does not lead
    assert not trainable(tie)[0]


def test_the_folder_layout_reads_images_votes_splits_and_majorities(ferplus_folder):
    assert is_ferplus(ferplus_folder)
    faces = read_ferplus(ferplus_folder)
    with_image = [(i, face) for i, face in enumerate(FACES) if face[1]]
    assert faces.class_names == FERPLUS_CLASSES
    assert faces.sources[0] == "FER2013Train/fer0000000.png"
    assert len(faces) == len(with_image) == 26 and faces.skipped == ()
    np.testing.assert_array_equal(faces.images, np.stack([face_image(i) for i, _ in with_image]))
    np.testing.assert_array_equal(faces.votes, [face[2] for _, face in with_image])
    assert [SPLITS[s] for s in faces.splits] == [face[0] for _, face in with_image]
    assert names(faces.labels) == [face[3] for _, face in with_image]


def test_both_layouts_give_the_same_faces(ferplus_folder, tmp_path):
    new_csv = write_ferplus_csv(tmp_path / "csv")
    assert is_ferplus(new_csv) and not is_ferplus(new_csv.with_name("fer2013.csv"))
    from_folder, from_csv = read_ferplus(ferplus_folder), load_fer2013(new_csv)
    for field in ("images", "votes", "splits", "labels"):
        np.testing.assert_array_equal(getattr(from_csv, field), getattr(from_folder, field))
    assert from_csv.class_names == from_folder.class_names == FERPLUS_CLASSES
    # the rows FER+ made no image of are skipped, and say why
    assert [(s.source, s.reason) for s in from_csv.skipped] == [
        ("fer2013new.csv:13", NO_FACE),
        ("fer2013new.csv:25", NO_FACE),
    ]


def test_split_selection_keeps_votes_and_classes(ferplus_folder):
    public = load_fer2013(ferplus_folder).select("public")
    assert len(public) == 8 and public.votes.shape == (8, 10)
    assert public.class_names == FERPLUS_CLASSES
    assert names(public.labels) == [face[3] for face in FACES if face[0] == "PublicTest" and face[1]]


def test_fer2013new_csv_needs_fer2013_csv_beside_it(tmp_path):
    new_csv = write_ferplus_csv(tmp_path / "csv")
    new_csv.with_name("fer2013.csv").unlink()
    with pytest.raises(MienError, match="fer2013.csv"):
        load_fer2013(new_csv)
