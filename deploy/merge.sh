#!/bin/sh
# After every shard finished: `deploy/merge.sh` checks the shards under $LOCKSTEP_OUT/shards
# (no overlap, no gap, every file against its manifest line's hash) and writes one combined
# manifest into $LOCKSTEP_OUT. It exits non-zero naming each missing or damaged shard; re-run the
# shards it names (they resume), then merge again.
set -eu
: "${LOCKSTEP_OUT:?set LOCKSTEP_OUT to the shared output folder the shards wrote under}"
if ! ls -d "$LOCKSTEP_OUT"/shards/[0-9]* >/dev/null 2>&1; then
  echo "$0: no shard folders under $LOCKSTEP_OUT/shards" >&2
  exit 1
fi
# shellcheck disable=SC2086
exec ${LOCKSTEP:-lockstep} merge --out "$LOCKSTEP_OUT" "$LOCKSTEP_OUT"/shards/[0-9]*
