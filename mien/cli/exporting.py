"""The command that exports a model for other runtimes: export."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from mien.catalogue import DEFAULT_MODEL
from mien.cli.app import cli


@cli.command()
@click.argument("checkpoint", required=False, type=click.Path(path_type=Path))
@click.option("--format", "file_format", type=click.Choice(["onnx"]), default="onnx", show_default=True)
@click.option("--out", required=True, type=click.Path(path_type=Path), help="The file to write (.onnx).")
@click.option("--int8", is_flag=True, help="Quantise to int8 (calibrated on 4,096 Training faces of --data).")
@click.option("--data", "data_path", type=click.Path(path_type=Path),
              help="FER2013: PublicTest faces for the check, Training faces to calibrate int8.")  # fmt: skip
@click.option("--faces", default=500, show_default=True, help="Faces the check compares on.")
@click.option("--json", "as_json", is_flag=True, help="Print the check as JSON.")
def export(checkpoint, file_format, out, int8, data_path, faces, as_json) -> None:
    """Export CHECKPOINT (a file or a shipped model's name; default: the default model) to ONNX, and
    compare it with PyTorch."""
    from mien.catalogue import resolve_model
    from mien.train.export import export_and_check

    report = export_and_check(resolve_model(checkpoint or DEFAULT_MODEL), out, int8, data_path, faces)
    if as_json:
        click.echo(json.dumps(report, indent=2))
    else:
        click.echo(f"wrote {out} ({report['precision']}, {report['bytes'] / 1e6:.1f} MB)")
        verdict = {True: "passed", False: "FAILED", None: "int8 is approximate by design"}[report["passed"]]
        click.echo(
            f"against PyTorch on {report['faces']} {report['checked_on']} faces: largest probability "
            f"difference {report['max_abs_difference']:.2e} (limit {report['limit']:g}: {verdict}), "
            f"same label on {report['same_label']:.1%}"
        )
    if report["passed"] is False:
        sys.exit(1)
