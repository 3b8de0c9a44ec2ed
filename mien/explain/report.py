"""Explanations to files: per face and method, a PNG (over the aligned face and over the photo),
the raw map (.npy), and one JSON per image with method, target class and score."""

from __future__ import annotations

from pathlib import Path

from mien.outputs import write_json, write_npy, write_png
from mien.pipeline import Predictor
from mien.render.heatmap import map_to_frame, overlay, side_by_side
from mien.vision.io import read_image


def write_explanations(
    predictor: Predictor, path: Path, methods: list[str], target: str | None, aligned: bool, out_dir: Path
) -> str:
    """Explain every face in one image with every method; returns a one-line summary."""
    image = read_image(path, predictor.max_pixels)
    stem = Path(path).stem
    records = []
    for method in methods:
        for index, explanation in enumerate(predictor.explain(image, method, target, aligned)):
            name = f"{stem}_face{index}_{method}"
            face_view = overlay(explanation.aligned.crop, explanation.heat)
            photo_view = overlay(image, map_to_frame(explanation.heat, explanation.aligned, image.shape))
            write_png(out_dir / f"{name}.png", side_by_side(face_view, photo_view))
            write_npy(out_dir / f"{name}.npy", explanation.heat)
            records.append(
                {
                    "face": index,
                    "box": explanation.prediction.to_dict()["box"],
                    "method": method,
                    "target": explanation.target,
                    "score": round(explanation.score, 4),
                    "png": f"{name}.png",
                    "map": f"{name}.npy",
                }
            )
    write_json(out_dir / f"{stem}_explanations.json", {"path": str(path), "explanations": records})
    faces = len({r["face"] for r in records})
    return f"{faces} face(s), {len(records)} map(s) in {out_dir}"
