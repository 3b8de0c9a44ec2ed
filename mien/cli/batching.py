"""The command for large collections: batch (on Ray)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from mien.cli.app import (
    check_model_choice,
    checkpoint_option,
    cli,
    landmarks_option,
    model_option,
    output_option,
)
from mien.errors import MienError


@cli.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@output_option("--out", required=True, folder=lambda out: out.suffix.lower() == ".parquet",
               help="FILE.parquet (a folder of parts) or FILE.csv; a rerun skips inputs in it.")  # fmt: skip
@click.option(
    "--ray", "address", default=None, help="A Ray cluster's address; default: a local Ray instance."
)
@click.option(
    "--every", default=1, show_default=True, type=click.IntRange(min=1), help="Every Nth video frame."
)
@click.option("--aligned", is_flag=True, help="Each image is one cropped face (as in FER2013): no detection.")
@click.option("--actors", type=click.IntRange(min=1), help="Predictor actors; default: one per CPU.")
@landmarks_option
@model_option
@checkpoint_option
def batch(inputs, out, address, every, aligned, actors, landmarks, model, checkpoint) -> None:
    """Recognise faces in many images and videos on Ray Data: one row per face, written as it comes.
    Exits with 1 when any input failed (its row holds the error) or there was nothing to do."""
    from mien.batch import run_batch

    check_model_choice(model, checkpoint)
    chosen = {"checkpoint": str(checkpoint)} if checkpoint else {"model": model} if model else {}
    summary = run_batch(inputs, out, every, aligned, address, actors, model=chosen, landmarks=landmarks)
    click.echo(
        f"{summary['files']} file(s) done ({summary['skipped']} already in {out}), "
        f"{summary['faces']} face(s), {summary['errors']} error(s)"
    )
    if summary["files"] == 0 and summary["skipped"] == 0:
        raise MienError(f"no image or video files in {', '.join(map(str, inputs))}")
    if summary["errors"]:
        sys.exit(1)
