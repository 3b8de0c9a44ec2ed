"""Training in two processes (DistributedDataParallel over gloo) matches one process with the same
global batch; rank 0 alone writes; an interrupted run resumes. The GPU tests (NCCL) run only
where PyTorch sees GPUs."""

from __future__ import annotations

import json

import pytest
import torch
from click.testing import CliRunner

from mien.cli import cli
from mien.config import load_config
from mien.data.synthetic import write_csv
from mien.errors import MienError
from mien.train.distributed import Ranks, launch, process_group_backend, training_device
from mien.train.runner import fit

SETTINGS = ["train.batch_size=64", "train.bf16=false", "train.lr=0.01", "train.warmup_epochs=0"]


@pytest.fixture(scope="module")
def small_csv_data(tmp_path_factory):
    return write_csv(
        tmp_path_factory.mktemp("ddp") / "fer2013.csv", {"Training": 512, "PublicTest": 64}, seed=5
    )


def metrics(run) -> list[dict]:
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


def test_two_processes_match_one_with_the_same_global_batch(small_csv_data, tmp_path):
    config = load_config(None, [*SETTINGS, "train.epochs=1"])
    fit(config, small_csv_data, tmp_path / "one")
    launch(2, fit, config, small_csv_data, tmp_path / "two", False)
    [one], [two] = metrics(tmp_path / "one"), metrics(tmp_path / "two")  # rank 0 alone wrote: one line
    assert one["steps"] == two["steps"] == 8  # 512 images in global batches of 64
    # Same initial weights, data order and augmentation; batch-norm statistics (per shard) and
    # dropout masks (per process) differ, so the losses agree closely, not exactly.
    assert two["train_loss"] == pytest.approx(one["train_loss"], rel=0.03)
    assert two["public_acc"] == pytest.approx(one["public_acc"], abs=0.1)


def test_a_distributed_run_resumes_from_the_command_line(small_csv_data, tmp_path):
    runner = CliRunner()
    common = ["train", "--data", str(small_csv_data), "--out", str(tmp_path / "run"), "--nproc", "2"]
    overrides = [item for setting in SETTINGS for item in ("--set", setting)]
    result = runner.invoke(cli, [*common, *overrides, "--epochs", "1"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, [*common, *overrides, "--epochs", "2", "--resume"])
    assert result.exit_code == 0, result.output
    assert [m["epoch"] for m in metrics(tmp_path / "run")] == [1, 2]
    assert "best PublicTest accuracy" in result.output


def test_each_rank_takes_its_share_of_a_batch():
    batch = list(range(10))
    shares = [batch[Ranks(rank, 3).shard()] for rank in range(3)]
    assert shares == [[0, 3, 6, 9], [1, 4, 7], [2, 5, 8]]
    assert Ranks(0, 3).main and not Ranks(1, 3).main


def test_each_process_picks_its_device_and_backend(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert training_device("auto") == torch.device("cpu")
    with pytest.raises(MienError, match="no GPU"):
        training_device("cuda")
    with pytest.raises(MienError, match="valid: auto, cpu, cuda"):
        training_device("tpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 4)
    monkeypatch.setenv("LOCAL_RANK", "5")  # a second process group member on a 4-GPU machine
    assert training_device("auto") == torch.device("cuda", 1)
    assert training_device("cpu") == torch.device("cpu")
    assert process_group_backend(torch.device("cuda", 1)) == "nccl"
    assert process_group_backend(torch.device("cpu")) == "gloo"


def test_more_processes_than_gpus_train_on_the_cpu_or_are_refused(monkeypatch):
    # seen on a one-GPU machine: two ranks on one GPU made NCCL fail ("Duplicate GPU detected")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "2")
    monkeypatch.setenv("LOCAL_RANK", "1")
    assert training_device("auto") == torch.device("cpu")
    with pytest.raises(MienError, match="2 processes on this machine but 1 GPU"):
        training_device("cuda")
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "1")
    monkeypatch.setenv("LOCAL_RANK", "0")
    assert training_device("auto") == torch.device("cuda", 0)


GPUS = torch.cuda.device_count()


@pytest.mark.skipif(GPUS < 1, reason="no GPU that PyTorch can use")
def test_training_on_a_gpu_matches_the_cpu(small_csv_data, tmp_path):
    config = load_config(None, [*SETTINGS, "train.epochs=1", "train.device=cpu"])
    fit(config, small_csv_data, tmp_path / "cpu")
    config.train.device = "cuda"
    fit(config, small_csv_data, tmp_path / "gpu")
    [cpu], [gpu] = metrics(tmp_path / "cpu"), metrics(tmp_path / "gpu")
    assert gpu["train_loss"] == pytest.approx(cpu["train_loss"], rel=0.03)


@pytest.mark.skipif(GPUS < 2, reason="NCCL needs two GPUs")
def test_two_gpu_processes_over_nccl_match_one(small_csv_data, tmp_path):
    config = load_config(None, [*SETTINGS, "train.epochs=1", "train.device=cuda"])
    fit(config, small_csv_data, tmp_path / "one")
    launch(2, fit, config, small_csv_data, tmp_path / "two", False)
    [one], [two] = metrics(tmp_path / "one"), metrics(tmp_path / "two")
    assert two["train_loss"] == pytest.approx(one["train_loss"], rel=0.03)
