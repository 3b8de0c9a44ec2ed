#!/usr/bin/env bash
# The project's test command (CI runs this too). Real-FER2013 tests run when ../shared/fer2013
# (or $MIEN_FER2013) exists and skip cleanly otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check mien tests benchmarks
.venv/bin/ruff format --check mien tests benchmarks
.venv/bin/python -m pytest "$@"
