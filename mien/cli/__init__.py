"""The `mien` command: thin commands that parse, call one library function, and print or write.

Human output by default, --json for scripts; errors are one line (a traceback only with --debug).
"""

from mien.cli import (  # noqa: F401 - importing registers the commands
    batching,
    catalogue,
    explaining,
    exporting,
    recognition,
    serving,
    training,
)
from mien.cli.app import cli, main

__all__ = ["cli", "main"]
