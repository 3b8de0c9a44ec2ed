import json

import pytest

from mien.config import RunConfig
from mien.errors import MienError
from mien.train.run_folder import append_jsonl, prepare_fresh_run, read_jsonl


def test_metrics_log_round_trips_and_a_resumed_epoch_replaces_the_later_ones(tmp_path):
    log = tmp_path / "metrics.jsonl"
    for epoch in (1, 2, 3):
        append_jsonl(log, {"epoch": epoch, "train_loss": 1.0 / epoch})
    assert read_jsonl(log) == [{"epoch": e, "train_loss": 1.0 / e} for e in (1, 2, 3)]

    append_jsonl(log, {"epoch": 2, "train_loss": 0.25})  # a run resumed after epoch 1
    assert read_jsonl(log) == [{"epoch": 1, "train_loss": 1.0}, {"epoch": 2, "train_loss": 0.25}]
    assert log.read_text().endswith("}\n") and len(log.read_text().splitlines()) == 2


def test_a_fresh_run_writes_its_config_and_refuses_a_used_folder(tmp_path):
    run = tmp_path / "run"
    config = RunConfig()
    config.train.epochs = 7
    run.mkdir()
    (run / "metrics.jsonl").write_text('{"epoch": 1}\n')  # left by a run that never saved a checkpoint
    prepare_fresh_run(run, config)
    assert not (run / "metrics.jsonl").exists()
    assert json.loads((run / "config.json").read_text())["train"]["epochs"] == 7

    (run / "last.pt").touch()
    with pytest.raises(MienError, match="--resume"):
        prepare_fresh_run(run, config, main=False)  # every rank refuses, not only the main one
