#!/bin/sh
# Container entry (also run as-is by test/ops/entrypoint.test.ts): apply migrations, then replace
# this shell with the server so it receives SIGTERM directly and shuts down gracefully.
# Migrations are serialised by a PostgreSQL advisory lock, so several containers starting at once
# apply each migration exactly once. Extra arguments go to the server (e.g. --cluster 4).
set -eu
cd "$(dirname "$0")/.."

if [ "${SKIP_MIGRATIONS:-0}" != "1" ]; then
  node --import tsx src/cli.ts migrate
fi

# The migrations just ran; the server need not take the lock again.
SKIP_MIGRATIONS=1
export SKIP_MIGRATIONS
exec node --import tsx src/server.ts "$@"
