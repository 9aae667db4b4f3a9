#!/bin/sh
# deploy/slurm/submit.sh N: queue an N-shard export (array 0..N-1) and the merge after it.
# The LOCKSTEP_* variables of deploy/export-shard.sh travel with the jobs (sbatch exports the
# environment). Run from the Lockstep checkout, or set LOCKSTEP_HOME to it.
set -eu
n=${1:?usage: deploy/slurm/submit.sh SHARDS}
home="${LOCKSTEP_HOME:-$(pwd)}"
export LOCKSTEP_HOME="$home"
jid=$(sbatch --parsable --array="0-$((n - 1))" "$home/deploy/slurm/export.sbatch")
jid=${jid%%;*}
mid=$(sbatch --parsable --dependency="afterok:$jid" "$home/deploy/slurm/merge.sbatch")
echo "export array job $jid ($n shards), merge job ${mid%%;*} after it"
