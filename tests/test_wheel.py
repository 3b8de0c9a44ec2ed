"""The built wheel: small enough for PyPI, and every weight file in it is one mien loads."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from mien.catalogue import referenced_files

ROOT = Path(__file__).resolve().parents[1]
WHEEL_LIMIT = 40 * 1000 * 1000


def test_the_wheel_is_at_most_40_mb_and_carries_only_the_catalogued_weights(tmp_path):
    source = tmp_path / "source"  # a copy: an in-tree build/ folder can hold files deleted since
    shutil.copytree(ROOT / "mien", source / "mien", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "LICENSES", source / "LICENSES")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    command = [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--quiet", "-w", str(tmp_path)]
    built = subprocess.run(command, capture_output=True, text=True)
    if built.returncode != 0 and "setuptools" in built.stderr and "No matching distribution" in built.stderr:
        pytest.skip("no package index to build the wheel with")
    assert built.returncode == 0, built.stderr[-2000:]
    [wheel] = tmp_path.glob("mien-*.whl")
    assert wheel.stat().st_size <= WHEEL_LIMIT
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    weights = {Path(name).name for name in names if name.startswith("mien/weights/")}
    assert weights == {path.name for path in referenced_files()}
    assert any(name.endswith("licenses/LICENSES/YuNet-MIT.txt") for name in names)  # the detector's licence
