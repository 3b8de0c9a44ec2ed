"""Copy a run's best checkpoint into the package as the shipped model, without training state.

    .venv/bin/python scripts/ship_weights.py runs/vgg_s/last.pt [NAME]

Writes mien/weights/NAME.pt (NAME defaults to the model's name) and copies the run's training
curves and per-epoch log into docs/model_card/.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from mien.train.checkpoint import inference_checkpoint, load_checkpoint, save_checkpoint

ROOT = Path(__file__).resolve().parents[1]


def main(checkpoint_path: Path, name: str | None = None) -> None:
    run_dir = checkpoint_path.parent
    checkpoint = load_checkpoint(checkpoint_path)
    name = name or checkpoint["model"]["name"]
    target = ROOT / "mien" / "weights" / f"{name}.pt"
    save_checkpoint(target, inference_checkpoint(checkpoint))
    docs = ROOT / "docs" / "model_card"
    docs.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(run_dir / "curves.png", docs / f"{name}_curves.png")
    shutil.copyfile(run_dir / "metrics.jsonl", docs / f"{name}_metrics.jsonl")
    print(f"{target} ({target.stat().st_size / 1e6:.1f} MB) from epoch {checkpoint['epoch']}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), *sys.argv[2:3])
