"""Training learns what it learned before: for the preset of every shipped model and for wild_vgg_s,
one epoch on synthetic data from the preset's own seed gives the weights recorded in
same_weights.json, each tensor to 1e-6 a weight (what training moved it by, compared through a
fixed random projection).

Float sums come out in another order on another kind of CPU (AVX2 against AVX-512), and over an
epoch the weights then part by far more than a change in what a run learns from would move them, so
each record is kept under a digest of the CPU's arithmetic, and a CPU without one skips the test
with that digest in the reason (record it there before changing training). The records are
rewritten only when training is meant to change, and the commit says so:

    .venv/bin/python -m tests.train.test_same_weights --record
    ONEDNN_MAX_CPU_ISA=AVX2 MKL_ENABLE_INSTRUCTIONS=AVX2 \
        .venv/bin/python -m tests.train.test_same_weights --record      # an AVX2 CPU's, here
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import platform
import tempfile
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from mien.config import load_config
from mien.data.fer2013 import CLASS_NAMES
from mien.data.synthetic import write_folder
from mien.models.checkpoint import load_checkpoint, save_checkpoint
from mien.models.registry import create_model
from mien.train.runner import fit
from tests.ferplus_data import write_fer2013_twin, write_ferplus_folder
from tests.rafdb_data import write_rafdb_folders

RECORD = Path(__file__).with_name("same_weights.json")
FER2013_PRESETS = [
    "fer2013_vgg_s_distilled_gen3",  # ensemble member
    "fer2013_vgg_s_distilled_gen3_swa",  # fer2013 (before calibration), ensemble member
    "fer2013_vgg_s_distilled_long_swa",  # ensemble member
    "fer2013_fast_distilled_swa",  # fast
]
FERPLUS_PRESETS = ["general_vgg_s", "wild_vgg_s", "ferplus_student_flip24"]
PER_WEIGHT = 1e-6


def training_data(preset: str, folder: Path) -> tuple[Path, dict]:
    """The preset's kind of data, made here, and the data settings that point at it."""
    if preset in FER2013_PRESETS:
        return write_folder(folder / "fer2013", {"Training": 140, "PublicTest": 35}, seed=3), {}
    ferplus = write_ferplus_folder(folder / "ferplus", copies=4)
    joined = {"joint_with": [str(write_rafdb_folders(folder / "rafdb", copies=4))]}
    paired = {"fer2013_labels_from": str(write_fer2013_twin(folder / "fer2013_twin", copies=4))}
    config = load_config(preset)
    return ferplus, (joined if config.data.joint_with else {}) | (
        paired if config.data.fer2013_labels_from else {}
    )


def teacher(folder: Path) -> Path:
    torch.manual_seed(1)
    path = folder / "teacher.pt"
    save_checkpoint(path, {"model": {"name": "vgg_s", "args": {}}, "class_names": list(CLASS_NAMES),
                           "preprocess": {"size": 48, "mean": 0.5, "std": 0.25},
                           "state_dict": create_model("vgg_s").state_dict()})  # fmt: skip
    return path


def trained_weights(preset: str, folder: Path) -> dict[str, list[float]]:
    """One epoch of the preset (from its seed, not its starting weights; one untrained teacher for
    its teachers; fp32 on one thread) on data made here: each tensor's projection and size."""
    data_path, data_settings = training_data(preset, folder)
    config = load_config(preset)
    train = replace(config.train, epochs=1, batch_size=8, bf16=False, threads=1, init_from="",
                    teachers=[str(teacher(folder))] if config.train.teachers else [])  # fmt: skip
    config = replace(config, train=train, data=replace(config.data, **data_settings))
    threads = torch.get_num_threads()
    try:
        fit(config, data_path, folder / "run")
    finally:
        torch.set_num_threads(threads)
    checkpoint = load_checkpoint(folder / "run" / "last.pt")
    start = starting_weights(config, checkpoint["class_names"])
    updates = {}
    for part in ("state_dict", "swa_state_dict", "fer2013_head"):
        for name, tensor in checkpoint.get(part, {}).items():
            began = start.get(name.removeprefix("module."), start["last layer"].get(name))
            moved = tensor.double() - (0 if began is None else began.double())
            updates[f"{part}.{name}"] = fingerprint(moved)
    return updates


def starting_weights(config, class_names: list[str]) -> dict:
    """The weights the run started from (its seed's, as mien.train.state makes them), by name; under
    "last layer", those of the head's last layer, where train.fer2013_head_weight's head starts."""
    torch.manual_seed(config.train.seed)
    model = create_model(config.model.name, num_classes=len(class_names), **config.model.args)
    return model.state_dict() | {"last layer": model.head[-1].state_dict()}


def fingerprint(update: torch.Tensor) -> list[float]:
    """What training moved a tensor by: its projection on a fixed random direction, size and norm."""
    values = update.flatten()
    direction = torch.randn(len(values), generator=torch.Generator().manual_seed(0), dtype=torch.double)
    return [float(values @ direction), len(values), float(values.norm())]


def arithmetic() -> str:
    """Which float arithmetic this CPU does: a digest of the bits a small convolution and linear
    layer give, forward and backward, in fp32 on one thread (oneDNN and MKL pick their code by the
    CPU, and the sums then come out in another order)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        torch.manual_seed(0)
        model = torch.nn.Sequential(
            torch.nn.Conv2d(1, 8, 3), torch.nn.Flatten(), torch.nn.Linear(8 * 46 * 46, 8)
        )
        output = model(torch.randn(4, 1, 48, 48))
        output.square().sum().backward()
        bits = [output.detach(), *(parameter.grad for parameter in model.parameters())]
        return hashlib.sha256(b"".join(t.numpy().tobytes() for t in bits)).hexdigest()[:16]
    finally:
        torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def recorded() -> dict:
    """The weights recorded on a CPU of this arithmetic."""
    records = json.loads(RECORD.read_text())
    mine = arithmetic()
    if mine not in records:
        kinds = ", ".join(f"{digest} ({record['cpu']})" for digest, record in records.items())
        pytest.skip(f"no weights recorded for this CPU's arithmetic ({mine}); recorded: {kinds}")
    return records[mine]["weights"]


@pytest.mark.parametrize("preset", FER2013_PRESETS + FERPLUS_PRESETS)
def test_one_epoch_of_each_shipped_preset_learns_the_recorded_weights(preset, recorded, tmp_path):
    weights = trained_weights(preset, tmp_path)
    assert weights.keys() == recorded[preset].keys()
    for name, (projection, size, _) in weights.items():
        # a projection on a unit-variance direction moves ~sqrt(size) times what each weight moves
        assert abs(projection - recorded[preset][name][0]) <= 4 * PER_WEIGHT * math.sqrt(size), (preset, name)


def cpu_name() -> str:
    """The CPU's model name, and the instruction set oneDNN was held to, if it was."""
    models = [line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
              if line.startswith("model name")] or [platform.machine()]  # fmt: skip
    held = os.environ.get("ONEDNN_MAX_CPU_ISA")
    return models[0] + (f", ONEDNN_MAX_CPU_ISA={held}" if held else "")


def record() -> None:
    """Add (or replace) the record of this CPU's arithmetic."""
    weights = {}
    for preset in FER2013_PRESETS + FERPLUS_PRESETS:
        with tempfile.TemporaryDirectory() as folder:
            os.environ["MIEN_CACHE_DIR"] = str(Path(folder) / "cache")  # as the tests' own fixture does
            weights[preset] = trained_weights(preset, Path(folder))
    records = json.loads(RECORD.read_text()) if RECORD.is_file() else {}
    records[arithmetic()] = {"cpu": cpu_name(), "weights": weights}
    RECORD.write_text(json.dumps(records, indent=1) + "\n")
    print(f"wrote {RECORD}: {len(records)} records")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--record", action="store_true", required=True)
    parser.parse_args()
    record()
