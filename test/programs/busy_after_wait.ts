// A rank that computes for a long while after a wait ended, with another wait still pending, is not blocked: the
// deadlock monitor must not report the job (shm once did: the rank had said "blocked" for its pending wait before
// the ended wait's continuation ran). Every rank keeps a receive pending on `control` throughout; rank 0 parks in a
// receive that rank 1 answers late, then computes for `busyMs` while the others wait for it in a Barrier.
import { MPI } from 'mpi4ts';

const world = MPI.COMM_WORLD;
const { rank, size } = world;
const busyMs = Number(process.argv[2] ?? 2500);
const control = await world.Dup();
const comm = await world.Dup();
const peers = [...Array(size).keys()].filter((p) => p !== rank);
const pending = Promise.all(peers.map((p) => control.irecv(p, 1).wait() as Promise<number>));

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
if (rank === 0) {
  const got = await comm.recv(1, 2);
  const until = performance.now() + busyMs;
  let spins = 0;
  while (performance.now() < until) spins++;
  if (got !== 'late' || spins === 0) throw new Error(`rank 0: got ${String(got)} after ${spins} spins`);
} else if (rank === 1) {
  await sleep(500);
  await comm.send('late', 0, 2);
}
await comm.Barrier();
for (const p of peers) control.send(rank, p, 1);
const values = await pending;
if (values.join() !== peers.join()) throw new Error(`rank ${rank}: control got ${values.join()}`);
console.log(`busy_after_wait ok ${rank}`);
