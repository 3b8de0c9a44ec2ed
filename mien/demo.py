"""The training install check: train on synthetic cartoon faces, then evaluate."""

from __future__ import annotations

from pathlib import Path

from mien.config import load_config
from mien.data.synthetic import write_csv
from mien.train.evaluate import evaluate
from mien.train.runner import fit

DEMO_COUNTS = {"Training": 2100, "PublicTest": 350, "PrivateTest": 350}


def run_training_demo(out_dir: Path, epochs: int = 3) -> dict:
    """Write a synthetic fer2013.csv, train vgg_s on it and evaluate on its PrivateTest split."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    data_path = write_csv(out_dir / "cartoon_faces.csv", DEMO_COUNTS)
    run_dir = out_dir / "run"
    for stale in ("last.pt", "best.pt"):
        (run_dir / stale).unlink(missing_ok=True)
    config = load_config(None, [f"train.epochs={epochs}", "train.batch_size=64", "train.lr=0.05"])
    fit(config, data_path, run_dir)
    return evaluate([run_dir / "best.pt"], data_path, "private")
