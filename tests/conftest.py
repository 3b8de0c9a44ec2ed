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
