#!/usr/bin/env bash
# Debian's Chromium for the browser tests (Playwright drives it; it never downloads a browser).
# Installs only as root and only when missing; otherwise says how, and the tests skip (CI fails).
set -u
[ -x /usr/bin/chromium ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian's chromium for the browser tests…"
  apt-get update -qq >/dev/null 2>&1 || true
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-color-emoji >/dev/null \
    || echo "could not install chromium; the browser tests will be skipped" >&2
else
  echo "Debian's chromium is missing (sudo apt-get install chromium); browser tests will skip." >&2
fi
exit 0
