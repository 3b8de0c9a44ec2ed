"""The `mien` command group, its entry point and the options several commands share."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import click

from mien.atomic import check_writable
from mien.backends import BACKENDS
from mien.catalogue import DEFAULT_MODEL, ENSEMBLE, shipped_model, shipped_names
from mien.errors import MienError
from mien.extras import install_hint, missing_extra
from mien.runtime import INFERENCE_PRECISIONS
from mien.vision.detect import list_detectors


def _shipped_name(context, parameter, name: str | None) -> str | None:
    """A shipped model's name (aliases resolved); an unknown one is a one-line error listing them."""
    return None if name is None else shipped_model(name).name


def _complete_names(context, parameter, incomplete: str) -> list[str]:
    return [name for name in shipped_names() if name.startswith(incomplete)]


model_option = click.option(
    "--model", callback=_shipped_name, shell_complete=_complete_names, metavar="NAME",
    help=f"A shipped model by name: {', '.join(shipped_names())} (`mien models` describes them). "
         f"Default: {DEFAULT_MODEL}.",
)  # fmt: skip
checkpoint_option = click.option(
    "--checkpoint", type=click.Path(path_type=Path), help="Your own model instead of a shipped one."
)


def predictor_options(command):
    """The options every command that loads a model shares."""
    options = [
        model_option,
        checkpoint_option,
        click.option("--tta", is_flag=True, help="Average over flips and shifted crops (slower)."),
        click.option("--ensemble", is_flag=True, help="Average the shipped ensemble's models (slower)."),
        click.option("--backend", type=click.Choice(BACKENDS), default="auto", show_default=True,
                     help="auto: ONNX Runtime for shipped models (faster; no PyTorch), else PyTorch."),
        click.option("--precision", type=click.Choice(INFERENCE_PRECISIONS), default="auto",
                     help="auto: on ONNX Runtime a shipped model's int8 export where it has one (fp32 "
                          "re-answers near-ties); on PyTorch bf16 where the CPU has it, else fp32."),
        click.option("--detector", type=click.Choice(list_detectors()), default="yunet", show_default=True,
                     help="Face detector."),
    ]  # fmt: skip
    for option in reversed(options):
        command = option(command)
    return command


landmarks_option = click.option(
    "--landmarks", is_flag=True,
    help="Also read each face's mesh (468 points), head pose and measures (mouth opening, brow raise, "
         "...): about 5 ms more per face. Off by default.",
)  # fmt: skip

data_option = click.option(
    "--data",
    "data_path",
    required=True,
    type=click.Path(path_type=Path),
    help="FER2013 (its folder or fer2013.csv) or FER+ (its folders or fer2013new.csv).",
)


def output_option(
    *names: str, help: str, folder: bool | Callable[[Path], bool] = False, required: bool = False
):
    """An option naming a file (or, with ``folder``, a folder; a function of the path decides for
    each path) to write. Its path is checked as the command line is read, so a bad one is a one-line
    error before any work, not a traceback after it."""

    def check(context: click.Context, parameter: click.Parameter, path: Path | None) -> Path | None:
        if path is None:
            return None
        try:
            return check_writable(path, folder(path) if callable(folder) else folder)
        except MienError as err:
            raise MienError(f"{parameter.opts[0]} {err}") from None

    return click.option(*names, type=click.Path(path_type=Path), callback=check, required=required, help=help)


def check_model_choice(model: str | None, checkpoint: Path | None, ensemble: bool = False) -> None:
    """--model, --checkpoint and --ensemble each choose the model: at most one of them."""
    if model and checkpoint:
        raise MienError("--model names a shipped model and --checkpoint gives your own: use one of them")
    if model and ensemble:
        raise MienError(f"--model and --ensemble: use one of them (--ensemble is --model {ENSEMBLE})")


def load_predictor(
    checkpoint: Path | None, backend: str, ensemble: bool, model: str | None = None, **options
):
    """The predictor the options chose: a shipped model by name (the default one unless named),
    the shipped ensemble, or a checkpoint."""
    from mien.pipeline import Predictor

    check_model_choice(model, checkpoint, ensemble)
    if ensemble:
        if checkpoint:
            raise MienError(
                "--ensemble uses the shipped models; for your own, give `mien evaluate` several checkpoints"
            )
        return Predictor.ensemble(None, backend, **options)
    if checkpoint:
        return Predictor.from_checkpoint(checkpoint, backend, **options)
    return Predictor.default(model or DEFAULT_MODEL, backend, **options)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
@click.version_option(package_name="mien")
@click.pass_context
def cli(context: click.Context, debug: bool) -> None:
    """mien: facial expression recognition you can train, evaluate and trust."""
    context.obj = {"debug": debug}


def main() -> None:
    """Entry point: run the command group, turning MienError, a bad option and a missing optional
    package into a one-line message."""
    debug = "--debug" in sys.argv[1:]
    try:
        cli.main(prog_name="mien", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.UsageError as err:  # a bad option or argument: one line, as every other error
        where = f" (see {err.ctx.command_path} --help)" if err.ctx else ""
        click.echo(f"error: {err.format_message()}{where}", err=True)
        sys.exit(err.exit_code)
    except click.ClickException as err:
        err.show()
        sys.exit(err.exit_code)
    except MienError as err:
        if debug:
            raise
        click.echo(f"error: {err}", err=True)
        sys.exit(1)
    except ModuleNotFoundError as err:
        extra = missing_extra(err)
        if debug or extra is None:
            raise
        click.echo(f"error: {install_hint(_command_line(sys.argv[1:]), extra)}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)


RECOGNITION = ("predict", "video", "webcam", "serve", "batch")  # these need no PyTorch by default
_PYTORCH_CHOICES = {"--backend": "torch", "--precision": "bf16", "--checkpoint": None}  # None: any value


def _command_line(args: list[str]) -> str:
    """The command that was run, as `mien explain`; for a recognition command with the options that
    chose PyTorch, as `mien predict --backend torch`."""
    words = [arg for arg in args if not arg.startswith("-")]
    command = ["mien", *words[:1]]
    if words[:1] and words[0] in RECOGNITION:
        for option, value in _options(args):
            if option in _PYTORCH_CHOICES and _PYTORCH_CHOICES[option] in (None, value):
                command += [option, value]
    return " ".join(command)


def _options(args: list[str]) -> list[tuple[str, str]]:
    """(option, value) pairs, written either as `--option value` or as `--option=value`."""
    pairs = [tuple(arg.split("=", 1)) for arg in args if arg.startswith("--") and "=" in arg]
    return pairs + [(arg, value) for arg, value in zip(args, args[1:]) if arg.startswith("--")]
