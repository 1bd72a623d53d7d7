// Ranks 128 collective calls apart on one communicator. Run with
// syncEveryCalls large (MPI4TS_COLLECTIVE_TUNING), so that the leaves of a
// Gather on messages run as far ahead of a root that sleeps as they like:
// they reach the Bcast, call number 128, while the root sits in Gather
// number 0, whose tag has the same call number modulo 128. The leaves must
// wait for the root, not report a mismatch.
import assert from 'node:assert/strict';
import { MPI } from 'mpi4ts';

const comm = MPI.COMM_WORLD;
const { rank, size } = comm;
const CALLS = 128;
/** Larger than a shared-area block: the Gather and the Bcast go by message. */
const INTS = 1024;
const nap = new Int32Array(new SharedArrayBuffer(4));

function sleep(ms: number): void {
  Atomics.wait(nap, 0, 0, ms);
}

const block = new Int32Array(INTS);
const gathered = rank === 0 ? new Int32Array(INTS * size) : null;
// The root sleeps so that the others run ahead, then again in Gather number 0 for the
// parked leaves' stall checks to see it there.
if (rank === 0) sleep(400);
for (let call = 0; call < CALLS; call++) {
  block.fill(rank * CALLS + call);
  await comm.Gather(block, gathered, 0);
  if (rank === 0) {
    for (let r = 0; r < size; r++) assert.equal(gathered![r * INTS + INTS - 1], r * CALLS + call);
    if (call === 0) sleep(400);
  }
}
const data = new Int32Array(INTS);
if (rank === 0) data.fill(7);
await comm.Bcast(data, 0);
assert.equal(data[INTS - 1], 7);
await comm.Barrier();
console.log(`lag ok ${rank}`);
