#!/bin/sh
# How the server starts in production: the container's entrypoint, `npm start` (after the build)
# and the benchmark all run this. It applies the migrations, then replaces this shell with the
# compiled server (dist/, from `npm run build`) so it receives SIGTERM directly and shuts down
# gracefully. Migrations are serialised by a PostgreSQL advisory lock, so several containers
# starting at once apply each migration exactly once. Extra arguments go to the server
# (e.g. --cluster 4). Memory settings are explained in docs/operations.md ("Memory").
set -eu
cd "$(dirname "$0")/.."

# glibc keeps freed blocks above its (self-raising) mmap threshold in per-thread arenas: each libuv
# thread that ran an argon2 hash (19 MiB) would keep that much resident. A fixed 128 KiB threshold
# hands such blocks back to the system when they are freed.
MALLOC_MMAP_THRESHOLD_="${MALLOC_MMAP_THRESHOLD_:-131072}"
export MALLOC_MMAP_THRESHOLD_
# An explicit V8 heap limit: V8 sizes its heap growth from it (by default from the machine's RAM,
# ~4 GB here), so the heap stays near what the live data needs instead of growing by hundreds of
# MB of garbage between collections. Load shedding answers 503 before the limit is reached.
HEAP_LIMIT_MB="${HEAP_LIMIT_MB:-512}"

if [ "${SKIP_MIGRATIONS:-0}" != "1" ]; then
  node dist/cli.js migrate
fi

# The migrations just ran; the server need not take the lock again.
SKIP_MIGRATIONS=1
export SKIP_MIGRATIONS
# NODE_FLAGS: further node options, e.g. the benchmark's `--cpu-prof --cpu-prof-dir DIR` (options
# NODE_OPTIONS does not allow). Split on spaces on purpose.
# shellcheck disable=SC2086
exec node --max-old-space-size="$HEAP_LIMIT_MB" ${NODE_FLAGS:-} dist/server.js "$@"
