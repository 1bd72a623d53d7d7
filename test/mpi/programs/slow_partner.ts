// Not a deadlock: ranks wait for MPI while a partner computes, or while they
// or a partner wait for a timer of their own, each for longer than the
// deadlock timeout (the test runs it with 1 s). Prints "slow ok <rank>".
import { MPI } from 'mpi4ts';

const comm = MPI.COMM_WORLD;
const { rank, size } = comm;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// 1. Rank 0 computes for 2.5 s; everybody else waits for it in a bcast.
if (rank === 0) {
  const end = Date.now() + 2500;
  while (Date.now() < end) { /* computing */ }
}
const token = await comm.bcast(rank === 0 ? 'computed' : null, 0);

// 2. The last rank waits 2.5 s on a timer before it sends; rank 0 waits for it in a Recv.
if (rank === size - 1) {
  await sleep(2500);
  await comm.Send(Float64Array.of(42), 0, 7);
}
if (rank === 0) {
  const into = new Float64Array(1);
  await comm.Recv(into, size - 1, 7);
  if (into[0] !== 42) throw new Error(`rank 0 got ${into[0]}`);
}

// 3. Every rank waits in a barrier while rank 1 (or 0) has a timer of its own that ends it.
const late = size > 1 ? 1 : 0;
if (rank === late) await sleep(2500);
await comm.Barrier();
console.log(`slow ok ${rank} ${token}`);
