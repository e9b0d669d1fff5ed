#!/usr/bin/env bash
# Install Debian's chromium for the headless review-page test (tests/serve/test_review_browser.py).
# Why Debian's package: `playwright install` downloads a browser at run time, which this project
# never does; playwright drives /usr/bin/chromium through executable_path instead.
# Needs root (apt-get); without root it explains and exits 0 so CI scripts can carry on (the browser
# test then skips with a reason).
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  echo "chromium already installed: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
  exit 0
fi

if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
  else
    echo "skipping: /usr/bin/chromium is missing and installing it needs root (apt-get install -y chromium)." >&2
    echo "the browser test will be skipped." >&2
    exit 0
  fi
else
  SUDO=""
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "skipping: apt-get not found; install a chromium build at /usr/bin/chromium by hand." >&2
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends chromium
/usr/bin/chromium --version || true
