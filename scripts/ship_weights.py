"""Ship a run's model inside the package: an fp32 ONNX export that describes itself and carries its
weights under their PyTorch names (ONNX Runtime and PyTorch both load it), without training state.

    .venv/bin/python scripts/ship_weights.py runs/vgg_s/best.pt NAME [--int8 --data ../shared/fer2013]
        [--fp16-weights]

Writes mien/weights/NAME.onnx (and NAME.int8.onnx with --int8), checks the export against PyTorch,
(with --fp16-weights the weights are first rounded to fp16, written beside the checkpoint as
NAME.fp16_weights.pt, and the fp32 file stores them in half the bytes),
and copies the run's training curves and per-epoch log into docs/model_card/ when the run folder
has them. Add NAME to mien/catalogue.py: only the models listed there ship.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from mien.catalogue import WEIGHTS
from mien.models.checkpoint import load_checkpoint, save_checkpoint
from mien.train.export import export_and_check, round_weights_to_fp16

ROOT = Path(__file__).resolve().parents[1]


def main(checkpoint_path: Path, name: str, int8: bool, data_path: Path | None, fp16_weights: bool) -> None:
    outputs = [(WEIGHTS / f"{name}.onnx", False)] + ([(WEIGHTS / f"{name}.int8.onnx", True)] if int8 else [])
    exported = checkpoint_path
    if fp16_weights:
        exported = checkpoint_path.with_name(f"{name}.fp16_weights.pt")
        save_checkpoint(exported, round_weights_to_fp16(load_checkpoint(checkpoint_path)))
    for out, quantised in outputs:
        report = export_and_check(exported, out, quantised, data_path, fp16_weights=fp16_weights)
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
    parser.add_argument(
        "--data", type=Path, help="FER2013: PublicTest faces for the check, Training for int8."
    )
    parser.add_argument("--fp16-weights", action="store_true", help="Store the fp32 file's weights in fp16.")
    args = parser.parse_args()
    main(args.checkpoint, args.name, args.int8, args.data, args.fp16_weights)
