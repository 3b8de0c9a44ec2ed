"""Ablation on PublicTest: the shipped recipe, shortened, against the same recipe with one
ingredient changed per row. Each row is a full training run from the same seed.

    .venv/bin/python scripts/ablation.py --data ../shared/fer2013 [--epochs 10] [--out runs/ablation]

Rows already finished are read back, an interrupted row resumes, so rerunning continues the table.
Writes OUT/ablation.json and OUT/ablation.md (PublicTest accuracy, one view and with TTA, of each
run's final epoch, and the change against the first row).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from mien.atomic import atomic_path
from mien.config import load_config
from mien.outputs import write_json
from mien.train.evaluate import evaluate
from mien.train.runner import fit

BASE_PRESET = "fer2013_vgg_s"


def model_args(**changes) -> str:
    """An override of the base preset's model arguments with some of them changed."""
    return "model.args=" + json.dumps({"dropout": 0.3, "block_dropout": 0.0, **changes})


STRONG_AUGMENTATION = [
    "augment.rotate_deg=20", "augment.scale=0.2", "augment.shift=0.15",
    "augment.erase_p=0.8", "augment.erase_area=[0.02, 0.33]",
]  # fmt: skip
NO_AUGMENTATION = ["augment.flip=false", "augment.rotate_deg=0", "augment.scale=0",
                   "augment.shift=0", "augment.erase_p=0"]  # fmt: skip
VARIANTS = {  # row name: (what changes, overrides of the base preset)
    "baseline": ("the shipped recipe (fer2013_vgg_s), shortened", []),
    "no_augmentation": ("no augmentation at all", NO_AUGMENTATION),
    "strong_augmentation": ("stronger augmentation: rotate 20, zoom 0.2, shift 0.15, erase 0.8 up to 1/3",
                            STRONG_AUGMENTATION),  # fmt: skip
    "no_shift": ("no random shift (the input-crop augmentation)", ["augment.shift=0"]),
    "cutmix": ("+ cutmix 1.0", ["augment.cutmix_alpha=1.0"]),
    "no_label_smoothing": ("label smoothing 0.1 -> 0", ["train.label_smoothing=0"]),
    "no_class_weighting": ("class weighting sqrt -> none", ["train.class_weighting=none"]),
    "half_width": ("half width: 16-32-64-128 channels, 128 hidden",
                   [model_args(widths=[16, 32, 64, 128], hidden=128)]),
    "three_blocks": ("one block fewer: 32-64-128 channels", [model_args(widths=[32, 64, 128])]),
}  # fmt: skip


def run_row(name: str, overrides: list[str], data_path: Path, out: Path, epochs: int, threads: int) -> dict:
    run_dir = out / name
    if (run_dir / "result.json").is_file():
        return json.loads((run_dir / "result.json").read_text())
    config = load_config(BASE_PRESET, [*overrides, f"train.epochs={epochs}", f"train.threads={threads}"])
    fit(config, data_path, run_dir, resume=(run_dir / "last.pt").is_file())
    result = {"name": name, "change": VARIANTS[name][0], "overrides": overrides, "epochs": epochs}
    for key, tta in (("public", False), ("public_tta", True)):
        report = evaluate([run_dir / "last.pt"], data_path, "public", tta=tta, precision="bf16")
        result[key] = {"accuracy": report["accuracy"], "macro_f1": report["macro_f1"]}
    write_json(run_dir / "result.json", result)
    return result


def write_table(results: list[dict], out: Path) -> None:
    write_json(out / "ablation.json", results)
    base = results[0]
    lines = [
        f"| change ({base['epochs']} epochs each, vgg_s, seed 0) | PublicTest | change | +TTA | change "
        "| macro-F1, TTA |",
        "|---|---|---|---|---|---|",
    ]
    for row in results:
        changes = [_change(row, base, key) for key in ("public", "public_tta")]
        lines.append(
            f"| {row['change']} | {row['public']['accuracy']:.2%} | {changes[0]} "
            f"| {row['public_tta']['accuracy']:.2%} | {changes[1]} | {row['public_tta']['macro_f1']:.3f} |"
        )
    with atomic_path(out / "ablation.md") as tmp:
        tmp.write_text("\n".join(lines) + "\n")


def _change(row: dict, base: dict, key: str) -> str:
    """Points gained against the base row; empty for the base row itself."""
    return "" if row is base else f"{(row[key]['accuracy'] - base[key]['accuracy']) * 100:+.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=Path("runs/ablation"))
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--threads", type=int, default=0, help="torch threads per run (0 = all)")
    parser.add_argument("--only", nargs="*", choices=list(VARIANTS), help="run these rows (baseline always)")
    args = parser.parse_args()
    names = ["baseline", *[n for n in VARIANTS if n != "baseline" and (not args.only or n in args.only)]]
    results = []
    for name in names:
        results.append(run_row(name, VARIANTS[name][1], args.data, args.out, args.epochs, args.threads))
        write_table(results, args.out)
        print(f"{name}: PublicTest {results[-1]['public']['accuracy']:.4f}, "
              f"with TTA {results[-1]['public_tta']['accuracy']:.4f}", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
