// A wait must not block its thread before it returns its Promise: on both of
// two ranks, a receive (or another waiting call) is started before the send
// that the peer waits for, in the same tick. Each variant runs 200 exchanges,
// checks every value and prints `<variant> <total ms> <median ms> <fastest ms>` on rank 0.
import assert from 'node:assert/strict';
import { MPI } from 'mpi4ts';

const comm = MPI.COMM_WORLD;
const peer = 1 - comm.rank;
const EXCHANGES = 200;

/** The value rank `rank` sends in exchange `i`. */
function value(rank: number, i: number): number {
  return i * 2 + rank;
}

const variants: Record<string, (i: number) => Promise<void>> = {
  'recv-send': async (i) => {
    const [got] = await Promise.all([comm.recv(peer, 1), comm.send(value(comm.rank, i), peer, 1)]);
    assert.equal(got, value(peer, i));
  },
  'Recv-Send': async (i) => {
    const into = new Float64Array(1);
    await Promise.all([comm.Recv(into, peer, 2), comm.Send(Float64Array.of(value(comm.rank, i)), peer, 2)]);
    assert.equal(into[0], value(peer, i));
  },
  'Irecv-Isend-Wait': async (i) => {
    const into = new Float64Array(1);
    const receive = comm.Irecv(into, peer, 3);
    await Promise.all([receive.Wait(), comm.Isend(Float64Array.of(value(comm.rank, i)), peer, 3).Wait()]);
    assert.equal(into[0], value(peer, i));
  },
  'irecv-wait-send': async (i) => {
    const receive = comm.irecv(peer, 4);
    const [got] = await Promise.all([receive.wait(), comm.send(value(comm.rank, i), peer, 4)]);
    assert.equal(got, value(peer, i));
  },
  'Waitall-Send': async (i) => {
    const into = new Float64Array(1);
    await Promise.all([MPI.Request.Waitall([comm.Irecv(into, peer, 5)]),
      comm.Send(Float64Array.of(value(comm.rank, i)), peer, 5)]);
    assert.equal(into[0], value(peer, i));
  },
  'waitany-send': async (i) => {
    const [[index, got]] = await Promise.all([MPI.Request.waitany([comm.irecv(peer, 6)]),
      comm.send(value(comm.rank, i), peer, 6)]);
    assert.deepEqual([index, got], [0, value(peer, i)]);
  },
  'probe-send': async (i) => {
    const status = new MPI.Status();
    await Promise.all([comm.probe(peer, 7, status), comm.send(value(comm.rank, i), peer, 7)]);
    assert.equal(status.Get_source(), peer);
    assert.equal(await comm.recv(peer, 7), value(peer, i));
  },
  'Ssend-Recv': async (i) => {
    // A synchronous send waits for the peer's receive, which the peer posts after its own Ssend.
    const into = new Float64Array(1);
    await Promise.all([comm.Ssend(Float64Array.of(value(comm.rank, i)), peer, 8), comm.Recv(into, peer, 8)]);
    assert.equal(into[0], value(peer, i));
  },
  'recv-allreduce-send': async (i) => {
    const [got, sum] = await Promise.all([comm.recv(peer, 9), comm.allreduce(i, MPI.SUM),
      comm.send(value(comm.rank, i), peer, 9)]);
    assert.deepEqual([got, sum], [value(peer, i), 2 * i]);
  },
};

for (const [name, exchange] of Object.entries(variants)) {
  await comm.Barrier();
  const times: number[] = [];
  for (let i = 0; i < EXCHANGES; i++) {
    const started = performance.now();
    await exchange(i);
    times.push(performance.now() - started);
  }
  const total = times.reduce((a, b) => a + b, 0);
  const sorted = times.sort((a, b) => a - b);
  const median = sorted[EXCHANGES / 2]!;
  if (comm.rank === 0) console.log(`${name} ${total.toFixed(1)} ${median.toFixed(3)} ${sorted[0]!.toFixed(3)}`);
}
