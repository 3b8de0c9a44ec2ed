"""On the real RAF-DB (skipped without it): the counts of its README, through `data check`."""

import json

import pytest
from click.testing import CliRunner

from mien.cli import cli

pytestmark = pytest.mark.rafdb

# ../shared/rafdb/README.md: faces per class and split (train -> Training, test -> PrivateTest)
README_COUNTS = {
    "Training": {"surprise": 1290, "fear": 281, "disgust": 717, "happy": 4772, "sad": 1982, "angry": 705,
                 "neutral": 2524},
    "PrivateTest": {"surprise": 329, "fear": 74, "disgust": 160, "happy": 1185, "sad": 478, "angry": 162,
                    "neutral": 680},
}  # fmt: skip


def test_data_check_reproduces_the_readme_counts(rafdb_path):
    result = CliRunner().invoke(cli, ["data", "check", str(rafdb_path), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    for split, expected in README_COUNTS.items():
        assert report["splits"][split]["classes"] == expected
        assert report["splits"][split]["total"] == sum(expected.values())
    assert report["splits"]["PublicTest"]["total"] == 0 and report["problems"]["unreadable"] == []
