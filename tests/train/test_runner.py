import json

import pytest
import torch

from mien.config import load_config
from mien.errors import MienError
from mien.train import runner
from mien.train.checkpoint import load_checkpoint
from mien.train.evaluate import evaluate
from mien.train.runner import fit

FAST = ["train.batch_size=64", "train.lr=0.05", "train.warmup_epochs=0.5", "train.bf16=false"]


def test_fit_learns_cartoon_faces_and_writes_its_run(train_csv, tmp_path):
    config = load_config(None, [*FAST, "train.epochs=3"])
    best = fit(config, train_csv, tmp_path / "run")
    assert best["accuracy"] > 0.8
    run = tmp_path / "run"
    assert {p.name for p in run.iterdir()} >= {
        "best.pt",
        "last.pt",
        "metrics.jsonl",
        "curves.png",
        "config.json",
    }
    epochs = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [e["epoch"] for e in epochs] == [1, 2, 3]
    assert json.loads((run / "config.json").read_text())["train"]["epochs"] == 3
    checkpoint = load_checkpoint(run / "best.pt")
    assert checkpoint["model"] == {"name": "vgg_s", "args": {}}
    assert checkpoint["class_names"][3] == "happy"
    assert checkpoint["preprocess"] == {"size": 48, "mean": 0.5, "std": 0.25}
    report = evaluate([run / "best.pt"], train_csv, "private", tta=True)
    assert report["accuracy"] > 0.8 and report["count"] == 140


def test_resume_continues_to_the_same_result(train_csv, tmp_path, monkeypatch):
    config = load_config(None, [*FAST, "train.epochs=2", "data.train_limit=300", "train.ema_decay=0.9"])
    fit(config, train_csv, tmp_path / "straight")

    # Interrupt a second run right after its first epoch's checkpoint is written...
    def interrupt(*args):
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(runner, "save_training_curves", interrupt)
        with pytest.raises(KeyboardInterrupt):
            fit(config, train_csv, tmp_path / "interrupted")
    assert load_checkpoint(tmp_path / "interrupted" / "last.pt")["epoch"] == 1
    # ...then resume it: the weights match the uninterrupted run exactly.
    fit(config, train_csv, tmp_path / "interrupted", resume=True)
    straight = load_checkpoint(tmp_path / "straight" / "last.pt")
    resumed = load_checkpoint(tmp_path / "interrupted" / "last.pt")
    assert resumed["epoch"] == straight["epoch"] == 2
    for part in ("state_dict", "ema_state_dict"):
        for key, value in straight[part].items():
            torch.testing.assert_close(resumed[part][key], value, rtol=0, atol=0)
    epochs = [
        json.loads(line)["epoch"]
        for line in (tmp_path / "interrupted" / "metrics.jsonl").read_text().splitlines()
    ]
    assert epochs == [1, 2]


def test_a_second_run_into_the_same_folder_needs_resume(train_csv, tmp_path):
    config = load_config(None, [*FAST, "train.epochs=1", "data.train_limit=200"])
    fit(config, train_csv, tmp_path / "run")
    with pytest.raises(MienError, match="--resume"):
        fit(config, train_csv, tmp_path / "run")
