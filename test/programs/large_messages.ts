// Messages far larger than a rank's shared heap, from plain memory: they
// stream through the sender's staging pipe. Buffer, synchronous, nonblocking
// and object forms, both ways at once and to itself; every element checked.
// Start with a small --heap-size (the test uses 4 MiB). Prints "large ok <rank>".
import assert from 'node:assert/strict';
import { MPI } from 'mpi4ts';

const comm = MPI.COMM_WORLD;
const { rank, size } = comm;
const peer = (rank + 1) % size;
const from = (rank - 1 + size) % size;
const N = 3_000_000; // 24 MB of doubles

function pattern(source: number, n = N): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => source * 1e7 + i);
}

function check(data: Float64Array, source: number, what: string): void {
  assert.equal(data.length, N, what);
  for (let i = 0; i < N; i++) if (data[i] !== source * 1e7 + i) assert.fail(`${what}: element ${i} is ${data[i]}`);
}

// Buffers around the ring, every rank sending and receiving at once.
const incoming = new Float64Array(N);
const [sent] = await Promise.all([comm.Isend(pattern(rank), peer, 1).Wait(), comm.Recv(incoming, from, 1)]);
void sent;
check(incoming, from, 'Isend/Recv');

// Synchronous, into a larger buffer (the rest stays untouched), and to itself.
const roomy = new Float64Array(N + 5).fill(-1);
await Promise.all([comm.Ssend(pattern(rank), peer, 2), comm.Recv(roomy, from, 2)]);
check(roomy.subarray(0, N), from, 'Ssend/Recv');
assert.deepEqual(Array.from(roomy.subarray(N)), [-1, -1, -1, -1, -1]);
const own = new Float64Array(N);
await Promise.all([comm.Send(pattern(rank), rank, 3), comm.Recv(own, rank, 3)]);
check(own, rank, 'to itself');

// An object carrying a large typed array.
const [, value] = await Promise.all([comm.send({ data: pattern(rank) }, peer, 4), comm.recv(from, 4)]);
check((value as { data: Float64Array }).data, from, 'send/recv of an object');

// Staging pipes to itself until the 4 MiB heap is full: the error names the call that started the send.
const pending = [];
let full: unknown;
for (let i = 0; i < 64 && full === undefined; i++) {
  try {
    pending.push(comm.Isend(pattern(rank, 300_000), rank, 100 + i));
  } catch (error) {
    full = error;
  }
}
assert.ok(full instanceof MPI.Exception, `a full heap fails an Isend: ${String(full)}`);
assert.equal(full.Get_error_class(), MPI.ERR_NO_MEM);
assert.match(full.message, new RegExp(`^rank ${rank}: Comm\\.Isend: no room for a \\d+-byte staging pipe`));
for (let i = 0; i < pending.length; i++) {
  const got = new Float64Array(300_000);
  await comm.Recv(got, rank, 100 + i);
  assert.equal(got[299_999], rank * 1e7 + 299_999);
}
await MPI.Request.Waitall(pending);

await comm.Barrier();
console.log(`large ok ${rank}`);
