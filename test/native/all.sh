#!/bin/sh
# Runs every test of the native mpi transport: detection without a launcher,
# then each SPMD test under mpiexec at 2 and 4 ranks (oversubscribed on small
# machines). Build the addon first: node scripts/build-mpi.mjs
# MPIEXEC overrides the launcher (e.g. MPIEXEC="mpiexec.hydra").
set -e
cd "$(dirname "$0")/../.."
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
MPIEXEC=${MPIEXEC:-"mpiexec --oversubscribe"}
node --import tsx test/native/detect.ts
for test in p2p comm collectives intercomm; do
  for n in 2 4; do
    echo "== $test, $n ranks"
    timeout 300 $MPIEXEC -n $n node --import tsx "test/native/$test.ts"
  done
done
echo "native tests: all passed"
