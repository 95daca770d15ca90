#!/usr/bin/env bash
# espeak-ng for the overlay's server-side read-aloud and its tests (Debian package; offline).
# Installs only as root and only when missing; otherwise says how.
set -u
command -v espeak-ng >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian's espeak-ng for server-side read-aloud…"
  apt-get update -qq >/dev/null 2>&1 || true
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq espeak-ng >/dev/null \
    || echo "could not install espeak-ng; the server read-aloud test will fail" >&2
else
  echo "espeak-ng is missing (sudo apt-get install espeak-ng): server read-aloud tests fail." >&2
fi
exit 0
