"""On the real FER+ (skipped without it): the majority counts of its README, through `data check`."""

import json

import pytest
from click.testing import CliRunner

from mien.cli import cli

pytestmark = pytest.mark.ferplus

# ../shared/ferplus/README.md: majority labels per split (votes of 1 dropped, winner above half)
README_COUNTS = {
    "Training": {"neutral": 8733, "happy": 7284, "surprise": 3136, "sad": 3022, "angry": 2098,
                 "disgust": 116, "fear": 536, "contempt": 120, "no_majority": 3513},
    "PublicTest": {"neutral": 1180, "happy": 862, "surprise": 411, "sad": 348, "angry": 289,
                   "disgust": 25, "fear": 60, "contempt": 16, "no_majority": 388},
}  # fmt: skip


def test_data_check_reproduces_the_readme_majority_counts(ferplus_path):
    result = CliRunner().invoke(cli, ["data", "check", str(ferplus_path), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [report["splits"][split]["total"] for split in README_COUNTS] == [28558, 3579]
    for split, expected in README_COUNTS.items():
        counts = {**report["splits"][split]["classes"], "no_majority": report["splits"][split]["no_majority"]}
        assert counts == expected
    votes = report["votes"]
    assert sum(entry["count"] for entry in votes["winning_share"]) == 28558 + 3579
    assert len(votes["not_a_face"]) == 4  # three Training faces and one FER2013Valid face
