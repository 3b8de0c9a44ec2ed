"""Commands that explain predictions: explain, explain-report."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from mien.cli.app import cli, data_option, load_predictor, predictor_options
from mien.errors import MienError


@cli.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--method",
    default="gradcam",
    show_default=True,
    help="gradcam, hirescam, saliency, occlusion, xrai, integrated_gradients, or all.",
)
@click.option("--target", help="Class to explain (default: the predicted one).")
@click.option("--out", "out_dir", default="explanations", type=click.Path(path_type=Path), show_default=True)
@click.option("--aligned", is_flag=True, help="Each image is one cropped face (as in FER2013): no detection.")
@predictor_options
def explain(inputs, method, target, out_dir, aligned, **options) -> None:
    """Show where the model looked: a heat map per face and method, over the face and the photo."""
    from mien.explain.base import create_explainer, list_explainers
    from mien.vision.io import list_images

    predictor = load_predictor(**options)
    methods = list_explainers() if method == "all" else [create_explainer(method).name]
    failures = 0
    for path in list_images(inputs):
        try:
            written = _write_explanations(predictor, path, methods, target, aligned, out_dir)
        except MienError as err:
            failures += 1
            click.echo(f"error: {err}", err=True)
            continue
        click.echo(f"{path}: {written}")
    if failures:
        sys.exit(1)


def _write_explanations(
    predictor, path: Path, methods: list[str], target, aligned: bool, out_dir: Path
) -> str:
    """Per face and method: a PNG (the map over the aligned face and over the photo), the raw map
    (.npy), and one JSON per image with method, target class and score. Returns a summary line."""
    from mien.outputs import write_json, write_npy, write_png
    from mien.render.heatmap import explanation_panel
    from mien.vision.io import read_image

    image = read_image(path, predictor.max_pixels)
    stem = Path(path).stem
    records = []
    for method in methods:
        for index, explanation in enumerate(predictor.explain(image, method, target, aligned)):
            name = f"{stem}_face{index}_{method}"
            write_png(
                out_dir / f"{name}.png", explanation_panel(image, explanation.heat, explanation.aligned)
            )
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


@cli.command("explain-report")
@data_option
@click.option("--methods", default="all", show_default=True, help="Comma-separated methods, or all.")
@click.option("--limit", default=0, show_default=True, help="Use only N PublicTest faces (0 = all).")
@click.option("--out", "out_dir", default="explanations", type=click.Path(path_type=Path), show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@predictor_options
def explain_report(data_path, methods, limit, out_dir, as_json, **options) -> None:
    """How much of each method's map falls on the eyes, nose and mouth, per predicted class (PublicTest)."""
    from mien.data.cache import load_fer2013
    from mien.data.loaders import stratified_subset
    from mien.explain.base import create_explainer, list_explainers
    from mien.explain.regions import region_report
    from mien.outputs import write_json
    from mien.render.plots import save_region_report

    predictor = load_predictor(**options)
    names = (
        list_explainers()
        if methods == "all"
        else [create_explainer(m.strip()).name for m in methods.split(",")]
    )
    public = load_fer2013(data_path).select("public")
    faces = public.images[stratified_subset(public.labels, limit, seed=0)]
    report = region_report(predictor, faces, names)
    write_json(out_dir / "region_report.json", report)
    save_region_report(report, out_dir / "region_report.png")
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    regions = list(report["region_area"])
    click.echo(f"{'class':<10}{'method':<22}{'faces':>6}" + "".join(f"{r:>8}" for r in regions))
    click.echo(f"{'(area)':<38}" + "".join(f"{report['region_area'][r]:>8.2f}" for r in regions))
    for label, per_method in sorted(report["classes"].items()):
        for method, entry in sorted(per_method.items()):
            cells = "".join(f"{entry[r]:>8.2f}" for r in regions)
            click.echo(f"{label:<10}{method:<22}{entry['faces']:>6}{cells}")
    click.echo(f"wrote {out_dir / 'region_report.json'} and {out_dir / 'region_report.png'}")
