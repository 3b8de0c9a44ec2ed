"""Run the `mien` command in the test's own process, so its monkeypatches (a test catalogue, a
model loader that fails) hold."""

from __future__ import annotations

import sys

from mien.cli.app import main


def run_mien(monkeypatch, capsys, *args) -> tuple[int, str, str]:
    """`mien ARGS`: its exit code (0 when it ends without one), stdout and stderr."""
    monkeypatch.setattr(sys, "argv", ["mien", *map(str, args)])
    try:
        main()
        code = 0
    except SystemExit as exit:
        code = exit.code or 0
    captured = capsys.readouterr()
    return code, captured.out, captured.err
