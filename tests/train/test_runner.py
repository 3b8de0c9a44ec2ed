import json

import pytest
import torch

from mien.config import load_config
from mien.errors import MienError
from mien.models.checkpoint import load_checkpoint, model_from_checkpoint, save_checkpoint
from mien.train import run_folder, runner
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
    assert all(e["public_log_loss"] > 0 and 0 <= e["public_calibration_error"] <= 1 for e in epochs)
    assert epochs[-1]["public_log_loss"] < epochs[0]["public_log_loss"]  # it learns to be right, and sure
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
        patch.setattr(run_folder, "save_training_curves", interrupt)
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


def test_bf16_is_kept_only_where_it_is_fast(train_csv, tmp_path, monkeypatch):
    config = load_config(None, [*FAST, "train.bf16=true", "train.epochs=1", "data.train_limit=200"])
    monkeypatch.setattr(runner, "native_bf16", lambda: False)  # an AVX2 CPU: bf16 only emulated
    assert runner._with_fast_precision(config, torch.device("cuda")).train.bf16
    fit(config, train_csv, tmp_path / "run")
    assert json.loads((tmp_path / "run" / "config.json").read_text())["train"]["bf16"] is False
    assert load_checkpoint(tmp_path / "run" / "last.pt")["config"]["train"]["bf16"] is False

    monkeypatch.setattr(runner, "native_bf16", lambda: True)  # AVX-512 BF16 or AMX
    assert runner._with_fast_precision(config, torch.device("cpu")).train.bf16


def test_swa_averages_the_weights_after_each_epoch_and_resumes(train_csv, tmp_path, monkeypatch):
    config = load_config(None, [*FAST, "train.epochs=2", "data.train_limit=300", "train.swa_from_epoch=1"])

    def interrupt(*args):
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:  # stop after epoch 1, keeping its weights, then resume
        patch.setattr(run_folder, "save_training_curves", interrupt)
        with pytest.raises(KeyboardInterrupt):
            fit(config, train_csv, tmp_path / "run")
    after_first = load_checkpoint(tmp_path / "run" / "last.pt")
    fit(config, train_csv, tmp_path / "run", resume=True)
    after_second = load_checkpoint(tmp_path / "run" / "last.pt")

    assert after_second["swa_full"]["n_averaged"].item() == 2
    for key, weight in after_second["state_dict"].items():
        if "running" in key or "num_batches" in key:
            continue  # batch-norm statistics are measured again, not averaged
        mean = (after_first["state_dict"][key] + weight) / 2
        torch.testing.assert_close(after_second["swa_state_dict"][key], mean, rtol=1e-5, atol=1e-6)
    shipped = model_from_checkpoint(after_second).state_dict()  # what ships is the average
    torch.testing.assert_close(shipped["head.5.weight"], after_second["swa_state_dict"]["head.5.weight"])
    assert not torch.equal(
        shipped["features.1.running_mean"], after_second["state_dict"]["features.1.running_mean"]
    )


def test_init_from_starts_at_the_given_weights(train_csv, tmp_path):
    fit(load_config(None, [*FAST, "train.epochs=2"]), train_csv, tmp_path / "first")
    source = load_checkpoint(tmp_path / "first" / "last.pt")
    # learning rate 0: the run keeps its starting weights, so they must be the source's
    overrides = ["train.lr=0", "train.final_lr_fraction=1", "train.epochs=1", "train.swa_from_epoch=1"]
    config = load_config(None, [*FAST, *overrides, f"train.init_from={tmp_path / 'first' / 'last.pt'}"])
    fit(config, train_csv, tmp_path / "tuned")
    tuned = load_checkpoint(tmp_path / "tuned" / "last.pt")
    for key, weight in source["state_dict"].items():
        if weight.is_floating_point() and "running" not in key:
            torch.testing.assert_close(tuned["swa_state_dict"][key], weight)
    # a source calibrated by its logits: the run starts from its network and leaves the temperature
    temperature = {"temperature.weight": torch.ones(7), "temperature.bias": torch.ones(())}
    tempered = source | {"state_dict": source["state_dict"] | temperature}
    save_checkpoint(tmp_path / "tempered.pt", tempered)
    config = load_config(None, [*FAST, *overrides, f"train.init_from={tmp_path / 'tempered.pt'}"])
    fit(config, train_csv, tmp_path / "from_tempered")
    from_tempered = load_checkpoint(tmp_path / "from_tempered" / "last.pt")["swa_state_dict"]
    assert not any(key.startswith("temperature.") for key in from_tempered)
    torch.testing.assert_close(from_tempered["head.5.weight"], source["state_dict"]["head.5.weight"])

    with pytest.raises(MienError, match="init_from"):
        wrong = load_config(
            None, [*FAST, "model.name=resnet_s", f"train.init_from={tmp_path / 'first' / 'last.pt'}"]
        )
        fit(wrong, train_csv, tmp_path / "wrong")
    with pytest.raises(MienError, match="do not fit"):  # the same network by name, other shapes
        narrower = load_config(
            None, [*FAST, 'model.args={"hidden": 64}', f"train.init_from={tmp_path / 'first' / 'last.pt'}"]
        )
        fit(narrower, train_csv, tmp_path / "narrower")
    larger_input = load_config(  # the same weights on a larger input: they fit
        None,
        [
            *FAST,
            *overrides,
            'model.args={"input_size": 64}',
            f"train.init_from={tmp_path / 'first' / 'last.pt'}",
        ],
    )
    fit(larger_input, train_csv, tmp_path / "larger_input")
