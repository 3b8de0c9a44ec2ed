"""`mien batch` (Ray Data, local instance) against `mien predict` in one process, same 20,000 images.

    .venv/bin/python benchmarks/batch_scale.py [--images 20000]

Uses FER2013 Training images (../shared/fer2013 or $MIEN_FER2013) as aligned faces (`--aligned` in
both commands), linked into one folder; each command is timed from process start to exit. The
baseline is `mien predict`; the ratio is batch's images/s over predict's.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FER2013 = Path(os.environ.get("MIEN_FER2013", Path(__file__).resolve().parents[2] / "shared" / "fer2013"))
MIEN = [sys.executable, "-m", "mien"]


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=20000)
    args = parser.parse_args()
    files = sorted((FER2013 / "train").rglob("Training_*.jpg"))[: args.images]
    if len(files) < args.images:
        raise SystemExit(f"needs {args.images} FER2013 images under {FER2013}/train")
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "images"
        folder.mkdir()
        for index, path in enumerate(files):
            (folder / f"{index:06d}.jpg").symlink_to(path)
        predict = timed([*MIEN, "predict", "--aligned", "--json", str(folder)])
        batch = timed(
            [*MIEN, "batch", "--aligned", str(folder), "--out", str(Path(scratch) / "faces.parquet")]
        )
    cpus = os.cpu_count()
    print(f"{args.images:,} aligned images on {cpus} CPUs, from process start to exit:")
    print(f"  mien predict (one process, baseline): {predict:6.1f} s  {args.images / predict:7.0f} images/s")
    print(f"  mien batch (Ray Data, local):         {batch:6.1f} s  {args.images / batch:7.0f} images/s")
    print(f"  ratio batch / predict: x{predict / batch:.2f}")


if __name__ == "__main__":
    main()
