"""The layers import downward only: inference never loads training code, computing never draws."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "mien"
EXAMPLE = PACKAGE.parent / "examples" / "astronaut.jpg"

# module (or package) -> what it must never import, even lazily inside a function
FORBIDDEN = {
    "catalogue.py": ("mien.pipeline", "mien.train", "mien.cli", "mien.web", "mien.models"),
    "models": ("mien.pipeline", "mien.train", "mien.cli", "mien.web", "mien.explain", "mien.data.augment"),
    "backends": ("mien.pipeline", "mien.train", "mien.cli", "mien.web", "mien.data.augment"),
    "vision": ("mien.pipeline", "mien.train", "mien.cli", "mien.web", "mien.models", "mien.backends"),
    "pipeline.py": ("mien.train", "mien.cli", "mien.web", "mien.render", "mien.data.augment"),
    "explain": ("mien.pipeline", "mien.train", "mien.cli", "mien.web", "mien.render", "mien.outputs"),
    "render": ("mien.pipeline", "mien.train", "mien.cli", "mien.web", "mien.explain", "mien.models"),
    "train": ("mien.pipeline", "mien.cli", "mien.web", "mien.video", "mien.batch"),
}


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("part", sorted(FORBIDDEN))
def test_a_layer_never_imports_the_layers_above_it(part):
    files = [PACKAGE / part] if part.endswith(".py") else sorted((PACKAGE / part).rglob("*.py"))
    broken = {
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in files
        for name in imported_modules(path)
        if any(name == bad or name.startswith(f"{bad}.") for bad in FORBIDDEN[part])
    }
    assert broken == set()


def test_predicting_on_pytorch_loads_no_training_code():
    script = (
        "import sys; from mien.pipeline import Predictor; "
        f"faces = Predictor.default(backend='torch').predict({str(EXAMPLE)!r}); "
        "loaded = sorted(m for m in sys.modules if m.startswith(('mien.train', 'mien.data.augment'))); "
        "print(faces[0].label, 'torch' in sys.modules, loaded)"
    )
    output = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert output.split() == ["happy", "True", "[]"]
