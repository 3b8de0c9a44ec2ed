"""Ship a run's model inside the package: an fp32 ONNX export that describes itself and carries its
weights under their PyTorch names (ONNX Runtime and PyTorch both load it), without training state.

    .venv/bin/python scripts/ship_weights.py runs/vgg_s/best.pt NAME [--int8 --data ../shared/fer2013]

Writes mien/weights/NAME.onnx (and NAME.int8.onnx with --int8), checks the export against PyTorch,
and copies the run's training curves and per-epoch log into docs/model_card/ when the run folder
has them. Add NAME to mien/catalogue.py: only the models listed there ship.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from mien.catalogue import WEIGHTS
from mien.train.export import export_and_check

ROOT = Path(__file__).resolve().parents[1]


def main(checkpoint_path: Path, name: str, int8: bool, data_path: Path | None) -> None:
    outputs = [(WEIGHTS / f"{name}.onnx", False)] + ([(WEIGHTS / f"{name}.int8.onnx", True)] if int8 else [])
    for out, quantised in outputs:
        report = export_and_check(checkpoint_path, out, quantised, data_path)
        print(f"{out} ({report['bytes'] / 1e6:.1f} MB): largest difference from PyTorch "
              f"{report['max_abs_difference']:.1e}, same label {report['same_label']:.1%}")  # fmt: skip
        if report["passed"] is False:
            raise SystemExit(f"{out}: the export does not match PyTorch")
    run_dir, docs = checkpoint_path.parent, ROOT / "docs" / "model_card"
    for source, target in (("curves.png", f"{name}_curves.png"), ("metrics.jsonl", f"{name}_metrics.jsonl")):
        if (run_dir / source).is_file():
            shutil.copyfile(run_dir / source, docs / target)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint", type=Path)
    parser.add_argument("name")
    parser.add_argument("--int8", action="store_true", help="Also ship an int8 export (needs --data).")
    parser.add_argument("--data", type=Path, help="FER2013: PublicTest faces for the check, Training for int8.")
    args = parser.parse_args()
    main(args.checkpoint, args.name, args.int8, args.data)
