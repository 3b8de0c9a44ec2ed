"""The shipped eight-class models and the default reproduce the model card's choosing figures on
the real sets (each skipped without its data): the held-out tenths of FER+ and RAF-DB Training, and
KDEF's choose/ photos through the whole pipeline. Never a test split: those are read once, by
scripts/cross_dataset.py."""

from __future__ import annotations

import pytest

from mien.catalogue import model_file
from mien.pipeline import Predictor
from mien.train.evaluate import evaluate
from mien.train.photo_eval import aligned_crops, score_crops

# Faces right, docs/model_card.md ("What the candidates measured"), fp32 one view.
RAFDB_HELD_OUT = {"general": 1024, "wild": 1031}  # of 1,226
FERPLUS_HELD_OUT = {"general": 2070, "wild": 2163, "ferplus": 2208}  # of 2,505 with a majority
KDEF_CHOOSE = {"fer2013": 370, "general": 372}  # of 476 photos, as `mien predict` answers


@pytest.mark.rafdb
@pytest.mark.parametrize("name", sorted(RAFDB_HELD_OUT))
def test_rafdb_held_out_figures(rafdb_path, name):
    report = evaluate([model_file(name)], rafdb_path, "holdout")
    assert report["count"] == 1226
    assert round(report["accuracy"] * report["count"]) == RAFDB_HELD_OUT[name]


@pytest.mark.ferplus
@pytest.mark.parametrize("name", sorted(FERPLUS_HELD_OUT))
def test_ferplus_held_out_figures(ferplus_path, name):
    report = evaluate([model_file(name)], ferplus_path, "holdout")
    assert report["count"] == 2505
    assert round(report["accuracy"] * report["count"]) == FERPLUS_HELD_OUT[name]


@pytest.mark.kdef
def test_kdef_choose_through_the_whole_pipeline(kdef_path):
    photos = aligned_crops(kdef_path / "choose")
    assert len(photos.paths) == 476 and all(crop is not None for crop in photos.crops)  # a face in each
    for name, right in KDEF_CHOOSE.items():
        report = score_crops(Predictor.default(name).classifier, photos)
        assert round(report["accuracy"] * 476) == right, name
        assert report["answered_accuracy"] <= report["accuracy"]  # contempt counts as wrong as printed
