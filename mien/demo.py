"""Install checks on bundled data: recognise the faces in a photo, or train on synthetic faces."""

from __future__ import annotations

from pathlib import Path

from mien.config import load_config
from mien.data.synthetic import write_csv
from mien.outputs import write_png
from mien.pipeline import Predictor
from mien.render.annotate import annotate
from mien.train.evaluate import evaluate
from mien.train.runner import fit
from mien.types import ImageResult

DEMO_COUNTS = {"Training": 2100, "PublicTest": 350, "PrivateTest": 350}


def run_recognition_demo(out_dir: Path, predictor: Predictor) -> tuple[ImageResult, Path]:
    """Recognise the face in scikit-image's astronaut photo; write the photo and an annotated copy."""
    from skimage import data

    photo = data.astronaut()
    write_png(Path(out_dir) / "astronaut.png", photo)
    result = ImageResult(str(Path(out_dir) / "astronaut.png"), faces=predictor.predict(photo))
    annotated = Path(out_dir) / "astronaut_annotated.png"
    write_png(annotated, annotate(photo, result.faces))
    return result, annotated


def run_training_demo(out_dir: Path, epochs: int = 3) -> dict:
    """Write a synthetic fer2013.csv, train vgg_s on it and evaluate on its PrivateTest split."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    data_path = write_csv(out_dir / "cartoon_faces.csv", DEMO_COUNTS)
    run_dir = out_dir / "run"
    for stale in ("last.pt", "best.pt"):
        (run_dir / stale).unlink(missing_ok=True)
    config = load_config(None, [f"train.epochs={epochs}", "train.batch_size=64", "train.lr=0.05"])
    fit(config, data_path, run_dir)
    return evaluate([run_dir / "best.pt"], data_path, "private")
