"""On the real FER2013 (skipped without it): the official counts and a short train + evaluate."""

import json

import pytest
from click.testing import CliRunner

from mien.cli import cli

pytestmark = pytest.mark.fer2013


def test_data_check_reports_the_official_split_totals(fer2013_path):
    result = CliRunner().invoke(cli, ["data", "check", str(fer2013_path), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    totals = [report["splits"][s]["total"] for s in ("Training", "PublicTest", "PrivateTest")]
    assert totals == [28709, 3589, 3589]
    assert report["splits"]["Training"]["classes"]["disgust"] == 436


def test_one_epoch_on_a_subset_then_evaluate(fer2013_path, tmp_path):
    run_dir = tmp_path / "run"
    result = CliRunner().invoke(
        cli,
        [
            "train",
            "--data",
            str(fer2013_path),
            "--model",
            "vgg_s",
            "--epochs",
            "1",
            "--out",
            str(run_dir),
            "--set",
            "data.train_limit=4000",
            "--set",
            "train.batch_size=32",
            "--set",
            "train.optimizer=adamw",
            "--set",
            "train.lr=0.002",
        ],
    )
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(
        cli,
        [
            "evaluate",
            str(run_dir / "best.pt"),
            "--data",
            str(fer2013_path),
            "--split",
            "public",
            "--json",
            "--out",
            str(tmp_path / "eval"),
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["count"] == 3589
    assert sum(map(sum, report["confusion_matrix"])) == 3589
    assert report["accuracy"] > 0.2  # one short epoch already beats the 1-in-7 of chance (0.143)


def test_the_shipped_model_reproduces_its_model_card_figure_on_public_test(fer2013_path):
    from mien.catalogue import model_file
    from mien.train.evaluate import evaluate

    report = evaluate([model_file("fer2013")], fer2013_path, "public", precision="fp32")
    # docs/model_card.md: 70.83% in fp32 (the headline table)
    assert report["accuracy"] == pytest.approx(0.7083, abs=0.003)
