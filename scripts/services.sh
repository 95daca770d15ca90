#!/usr/bin/env bash
# Start the local PostgreSQL the store tests use, if this machine has one and it is down.
# Quiet when it is already up; never fails the build by itself (tests say what is missing).
set -u
host=127.0.0.1
port=5432
command -v pg_isready >/dev/null 2>&1 || exit 0
pg_isready -q -h "$host" -p "$port" && exit 0
if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  for version in $(ls /etc/postgresql); do
    echo "starting PostgreSQL $version…"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  done
fi
for _ in $(seq 1 30); do
  pg_isready -q -h "$host" -p "$port" && exit 0
  sleep 1
done
echo "PostgreSQL is not reachable on $host:$port; its tests will be skipped (and fail in CI)." >&2
exit 0
