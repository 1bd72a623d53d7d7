// MPI.alloc memory that starts past 4 GiB in a heap larger than the largest Uint8Array, sent
// both ways (read in place, and written by a staging pipe); every element checked. Plain
// JavaScript: a job whose heaps are this large may be refused the fork that compiling
// TypeScript takes. Run with 2 ranks and --heap-size 4608m. Prints "past 4 GiB ok <rank>".
import assert from 'node:assert/strict';
import { MPI } from 'mpi4ts';

const comm = MPI.COMM_WORLD;
const N = 2 ** 21; // 16 MiB of doubles
// Never written, so it costs no memory; what follows it starts past 2^32.
MPI.alloc(Float64Array, (2 ** 32 + 4096) / 8);
const block = MPI.alloc(Float64Array, N);
assert.ok(block.byteOffset > 2 ** 32, `the block starts at ${block.byteOffset}`);

function check(data, seed, what) {
  for (let i = 0; i < data.length; i++) if (data[i] !== seed + i) assert.fail(`${what}: element ${i} is ${data[i]}`);
}

if (comm.rank === 0) {
  for (let i = 0; i < N; i++) block[i] = 1 + i;
  await comm.Send(block, 1, 1);
  await comm.Send(Float64Array.from({ length: N }, (_, i) => 2 + i), 1, 2);
} else if (comm.rank === 1) {
  const plain = new Float64Array(N);
  await comm.Recv(plain, 0, 1);
  check(plain, 1, 'from the block');
  await comm.Recv(block, 0, 2);
  check(block, 2, 'into the block');
}
await comm.Barrier();
console.log(`past 4 GiB ok ${comm.rank}`);
