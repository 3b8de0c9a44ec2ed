"""Fixtures that build their own data: synthetic faces in both FER2013 formats, tiny runs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from mien.data.fer2013 import CLASS_NAMES
from mien.data.synthetic import write_csv, write_folder
from mien.models.checkpoint import save_checkpoint
from mien.models.registry import create_model
from tests.ferplus_data import write_ferplus_folder

SMALL_COUNTS = {"Training": 140, "PublicTest": 35, "PrivateTest": 35}
TRAIN_COUNTS = {"Training": 700, "PublicTest": 140, "PrivateTest": 140}


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """Every test gets its own decode cache, so no test sees another's data."""
    monkeypatch.setenv("MIEN_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def small_folder(tmp_path) -> Path:
    return write_folder(tmp_path / "fer_folder", SMALL_COUNTS, seed=3)


@pytest.fixture
def small_csv(tmp_path) -> Path:
    return write_csv(tmp_path / "fer2013.csv", SMALL_COUNTS, seed=3)


@pytest.fixture(scope="session")
def train_csv(tmp_path_factory) -> Path:
    """Enough cartoon faces for a model to learn in two epochs."""
    return write_csv(tmp_path_factory.mktemp("train") / "fer2013.csv", TRAIN_COUNTS, seed=5)


def shared_folder(name: str, variable: str, marker: str) -> Path:
    """A data folder beside the repo (../shared/NAME, or $VARIABLE); skips the test without it."""
    default = Path(__file__).resolve().parents[1].parent / "shared" / name
    path = Path(os.environ.get(variable, default))
    if not (path / marker).exists():
        pytest.skip(f"{name} not found at {path} (set {variable})")
    return path


@pytest.fixture(scope="session")
def fer2013_path() -> Path:
    """The real FER2013 folder."""
    return shared_folder("fer2013", "MIEN_FER2013", "train")


@pytest.fixture(scope="session")
def ferplus_path() -> Path:
    """The real FER+ in its own layout (FER2013Train/, FER2013Valid/)."""
    return shared_folder("ferplus", "MIEN_FERPLUS", "FER2013Valid/label.csv")


@pytest.fixture(scope="session")
def kdef_path() -> Path:
    """The real KDEF (a check set: choose/ and report/, each <class>/<photo>)."""
    return shared_folder("kdef", "MIEN_KDEF", "choose")


@pytest.fixture(scope="session")
def rafdb_path() -> Path:
    """The real RAF-DB (basic) in the shared layout (train/<1-7>/, test/<1-7>/)."""
    return shared_folder("rafdb", "MIEN_RAFDB", "train_labels.csv")


@pytest.fixture
def ferplus_folder(tmp_path) -> Path:
    """tests/ferplus_data.py's tiny FER+, in FER+'s own folders."""
    return write_ferplus_folder(tmp_path / "ferplus")


@pytest.fixture(scope="session")
def photos_path() -> Path:
    """The labelled real photos (faces.json beside them)."""
    return shared_folder("photos", "MIEN_PHOTOS", "faces.json")


@pytest.fixture
def untrained_checkpoint(tmp_path) -> Path:
    """A complete checkpoint of an untrained vgg_s: exercises loading without real weights."""
    torch.manual_seed(0)
    path = tmp_path / "untrained.pt"
    save_checkpoint(
        path,
        {
            "model": {"name": "vgg_s", "args": {}},
            "class_names": list(CLASS_NAMES),
            "preprocess": {"size": 48, "mean": 0.5, "std": 0.25},
            "state_dict": create_model("vgg_s").state_dict(),
        },
    )
    return path


FERPLUS_CLASSES = ("angry", "contempt", "disgust", "fear", "happy", "neutral", "sad", "surprise")


@pytest.fixture(scope="session")
def eight_class_weights(tmp_path_factory) -> Path:
    """A weights folder: links to the shipped files, and an untrained 8-class vgg_s exported as the
    shipped models are (fp32, which PyTorch reads too, and int8)."""
    import numpy as np

    from mien import catalogue
    from mien.train.export import export_onnx

    folder = tmp_path_factory.mktemp("weights")
    for shipped in catalogue.WEIGHTS.iterdir():
        (folder / shipped.name).symlink_to(shipped)
    torch.manual_seed(1)
    checkpoint = tmp_path_factory.mktemp("eight") / "eight.pt"
    save_checkpoint(
        checkpoint,
        {
            "model": {"name": "vgg_s", "args": {}},
            "class_names": list(FERPLUS_CLASSES),
            "preprocess": {"size": 48, "mean": 0.5, "std": 0.25},
            "state_dict": create_model("vgg_s", num_classes=len(FERPLUS_CLASSES)).state_dict(),
        },
    )
    export_onnx(checkpoint, folder / "eight_test.onnx")
    faces = np.random.default_rng(0).integers(0, 256, (64, 48, 48), dtype=np.uint8)
    export_onnx(checkpoint, folder / "eight_test.int8.onnx", faces)
    return folder


@pytest.fixture
def ferplus_model(eight_class_weights, monkeypatch) -> str:
    """The catalogue with "ferplus" (the 8-class model, fp32 and int8), "ferplus_fp32" (the same,
    fp32 only) and "ferplus_int8" (both files, int8 run alone) beside the shipped models; returns
    "ferplus"."""
    from mien import catalogue

    both, fp32 = {"fp32": "eight_test.onnx", "int8": "eight_test.int8.onnx"}, {"fp32": "eight_test.onnx"}
    added = (
        catalogue.ShippedModel("ferplus", "8 classes (untrained)", both, FERPLUS_CLASSES),
        catalogue.ShippedModel("ferplus_fp32", "8 classes, fp32 only (untrained)", fp32, FERPLUS_CLASSES),
        catalogue.ShippedModel(
            "ferplus_int8", "8 classes, int8 alone (untrained)", both, FERPLUS_CLASSES, cascade=False
        ),
    )
    names = {model.name for model in added}
    kept = tuple(model for model in catalogue._SHIPPED if model.name not in names)
    monkeypatch.setattr(catalogue, "_SHIPPED", kept + added)
    monkeypatch.setattr(catalogue, "ALIASES", {k: v for k, v in catalogue.ALIASES.items() if k not in names})
    monkeypatch.setattr(catalogue, "WEIGHTS", eight_class_weights)
    return "ferplus"
