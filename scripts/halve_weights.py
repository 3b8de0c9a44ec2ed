"""Store a shipped model's fp32 weights in fp16 (half the bytes; ONNX Runtime still computes in fp32,
from the fp16-rounded weights), and say how much that changes its answers.

    .venv/bin/python scripts/halve_weights.py NAME ... [--data ../shared/fer2013]

Rewrites each model's fp32 file in mien/weights/ in place. Prints, on the data's PublicTest faces,
the largest change of any probability and the share of labels that stay the same.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from mien.backends.onnx_backend import OnnxClassifier
from mien.catalogue import model_file
from mien.data.cache import load_fer2013
from mien.models.checkpoint import load_checkpoint, save_checkpoint
from mien.train.export import export_onnx, round_weights_to_fp16


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="+")
    parser.add_argument("--data", type=Path, default=Path("../shared/fer2013"))
    args = parser.parse_args()
    faces = load_fer2013(args.data).select("public").images
    for name in args.names:
        path = model_file(name)
        before = OnnxClassifier(path).probabilities(faces)
        with tempfile.TemporaryDirectory() as scratch:
            rounded = Path(scratch) / "rounded.pt"
            save_checkpoint(rounded, round_weights_to_fp16(load_checkpoint(path)))
            size = path.stat().st_size
            export_onnx(rounded, path, fp16_weights=True)
        after = OnnxClassifier(path).probabilities(faces)
        same = (before.argmax(axis=1) == after.argmax(axis=1)).mean()
        change = np.abs(before - after).max()
        print(f"{name}: {size / 1e6:.2f} -> {path.stat().st_size / 1e6:.2f} MB; on {len(faces)} PublicTest "
              f"faces the largest probability change {change:.1e}, same label {same:.2%}")  # fmt: skip


if __name__ == "__main__":
    main()
