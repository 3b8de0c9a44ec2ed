#!/usr/bin/env bash
# Debian's Chromium, for the browser tests (tests/web/test_browser.py). Playwright drives this
# browser; it never downloads one of its own. Without it those tests skip with a message.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
  SUDO=""
elif command -v sudo > /dev/null && sudo -n true 2> /dev/null; then
  SUDO="sudo"
else
  echo "install-browser: not root and no sudo; the browser tests will skip" >&2
  exit 0
fi
if ! command -v apt-get > /dev/null; then
  echo "install-browser: no apt-get; install Chromium yourself (or set MIEN_CHROMIUM); the browser tests will skip" >&2
  exit 0
fi
$SUDO apt-get update -qq > /dev/null || true
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium > /dev/null \
  || echo "install-browser: apt-get could not install chromium; the browser tests will skip" >&2
