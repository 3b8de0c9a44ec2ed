"""The command that lists the shipped models (and the networks one can train): models."""

from __future__ import annotations

import json
from dataclasses import asdict

import click

from mien.cli.app import cli

# Columns: accuracy (%) one view as `mien predict` answers, each under the first figure name a model has
COLUMNS = {
    "PublicTest": ("PublicTest",),
    "PrivateTest": ("FER2013 PrivateTest", "PrivateTest"),
    "FER+ Valid": ("FER+ FER2013Valid",),
    "RAF-DB test": ("RAF-DB test",),
    "KDEF": ("KDEF",),
}


@cli.command()
@click.option("--retired", is_flag=True, help="Also list the models that no longer ship, with their recipes.")
@click.option("--networks", is_flag=True, help="List the registered networks one can train instead.")
@click.option("--json", "as_json", is_flag=True, help="Print the catalogue as JSON.")
def models(retired: bool, networks: bool, as_json: bool) -> None:
    """The models that ship with mien: name, classes, files and accuracy on FER2013's PublicTest and
    PrivateTest, FER+'s majority (FER2013Valid), RAF-DB test and KDEF's posed photos."""
    from mien.catalogue import DEFAULT_MODEL, WEIGHTS, retired_models, shipped_model, shipped_models

    if networks:
        _list_networks()
        return
    shipped, old = shipped_models(), retired_models() if retired else []
    if as_json:
        entries = [asdict(m) | {"default": m.name == DEFAULT_MODEL} for m in shipped]
        entries += [asdict(m) | {"retired": True, "rebuild": m.rebuild_command()} for m in old]
        click.echo(json.dumps(entries, indent=2))
        return
    width = max(len(m.name) for m in [*shipped, *old]) + 12
    click.echo(f"{'model':<{width}}{'classes':>8}{'MB':>7}" + "".join(f"{column:>13}" for column in COLUMNS))
    for model in shipped:
        files = [
            WEIGHTS / file
            for member in [model, *map(shipped_model, model.members)]
            for file in member.files.values()
        ]
        size = sum(path.stat().st_size for path in files if path.is_file())
        name = f"{model.name}{' (default)' if model.name == DEFAULT_MODEL else ''}"
        click.echo(f"{name:<{width}}{len(model.classes):>8}{size / 1e6:>7.1f}" + _figures(model.figures))
        click.echo(f"    {model.summary}")
        click.echo(f"    classes: {', '.join(model.classes)}")
        if model.members:
            click.echo(f"    members: {', '.join(model.members)}")
    for model in old:
        click.echo(f"{model.name + ' (retired)':<{width}}{'':>15}" + _figures(model.figures))
        click.echo(f"    rebuild: {model.rebuild_command()}")


def _figures(figures: dict[str, float]) -> str:
    cells = []
    for names in COLUMNS.values():
        value = next((figures[name] for name in names if name in figures), None)
        cells.append(f"{f'{value:.2f}%' if value is not None else '-':>13}")
    return "".join(cells)


def _list_networks() -> None:
    from mien.models.registry import create_model, list_models

    for name in list_models():
        parameters = sum(p.numel() for p in create_model(name).parameters())
        click.echo(f"{name:<12}{parameters / 1e6:6.2f}M parameters")
