// One-sided communication: every rank puts into rank 0's window between two
// fences, then takes tickets from a counter at rank 0 without rank 0 doing
// anything, and finally appends to a log under a mutex from mpi4ts/util/sync.
import { MPI } from 'mpi4ts';
import { Mutex } from 'mpi4ts/util/sync';

const comm = MPI.COMM_WORLD;
const { rank, size } = comm;

// Fence epochs: each rank writes its square into slot `rank` of rank 0's window.
const win = await MPI.Win.Allocate(rank === 0 ? 8 * size : 0, 8, null, comm);
await win.Fence();
win.Put(Float64Array.of(rank * rank), 0, rank);
await win.Fence();

// Passive target: a shared counter, Fetch_and_op inside a Lock_all epoch.
const counter = await MPI.Win.Allocate(rank === 0 ? 8 : 0, 8, null, comm);
const ticket = new BigInt64Array(1);
await counter.Lock_all();
counter.Fetch_and_op(BigInt64Array.of(1n), ticket, 0);
await counter.Flush(0);
await counter.Unlock_all();

// A mutex: one rank at a time in the critical section.
{
  await using mutex = await Mutex.create({ comm });
  await mutex.acquire();
  // ... exclusive work ...
  await mutex.release();
}

const tickets = await comm.gather(Number(ticket[0]), 0);
if (rank === 0) {
  const memory = win.tomemory();
  const squares = Array.from(new Float64Array(memory.buffer, memory.byteOffset, size));
  console.log(`squares ${JSON.stringify(squares)}, tickets ${JSON.stringify(tickets?.sort())}`);
}
await counter.Free();
await win.Free();
