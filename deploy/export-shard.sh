#!/bin/sh
# One shard of a Lockstep export: `deploy/export-shard.sh I N` writes slice I of N (0-based) to
# $LOCKSTEP_OUT/shards/IIIII. The Kubernetes Indexed Job and the Slurm array both run this script,
# so every shard runs the same command with the same options; the shards' union is the
# single-machine export, byte for byte. Re-running a shard (a retried pod, a requeued task)
# resumes it from its manifest.
#
# Environment (the same for every shard):
#   LOCKSTEP_OUT          shared output folder (each shard writes $LOCKSTEP_OUT/shards/IIIII)
#   LOCKSTEP_RECIPE       recipe file (Lockstep or Albumentations JSON)
#   LOCKSTEP_IMAGES, LOCKSTEP_MASKS   image and mask folders (or LOCKSTEP_PROJECT: a project folder)
#   LOCKSTEP_EXPORT_ARGS  the shared options, e.g. "--seed 1 --epochs 10 --batch-size 32 --format npy"
#   LOCKSTEP_WORKERS      render threads per shard (optional; default: lockstep's own)
#   LOCKSTEP              the lockstep command (default: lockstep)
set -eu
if [ $# -ne 2 ]; then
  echo "usage: $0 INDEX COUNT   (shard INDEX of COUNT, 0-based)" >&2
  exit 2
fi
i=$1
n=$2
case "$i$n" in *[!0-9]*|'') echo "$0: INDEX and COUNT must be whole numbers, got '$i' and '$n'" >&2; exit 2 ;; esac
if [ "$i" -ge "$n" ]; then
  echo "$0: shard index $i is not below the shard count $n (indices are 0-based)" >&2
  exit 2
fi
: "${LOCKSTEP_OUT:?set LOCKSTEP_OUT to the shared output folder}"
: "${LOCKSTEP_RECIPE:?set LOCKSTEP_RECIPE to the recipe file}"
dir="$LOCKSTEP_OUT/shards/$(printf '%05d' "$i")"
mkdir -p "$LOCKSTEP_OUT/shards"

set -- export
if [ -n "${LOCKSTEP_PROJECT:-}" ]; then
  set -- "$@" --project "$LOCKSTEP_PROJECT"
else
  : "${LOCKSTEP_IMAGES:?set LOCKSTEP_IMAGES and LOCKSTEP_MASKS (or LOCKSTEP_PROJECT)}"
  : "${LOCKSTEP_MASKS:?set LOCKSTEP_MASKS}"
  set -- "$@" --images "$LOCKSTEP_IMAGES" --masks "$LOCKSTEP_MASKS"
fi
set -- "$@" --recipe "$LOCKSTEP_RECIPE" --shard "$i/$n" --out "$dir"
if [ -n "${LOCKSTEP_WORKERS:-}" ]; then set -- "$@" --workers "$LOCKSTEP_WORKERS"; fi
echo "lockstep shard $i/$n -> $dir" >&2
# LOCKSTEP and LOCKSTEP_EXPORT_ARGS are split into words on purpose
# shellcheck disable=SC2086
exec ${LOCKSTEP:-lockstep} "$@" ${LOCKSTEP_EXPORT_ARGS:-}
