"""The files of a run folder, written by rank 0 of `fit`:

config.json        the resolved config
last.pt            after every epoch: everything needed to resume
best.pt            the epoch with the best PublicTest accuracy
metrics.jsonl      one line per epoch
curves.png         loss and accuracy per epoch
teacher_labels.pt  with train.distill_labels = "precomputed": the teachers' labels, made once
"""

from __future__ import annotations

import json
from pathlib import Path

from mien.atomic import atomic_path
from mien.config import RunConfig, config_to_dict
from mien.errors import MienError
from mien.models.checkpoint import load_checkpoint, save_checkpoint
from mien.outputs import write_json
from mien.render.plots import save_training_curves

TEACHER_LABELS = "teacher_labels.pt"  # in the run folder, with train.distill_labels = "precomputed"


def prepare_fresh_run(out_dir: Path, config: RunConfig, main: bool = True) -> None:
    """Refuse a folder that already holds a run; on the main rank, start its config and log."""
    if (out_dir / "last.pt").exists():  # every rank checks, so that all of them stop
        raise MienError(
            f"{out_dir} already holds a run; pass --resume to continue it or choose another --out"
        )
    if not main:
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "metrics.jsonl").unlink(missing_ok=True)
    write_json(out_dir / "config.json", config_to_dict(config))


def write_epoch(out_dir: Path, checkpoint: dict, record: dict, is_best: bool) -> None:
    """Everything an epoch leaves behind: last.pt (and best.pt), its metrics line, the curves."""
    save_checkpoint(out_dir / "last.pt", checkpoint)
    if is_best:
        save_checkpoint(out_dir / "best.pt", checkpoint)
    append_jsonl(out_dir / "metrics.jsonl", record)
    save_training_curves(read_jsonl(out_dir / "metrics.jsonl"), out_dir / "curves.png")


def read_best(out_dir: Path) -> dict:
    """The best epoch's PublicTest metrics of a run folder, from its last checkpoint."""
    return load_checkpoint(Path(out_dir) / "last.pt")["metrics"]["best"]


def append_jsonl(path: Path, record: dict) -> None:
    """Add one epoch's record to the log, replacing any record of that epoch or later."""
    # The log is rewritten whole, so an interrupted write cannot leave a half line behind; a
    # resumed run replaces the epochs it repeats.
    epochs = read_jsonl(path) if path.exists() else []
    epochs = [e for e in epochs if e["epoch"] < record["epoch"]] + [record]
    with atomic_path(path) as tmp:
        tmp.write_text("".join(json.dumps(e) + "\n" for e in epochs))


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
