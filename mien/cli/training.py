"""Commands for data, training and evaluation: data check, models, train, evaluate, calibrate,
demo."""

from __future__ import annotations

import json
from pathlib import Path

import click

from mien.cli.app import cli, data_option
from mien.errors import MienError
from mien.runtime import PRECISIONS


@cli.group()
def data() -> None:
    """Inspect FER2013 or FER+ data."""


@data.command("check")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the full report as JSON.")
def data_check(path: Path, as_json: bool) -> None:
    """Count faces per split and class; list unreadable, wrong-size, blank and duplicate images. On
    FER+, the classes are the raters' majority, and the raters' agreement and the images they saw no
    expression in are reported too."""
    from mien.data.cache import load_fer2013
    from mien.data.checks import check_faces, summarize_problems

    report = check_faces(load_fer2013(path))
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    votes = report.get("votes")
    splits = {split: counts for split, counts in report["splits"].items() if counts["total"] or not votes}
    names = list(next(iter(splits.values()))["classes"])
    columns = names + (["no majority"] if votes else []) + ["total"]
    widths = [max(9, len(name) + 1) for name in columns]
    if votes:
        click.echo("FER+ majority labels (votes of 1 dropped, the winner has over half of the rest):")
    click.echo(f"{'split':<12}" + "".join(f"{name:>{width}}" for name, width in zip(columns, widths)))
    for split, counts in splits.items():
        cells = [counts["classes"][name] for name in names] + ([counts["no_majority"]] if votes else [])
        cells.append(counts["total"])
        click.echo(f"{split:<12}" + "".join(f"{cell:>{width}}" for cell, width in zip(cells, widths)))
    click.echo(f"total: {report['total']} faces")
    for kind, count in summarize_problems(report).items():
        click.echo(f"{kind.replace('_', ' ')}: {count}")
    if votes:
        _echo_votes(votes)


def _echo_votes(votes: dict, shown: int = 5) -> None:
    """FER+'s raters' agreement as a text histogram, then the images they saw no expression in."""
    click.echo("raters' agreement: the winning class's share of the votes left (over 0.5: a majority)")
    bins = votes["winning_share"]
    first = next((i for i, entry in enumerate(bins) if entry["count"]), len(bins))
    widest = max(entry["count"] for entry in bins) or 1
    for entry in bins[first:]:
        bar = "#" * round(40 * entry["count"] / widest)
        click.echo(f"  {entry['low']:.1f}-{entry['high']:.1f} {entry['count']:>8} {bar}".rstrip())
    lists = {
        "not a face (NF leads or ties for the lead)": votes["not_a_face"],
        "unknown (unknown leads or ties for the lead)": votes["unknown"],
        "no votes left once votes of 1 are dropped": votes["no_votes_left"],
        "rows FER+ made no image of (no face)": votes["no_image"],
    }
    for title, files in lists.items():
        more = f", ... ({len(files) - shown} more; --json lists all)" if len(files) > shown else ""
        click.echo(f"{title}: {len(files)}" + (f": {', '.join(files[:shown])}{more}" if files else ""))


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
@click.option("--nproc", default=1, show_default=True, type=click.IntRange(min=1),
              help="Processes sharing each batch (DistributedDataParallel), or use torchrun.")  # fmt: skip
def train(data_path, model_name, preset, epochs, out_dir, overrides, resume, nproc) -> None:
    """Train a model on FER2013 Training, choosing the best epoch on PublicTest."""
    from mien.config import load_config
    from mien.train.runner import fit, read_best

    overrides = list(overrides)
    if model_name:
        overrides.append(f"model.name={model_name}")
    if epochs is not None:
        overrides.append(f"train.epochs={epochs}")
    config = load_config(preset, overrides)
    if nproc > 1:
        from mien.train.distributed import launch

        launch(nproc, fit, config, data_path, out_dir, resume)
        best = read_best(out_dir)
    else:
        best = fit(config, data_path, out_dir, resume=resume)
    if not best:  # a rank other than 0 under torchrun: rank 0 reports
        return
    click.echo(
        f"best PublicTest accuracy {best['accuracy']:.4f} (macro-F1 {best['macro_f1']:.4f}) "
        f"at epoch {best['epoch']}; checkpoint {out_dir / 'best.pt'}"
    )


@cli.command()
@click.argument("checkpoints", nargs=-1, type=click.Path(path_type=Path))
@data_option
@click.option("--split", type=click.Choice(["public", "private", "holdout"]), default="public",
              show_default=True,
              help="public: PublicTest (FER+: FER2013Valid); private: PrivateTest (FER+: FER2013Test, "
                   "where the copy has it); holdout: the Training faces the checkpoints' run held out "
                   "(data.holdout), to choose on.")  # fmt: skip
@click.option("--tta", is_flag=True, help="Average predictions over flips and shifted crops.")
@click.option("--ensemble", is_flag=True, help="Evaluate the shipped ensemble (instead of CHECKPOINTS).")
@click.option(
    "--out",
    "out_dir",
    default="evaluation",
    type=click.Path(path_type=Path),
    show_default=True,
    help="Folder for the JSON report, the confusion matrix and the reliability diagram (PNG).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option(
    "--precision",
    type=click.Choice(PRECISIONS),
    default="auto",
    show_default=True,
    help="auto: bf16 where the CPU has it in hardware, else fp32.",
)
@click.option("--against", "baseline", multiple=True, type=click.Path(path_type=Path),
              help="A model (file or shipped name; repeat it for an ensemble) to compare with on the "
                   "same faces: the difference in accuracy with its paired 95% interval.")  # fmt: skip
def evaluate(checkpoints, data_path, split, tta, ensemble, out_dir, as_json, precision, baseline) -> None:
    """Accuracy, macro-F1, per-class precision/recall, confusion matrix and calibration of CHECKPOINTS
    (default: the shipped model); several checkpoints are evaluated as an ensemble. On FER+, the faces
    with a majority label are scored, and the cross-entropy against the raters' votes is reported.
    Each figure comes with its 95% interval: where it could land on other faces drawn like these."""
    from mien.catalogue import member_files, model_file, resolve_model
    from mien.outputs import write_json
    from mien.render.plots import save_confusion_matrix, save_reliability_diagram
    from mien.train.evaluate import evaluate as run_evaluation

    if ensemble and checkpoints:
        raise MienError("--ensemble evaluates the shipped models; to evaluate your own, list them instead")
    shipped = member_files() if ensemble else [model_file()]
    chosen = [resolve_model(checkpoint) for checkpoint in checkpoints]
    against = [resolve_model(model) for model in baseline]
    report = run_evaluation(chosen or shipped, data_path, split, tta, precision, against)
    stem = f"{split}{'_ensemble' if ensemble else ''}{'_tta' if tta else ''}"
    out_dir.mkdir(parents=True, exist_ok=True)
    write_json(out_dir / f"{stem}.json", report)
    title = f"{report['split']}: accuracy {report['accuracy']:.4f}, macro-F1 {report['macro_f1']:.4f}"
    save_confusion_matrix(
        report["confusion_matrix"], report["class_names"], out_dir / f"{stem}_confusion.png", title
    )
    calibration_title = f"{report['split']}: calibration error {report['expected_calibration_error']:.4f}"
    save_reliability_diagram(report["reliability"], out_dir / f"{stem}_reliability.png", calibration_title)
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    intervals = report["intervals"]
    click.echo(
        f"{report['split']} ({report['count']} faces, {report['precision']}{', TTA' if tta else ''}): "
        f"accuracy {report['accuracy']:.4f} {_interval(intervals['accuracy'])}, macro-F1 "
        f"{report['macro_f1']:.4f} {_interval(intervals['macro_f1'])}, log loss {report['log_loss']:.4f}, "
        f"calibration error {report['expected_calibration_error']:.4f} "
        f"{_interval(intervals['expected_calibration_error'])}"
    )
    click.echo("[95% intervals, the faces resampled; --against MODEL compares two models on the same faces]")
    if report.get("vote_cross_entropy") is not None:
        click.echo(
            f"FER+: {report['without_majority']} faces without a majority label left out; cross-entropy "
            f"against the raters' vote shares {report['vote_cross_entropy']:.4f} "
            f"({report['vote_faces']} faces)"
        )
    if "against" in report:
        _echo_difference(report["against"], baseline)
    if report["model_lacks"]:
        lacking = ", ".join(report["model_lacks"])
        click.echo(f"the model has no class {lacking}: it scores 0 there, so those faces count as wrong")
    click.echo(f"{'class':<10}{'precision':>10}{'recall':>8}{'95%':>14}{'f1':>8}{'support':>9}")
    for name, row in report["per_class"].items():
        recall_interval = intervals["recall"][name]
        within = f"{recall_interval[0]:.3f}-{recall_interval[1]:.3f}" if recall_interval else "-"
        click.echo(
            f"{name:<10}{row['precision']:>10.3f}{row['recall']:>8.3f}{within:>14}{row['f1']:>8.3f}"
            f"{row['support']:>9}"
        )
    click.echo(f"wrote {out_dir / (stem + '.json')}, {stem}_confusion.png and {stem}_reliability.png")


def _interval(bounds: list[float]) -> str:
    return f"[{bounds[0]:.4f}, {bounds[1]:.4f}]"


def _echo_difference(against: dict, baseline: tuple[Path, ...]) -> None:
    names = " + ".join(str(model) for model in baseline)
    low, high = against["interval"]
    verdict = "the faces cannot tell it from chance" if low <= 0 <= high else "more than chance"
    click.echo(
        f"against {names} (accuracy {against['accuracy']:.4f}): {against['difference']:+.4f}, paired "
        f"95% interval [{low:+.4f}, {high:+.4f}]: {verdict}; only this model right on "
        f"{against['only_this_right']} faces, only {names} on {against['only_baseline_right']}"
    )


@cli.command()
@click.argument("checkpoint", type=click.Path(path_type=Path))
@click.option("--data", "data_paths", required=True, multiple=True, type=click.Path(path_type=Path),
              help="FER2013, FER+ or RAF-DB (repeat it to calibrate on several sets at once).")  # fmt: skip
@click.option("--split", type=click.Choice(["public", "holdout"]), default="public", show_default=True,
              help="public: PublicTest (FER+: FER2013Valid); holdout: the Training faces CHECKPOINT's run "
                   "held out (data.holdout), for models whose PublicTest is a reported split.")  # fmt: skip
@click.option("--tta/--no-tta", default=True, show_default=True, help="Fit the probabilities TTA averages.")
@click.option("--class-bias/--no-class-bias", default=True, show_default=True,
              help="Fit one bias per class beside the temperature (they can change labels; the "
                   "temperature alone never does).")  # fmt: skip
@click.option("--by-logits", "by", flag_value="logits",
              help="Fit a temperature that reads each face's logits instead (for faces of several "
                   "kinds; it never changes a label).")  # fmt: skip
@click.option("--by-hidden", "by", flag_value="hidden",
              help="Fit a temperature that reads each face's hidden layer (what the last layer "
                   "reads) instead: it tells kinds of face apart better; never changes a label.")  # fmt: skip
@click.option("--out", required=True, type=click.Path(path_type=Path), help="The checkpoint to write.")
def calibrate(checkpoint, data_paths, split, tta, class_bias, by, out) -> None:
    """Fit a temperature and one bias per class on a validation split and bake them into
    CHECKPOINT's last layer: probabilities that say how often the model is right, and less bias
    toward rare classes."""
    from mien.catalogue import resolve_model
    from mien.models.checkpoint import save_checkpoint
    from mien.train.calibrate import calibrate as fit_and_bake

    calibrated = fit_and_bake(
        resolve_model(checkpoint), list(data_paths), split, tta, class_bias and not by, by
    )
    save_checkpoint(out, calibrated)
    record = calibrated["calibration"][-1]
    if by == "logits":
        fitted = record["temperature_by_logits"]
        weights = ", ".join(f"{name} {weight:+.3f}" for name, weight in fitted["weight"].items())
        click.echo(f"temperature exp({fitted['bias']:+.3f} + w . logits); w: {weights}")
    elif by == "hidden":
        fitted = record["temperature_by_hidden"]
        click.echo(f"temperature exp({fitted['bias']:+.3f} + w . hidden), {len(fitted['weight'])} weights")
    else:
        biases = ", ".join(f"{name} {bias:+.2f}" for name, bias in record["class_bias"].items())
        click.echo(f"temperature {record['temperature']:.3f}; class biases {biases}")
    click.echo(f"on {record['split']} ({record['faces']} faces{', TTA' if tta else ''}):")
    for label, figures in (("before", record["before"]), ("after", record["after"])):
        click.echo(
            f"  {label:<7}accuracy {figures['accuracy']:.4f}, macro-F1 {figures['macro_f1']:.4f}, log loss "
            f"{figures['log_loss']:.4f}, calibration error {figures['expected_calibration_error']:.4f}"
        )
    click.echo(f"wrote {out}")


@cli.command()
@click.argument("checkpoints", nargs=-1, required=True, type=click.Path(path_type=Path))
@data_option
@click.option("--out", required=True, type=click.Path(path_type=Path), help="The checkpoint to write.")
def soup(checkpoints, data_path, out) -> None:
    """Average the weights of CHECKPOINTS, runs fine-tuned from one starting point, into one model
    (a weight soup); batch-norm statistics are measured again on the Training faces."""
    from mien.catalogue import resolve_model
    from mien.models.checkpoint import save_checkpoint
    from mien.train.soup import soup_checkpoints

    save_checkpoint(out, soup_checkpoints([resolve_model(c) for c in checkpoints], data_path))
    click.echo(f"wrote {out}: the mean of {len(checkpoints)} models' weights")


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
