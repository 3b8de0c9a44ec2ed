"""Each FER+ face's single FER2013 label, found by pairing the two copies of the same pixels."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from mien.data.cache import load_fer2013
from mien.data.fer2013 import CLASS_NAMES
from mien.data.ferplus import FERPLUS_CLASSES, read_ferplus
from mien.data.pairing import NO_PAIR, nearest_faces, with_fer2013_labels
from mien.errors import MienError
from tests.ferplus_data import FACES, fer2013_label, write_fer2013_twin, write_ferplus_csv

WITH_IMAGE = [index for index, face in enumerate(FACES) if face[1]]


def test_each_ferplus_face_gets_the_label_of_its_jpeg_twin_in_the_fer2013_folder(ferplus_folder, tmp_path):
    fer2013 = load_fer2013(write_fer2013_twin(tmp_path / "fer2013"))
    assert fer2013.class_names == CLASS_NAMES and len(fer2013) == len(WITH_IMAGE)
    paired = with_fer2013_labels(read_ferplus(ferplus_folder), fer2013)
    assert [FERPLUS_CLASSES[label] for label in paired.fer2013_labels] == [
        fer2013_label(i) for i in WITH_IMAGE
    ]
    assert paired.fer2013_labels.tolist() == paired.take(np.arange(len(paired))).fer2013_labels.tolist()


def test_fer2013new_csv_carries_its_rows_fer2013_labels_and_pairing_agrees(ferplus_folder, tmp_path):
    from_csv = load_fer2013(write_ferplus_csv(tmp_path / "csv"))
    fer2013 = load_fer2013(write_fer2013_twin(tmp_path / "fer2013"))
    paired = with_fer2013_labels(read_ferplus(ferplus_folder), fer2013)
    np.testing.assert_array_equal(from_csv.fer2013_labels, paired.fer2013_labels)


def test_a_face_without_a_twin_gets_no_label(ferplus_folder, tmp_path):
    ferplus = read_ferplus(ferplus_folder)
    fer2013 = load_fer2013(write_fer2013_twin(tmp_path / "fer2013"))
    stranger = ferplus.images.copy()
    stranger[0] = 255 - stranger[0]  # no FER2013 face looks like this one
    paired = with_fer2013_labels(replace(ferplus, images=stranger), fer2013)
    assert paired.fer2013_labels[0] == NO_PAIR and (paired.fer2013_labels[1:] >= 0).all()


def test_nearest_faces_finds_shuffled_noisy_copies_and_measures_their_distance():
    rng = np.random.default_rng(0)
    references = rng.integers(0, 256, (50, 48, 48), dtype=np.uint8)
    order = rng.permutation(50)
    noisy = np.clip(references[order].astype(int) + rng.integers(-2, 3, (50, 48, 48)), 0, 255).astype(
        np.uint8
    )
    nearest, rms = nearest_faces(noisy, references, chunk=7)
    np.testing.assert_array_equal(nearest, order)
    assert (rms > 0).all() and (rms < 2).all()


def test_only_ferplus_faces_pair(small_folder):
    fer2013 = load_fer2013(small_folder)
    with pytest.raises(MienError, match="FER\\+ faces"):
        with_fer2013_labels(fer2013, fer2013)
