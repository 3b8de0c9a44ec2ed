"""The `mien` command: thin commands that parse, call one library function, and print or write.

Human output by default, --json for scripts; errors are one line (a traceback only with --debug).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from mien.errors import MienError
from mien.runtime import PRECISIONS
from mien.vision.detect import list_detectors
from mien.vision.io import DEFAULT_MAX_PIXELS


def predictor_options(command):
    """The options every command that loads a model shares."""
    options = [
        click.option("--checkpoint", type=click.Path(path_type=Path), help="Instead of the shipped model."),
        click.option("--tta", is_flag=True, help="Average over flips and shifted crops (slower)."),
        click.option("--precision", type=click.Choice(PRECISIONS), default="auto", show_default=True,
                     help="auto: bf16 where the CPU has it in hardware, else fp32."),
        click.option("--detector", type=click.Choice(list_detectors()), default="yunet", show_default=True,
                     help="Face detector."),
    ]  # fmt: skip
    for option in reversed(options):
        command = option(command)
    return command


data_option = click.option(
    "--data",
    "data_path",
    required=True,
    type=click.Path(path_type=Path),
    help="FER2013 folder or fer2013.csv.",
)


def _predictor(checkpoint: Path | None, **options):
    from mien.pipeline import Predictor

    return Predictor.from_checkpoint(checkpoint, **options) if checkpoint else Predictor.default(**options)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
@click.version_option(package_name="mien")
@click.pass_context
def cli(context: click.Context, debug: bool) -> None:
    """mien: facial expression recognition you can train, evaluate and trust."""
    context.obj = {"debug": debug}


@cli.group()
def data() -> None:
    """Inspect FER2013 data."""


@data.command("check")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the full report as JSON.")
def data_check(path: Path, as_json: bool) -> None:
    """Count faces per split and class; list unreadable, wrong-size, blank and duplicate images."""
    from mien.data.cache import load_fer2013
    from mien.data.checks import check_faces, summarize_problems

    report = check_faces(load_fer2013(path))
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    from mien.data.fer2013 import CLASS_NAMES

    click.echo(f"{'split':<12}" + "".join(f"{name:>9}" for name in CLASS_NAMES) + f"{'total':>9}")
    for split, counts in report["splits"].items():
        cells = "".join(f"{counts['classes'][name]:>9}" for name in CLASS_NAMES)
        click.echo(f"{split:<12}{cells}{counts['total']:>9}")
    click.echo(f"total: {report['total']} faces")
    for kind, count in summarize_problems(report).items():
        click.echo(f"{kind.replace('_', ' ')}: {count}")


@cli.command()
def models() -> None:
    """List the registered models."""
    from mien.models.registry import create_model, list_models

    for name in list_models():
        parameters = sum(p.numel() for p in create_model(name).parameters())
        click.echo(f"{name:<12}{parameters / 1e6:6.2f}M parameters")


@cli.command()
@data_option
@click.option("--model", "model_name", default=None, help="Registered model name (see `mien models`).")
@click.option("--preset", default=None, help="Preset name in mien/presets or a TOML file.")
@click.option(
    "--epochs", type=int, default=None, help="Number of epochs (shortcut for --set train.epochs=N)."
)
@click.option("--out", "out_dir", default="runs/latest", type=click.Path(path_type=Path), help="Run folder.")
@click.option(
    "--set", "overrides", multiple=True, metavar="KEY=VALUE", help="Override a setting, e.g. train.lr=0.05."
)
@click.option("--resume", is_flag=True, help="Continue the interrupted run in --out.")
def train(data_path, model_name, preset, epochs, out_dir, overrides, resume) -> None:
    """Train a model on FER2013 Training, choosing the best epoch on PublicTest."""
    from mien.config import load_config
    from mien.train.runner import fit

    overrides = list(overrides)
    if model_name:
        overrides.append(f"model.name={model_name}")
    if epochs is not None:
        overrides.append(f"train.epochs={epochs}")
    best = fit(load_config(preset, overrides), data_path, out_dir, resume=resume)
    click.echo(
        f"best PublicTest accuracy {best['accuracy']:.4f} (macro-F1 {best['macro_f1']:.4f}) "
        f"at epoch {best['epoch']}; checkpoint {out_dir / 'best.pt'}"
    )


@cli.command()
@click.argument("checkpoints", nargs=-1, type=click.Path(path_type=Path))
@data_option
@click.option("--split", type=click.Choice(["public", "private"]), default="public", show_default=True)
@click.option("--tta", is_flag=True, help="Average predictions over flips and shifted crops.")
@click.option(
    "--out",
    "out_dir",
    default="evaluation",
    type=click.Path(path_type=Path),
    show_default=True,
    help="Folder for the JSON report and the confusion-matrix PNG.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option(
    "--precision",
    type=click.Choice(PRECISIONS),
    default="auto",
    show_default=True,
    help="auto: bf16 where the CPU has it in hardware, else fp32.",
)
def evaluate(checkpoints, data_path, split, tta, out_dir, as_json, precision) -> None:
    """Accuracy, macro-F1, per-class precision/recall and confusion matrix of CHECKPOINTS (default: the
    shipped model); several checkpoints are evaluated as an ensemble."""
    from mien.outputs import write_json
    from mien.pipeline import SHIPPED_WEIGHTS
    from mien.render.plots import save_confusion_matrix
    from mien.train.evaluate import evaluate as run_evaluation

    report = run_evaluation(list(checkpoints) or [SHIPPED_WEIGHTS], data_path, split, tta, precision)
    stem = f"{split}{'_tta' if tta else ''}"
    out_dir.mkdir(parents=True, exist_ok=True)
    write_json(out_dir / f"{stem}.json", report)
    title = f"{report['split']}: accuracy {report['accuracy']:.4f}, macro-F1 {report['macro_f1']:.4f}"
    save_confusion_matrix(
        report["confusion_matrix"], report["class_names"], out_dir / f"{stem}_confusion.png", title
    )
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    click.echo(
        f"{report['split']} ({report['count']} faces, {report['precision']}{', TTA' if tta else ''}): "
        f"accuracy {report['accuracy']:.4f}, macro-F1 {report['macro_f1']:.4f}"
    )
    click.echo(f"{'class':<10}{'precision':>10}{'recall':>8}{'f1':>8}{'support':>9}")
    for name, row in report["per_class"].items():
        click.echo(
            f"{name:<10}{row['precision']:>10.3f}{row['recall']:>8.3f}{row['f1']:>8.3f}{row['support']:>9}"
        )
    click.echo(f"wrote {out_dir / (stem + '.json')} and {out_dir / (stem + '_confusion.png')}")


@cli.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="JSON Lines on stdout, one object per image.")
@click.option("--csv", "csv_path", type=click.Path(path_type=Path), help="Also write one CSV row per face.")
@click.option(
    "--annotate", "annotate_dir", type=click.Path(path_type=Path), help="Write annotated copies here."
)
@click.option("--aligned", is_flag=True, help="Each image is one cropped face (as in FER2013): no detection.")
@click.option(
    "--max-pixels", default=DEFAULT_MAX_PIXELS, show_default=True, help="Refuse larger images unread."
)
@predictor_options
def predict(inputs, as_json, csv_path, annotate_dir, aligned, max_pixels, **predictor_options) -> None:
    """Find every face in photos (files or folders), align it and say which expression it shows."""
    from tqdm import tqdm

    from mien.outputs import write_png, write_results_csv
    from mien.render.annotate import annotate

    predictor = _predictor(**predictor_options)
    predictor.max_pixels = max_pixels
    stream = predictor.predict_aligned_files(inputs) if aligned else predictor.predict_files(inputs)
    results, failures = [], 0
    for result in tqdm(stream, desc="images", unit="img", disable=None, leave=False):
        if result.error:
            failures += 1
            click.echo(f"error: {result.error}", err=True)
        elif annotate_dir:
            write_png(
                annotate_dir / f"{Path(result.path).stem}_annotated.png", annotate(result.image, result.faces)
            )
        click.echo(json.dumps(result.to_dict()) if as_json else _result_text(result), nl=as_json)
        results.append(result if csv_path else None)
    if csv_path:
        write_results_csv(csv_path, results, predictor.class_names)
    if failures:
        sys.exit(1)


def _result_text(result) -> str:
    if result.error:
        return ""
    lines = [f"{result.path}: {len(result.faces) or 'no'} face{'' if len(result.faces) == 1 else 's'}"]
    for index, face in enumerate(result.faces, 1):
        box = " ".join(f"{v:.0f}" for v in face.box.as_list())
        both = f" (also {face.compound[1]})" if face.compound else ""
        lines.append(f"  {index}. [{box}] {face.label} {face.scores[face.label]:.2f}{both}")
    return "\n".join(lines) + "\n"


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
    from mien.explain.report import write_explanations
    from mien.vision.io import list_images

    predictor = _predictor(**options)
    methods = list_explainers() if method == "all" else [create_explainer(method).name]
    failures = 0
    for path in list_images(inputs):
        try:
            written = write_explanations(predictor, path, methods, target, aligned, out_dir)
        except MienError as err:
            failures += 1
            click.echo(f"error: {err}", err=True)
            continue
        click.echo(f"{path}: {written}")
    if failures:
        sys.exit(1)


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

    predictor = _predictor(**options)
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


@cli.command()
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--out", "out_video", type=click.Path(path_type=Path), help="Annotated video (MP4).")
@click.option("--csv", "csv_path", type=click.Path(path_type=Path), help="One row per frame and face.")
@click.option("--timeline", type=click.Path(path_type=Path), help="Timeline plot (PNG) of every track.")
@click.option(
    "--every", default=1, show_default=True, type=click.IntRange(min=1), help="Use every Nth frame."
)
@click.option("--json", "as_json", is_flag=True, help="Print the per-track summary as JSON.")
@predictor_options
def video(source, out_video, csv_path, timeline, every, as_json, **options) -> None:
    """Track faces through a video and say which expression each shows, frame by frame."""
    from mien.render.plots import save_timeline
    from mien.video import process_video, summarize_tracks

    predictor = _predictor(**options)
    rows = process_video(predictor, source, every, out_video, csv_path)
    if timeline:
        save_timeline(rows, predictor.class_names, timeline)
    summary = summarize_tracks(rows, predictor.class_names)
    if as_json:
        click.echo(json.dumps(summary, indent=2))
        return
    click.echo(f"{len(summary)} track(s) in {source}")
    for track in summary:
        click.echo(
            f"  track {track['track']}: {track['frames']} frames, {track['start']:.1f}-{track['end']:.1f} s, "
            f"mostly {track['dominant']}"
        )


@cli.command()
@click.option("--camera", default=0, show_default=True, help="Camera number.")
@click.option("--source", type=click.Path(path_type=Path), help="A video file instead of the camera.")
@predictor_options
def webcam(camera, source, **options) -> None:
    """Live expressions from a camera in a window (Esc or closing the window stops)."""
    from mien.video import WindowSink, read_frames, recognise_stream

    predictor = _predictor(**options)
    try:
        window = WindowSink(f"mien: camera {camera}")
    except Exception as err:  # tkinter raises TclError without a display
        raise MienError(f"cannot open a window ({err}); try `mien video` on a recording instead") from None
    try:
        for result in recognise_stream(predictor, read_frames(source if source else camera)):
            window(result)
    except KeyboardInterrupt:
        pass
    finally:
        window.close()


@cli.command()
@click.option("--out", "out_dir", default="runs/demo", type=click.Path(path_type=Path), show_default=True)
@click.option("--epochs", default=3, show_default=True)
def demo(out_dir: Path, epochs: int) -> None:
    """Train and evaluate on bundled synthetic cartoon faces: checks a training set-up in a minute."""
    from mien.demo import run_training_demo

    report = run_training_demo(out_dir, epochs)
    click.echo(
        f"demo: accuracy {report['accuracy']:.3f}, macro-F1 {report['macro_f1']:.3f} "
        f"on {report['count']} held-out cartoon faces; run folder {out_dir}"
    )


def main() -> None:
    """Entry point: run the command group, turning MienError into a one-line message."""
    debug = "--debug" in sys.argv[1:]
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as err:
        err.show()
        sys.exit(err.exit_code)
    except MienError as err:
        if debug:
            raise
        click.echo(f"error: {err}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
