// Messages and objects of more than 2 GiB between two ranks on shm; every element checked.
// Run with 2 ranks and one phase as the argument, each phase a job of its own so that the
// memory of one is gone before the next (about 6.5 GB for `plain`, 9 GB for `alloc`, 10.5 GB
// for `object`; test/large.test.ts runs all but object4, which test/mpi/large.test.ts runs):
//   plain   3 GiB of plain memory: Send/Recv after Probe, Isend/Irecv, Ssend, Sendrecv, Bcast
//   alloc   2 GiB + 16 MiB of MPI.alloc memory both ways (needs --heap-size 2560m), and a
//           block that starts past 2^31 in the heap
//   object  send/recv of a 2.5 GB object ({ data: Float64Array, name })
//   past4   a Float64Array of 4.25 GiB of plain memory: Probe, Send/Recv, Isend/Irecv (segmented
//           bytes on Node 20, which cannot view more than 4 GiB as one Uint8Array), about 9 GB
//   object4 send/recv of an object whose encoding passes 4 GiB ({ data: Float64Array of 4.25 GiB,
//           after, name }); the array is marked sparsely, so that its untouched pages cost no
//           memory: about 13 GB (encoding, received encoding, decoded array)
//   bcast4  Bcast of a Float64Array of 4.25 GiB (in rounds of views on Node 20,
//           src/collective/segmented.ts), about 9 GB
// Prints "huge <phase> ok <rank> <seconds>".
import assert from 'node:assert/strict';
import { MPI } from 'mpi4ts';

const comm = MPI.COMM_WORLD;
const { rank } = comm;
assert.equal(comm.size, 2, 'run with 2 ranks');
const phase = process.argv[2];
const MiB = 2 ** 20;
const GiB = 2 ** 30;
const started = performance.now();

/** Element i of a message is `seed + i`: a shifted, truncated or stale message fails the check. */
function fill(data: Float64Array, seed: number): void {
  for (let i = 0; i < data.length; i++) data[i] = seed + i;
}

function check(data: Float64Array, seed: number, what: string): void {
  for (let i = 0; i < data.length; i++) if (data[i] !== seed + i) assert.fail(`${what}: element ${i} is ${data[i]}`);
}

function checkCounts(status: InstanceType<typeof MPI.Status>, bytes: number, what: string): void {
  assert.equal(status.Get_count(), bytes, `${what}: Get_count()`);
  assert.equal(status.count, bytes, `${what}: count`);
  assert.equal(status.Get_count(MPI.DOUBLE), bytes / 8, `${what}: Get_count(DOUBLE)`);
  assert.equal(status.Get_elements(MPI.BYTE), bytes, `${what}: Get_elements(BYTE)`);
  assert.equal(status.Get_source(), 1 - rank, `${what}: source`);
}

async function plain(): Promise<void> {
  const bytes = 3 * GiB;
  const big = new Float64Array(bytes / 8);
  const small = new Float64Array(4);
  const status = new MPI.Status();
  if (rank === 0) {
    fill(big, 1);
    await comm.Send(big, 1, 1);
    await comm.Isend(big, 1, 2).Wait();
    await comm.Ssend(big, 1, 3);
    await comm.Sendrecv(big, 1, 4, small, 1, 4, status);
    check(small, 7, 'Sendrecv, small way');
  } else {
    await comm.Probe(0, 1, status);
    checkCounts(status, bytes, 'Probe');
    await comm.Recv(big, 0, 1, status);
    checkCounts(status, bytes, 'Recv');
    check(big, 1, 'Send/Recv');
    big.fill(0);
    await comm.Irecv(big, 0, 2).Wait(status);
    checkCounts(status, bytes, 'Irecv');
    check(big, 1, 'Isend/Irecv');
    big.fill(0);
    await comm.Recv(big, 0, 3);
    check(big, 1, 'Ssend/Recv');
    big.fill(0);
    fill(small, 7);
    await comm.Sendrecv(small, 0, 4, big, 0, 4, status);
    checkCounts(status, bytes, 'Sendrecv');
    check(big, 1, 'Sendrecv');
  }
  if (rank === 0) fill(big, 2);
  else big.fill(0);
  await comm.Bcast(big, 0);
  check(big, 2, 'Bcast');
}

async function alloc(): Promise<void> {
  const bytes = 2 * GiB + 16 * MiB;
  const heap = MPI.alloc(Float64Array, bytes / 8);
  // Allocated after the big block, so it starts past 2^31 in the arena.
  const high = MPI.alloc(Float64Array, 32 * MiB);
  assert.ok(high.byteOffset > 2 ** 31, `the second block starts at ${high.byteOffset}`);
  const status = new MPI.Status();
  if (rank === 0) {
    // From MPI.alloc memory (read in place by the receiver) into plain memory, and from the high block.
    fill(heap, 3);
    await comm.Send(heap, 1, 1);
    fill(high, 4);
    await comm.Ssend(high, 1, 2);
    // From plain memory (through the staging pipe, in this arena past its big block) into MPI.alloc memory.
    const source = new Float64Array(bytes / 8);
    fill(source, 5);
    await comm.Send(source, 1, 3);
  } else {
    const target = new Float64Array(bytes / 8);
    await comm.Recv(target, 0, 1, status);
    checkCounts(status, bytes, 'alloc to plain');
    check(target, 3, 'alloc to plain');
    await comm.Recv(high, 0, 2);
    check(high, 4, 'high block');
    await comm.Recv(heap, 0, 3, status);
    checkCounts(status, bytes, 'plain to alloc');
    check(heap, 5, 'plain to alloc');
  }
}

async function object(): Promise<void> {
  const status = new MPI.Status();
  if (rank === 0) {
    const data = new Float64Array(2.5e9 / 8);
    fill(data, 6);
    await comm.send({ data, name: 'x' }, 1, 1);
  } else {
    await comm.probe(0, 1, status);
    assert.ok(status.Get_count() > 2.5e9, `probe count ${status.Get_count()}`);
    const value = await comm.recv(0, 1) as { data: Float64Array; name: string };
    assert.equal(value.name, 'x');
    assert.ok(value.data instanceof Float64Array);
    assert.equal(value.data.length, 2.5e9 / 8);
    check(value.data, 6, 'object');
  }
}

async function past4(): Promise<void> {
  const bytes = 4 * GiB + 256 * MiB;
  const big = new Float64Array(bytes / 8);
  const status = new MPI.Status();
  if (rank === 0) {
    fill(big, 2);
    await comm.Send(big, 1, 1);
    await comm.Isend(big, 1, 2).Wait();
  } else {
    await comm.Probe(0, 1, status);
    checkCounts(status, bytes, 'Probe past 4 GiB');
    await comm.Recv(big, 0, 1, status);
    checkCounts(status, bytes, 'Recv past 4 GiB');
    check(big, 2, 'Send/Recv past 4 GiB');
    big.fill(0);
    await comm.Irecv(big, 0, 2).Wait(status);
    checkCounts(status, bytes, 'Irecv past 4 GiB');
    check(big, 2, 'Isend/Irecv past 4 GiB');
  }
}

/** Elements between the marks of a sparse fill: one per MiB. */
const SPARSE_STRIDE = MiB / 8;
/** Elements at the end that a sparse fill sets all of: past 4 GiB, where the codec's windows have moved. */
const SPARSE_TAIL = 2 * MiB / 8;

/** Element i is `seed + i` at every mark and in the tail, 0 elsewhere. */
function sparseValue(i: number, length: number, seed: number): number {
  return i % SPARSE_STRIDE === 0 || i >= length - SPARSE_TAIL ? seed + i : 0;
}

function fillSparse(data: Float64Array, seed: number): void {
  for (let i = 0; i < data.length; i += SPARSE_STRIDE) data[i] = seed + i;
  for (let i = data.length - SPARSE_TAIL; i < data.length; i++) data[i] = seed + i;
}

function checkSparse(data: Float64Array, seed: number, what: string): void {
  for (let i = 0; i < data.length; i++) {
    if (data[i] !== sparseValue(i, data.length, seed)) assert.fail(`${what}: element ${i} is ${data[i]}`);
  }
}

async function object4(): Promise<void> {
  const length = (4 * GiB + 256 * MiB) / 8;
  // Numbers after the array are written and read past 2^32 in the message.
  const after = Array.from({ length: 20 }, (_, i) => i + 0.5);
  const status = new MPI.Status();
  if (rank === 0) {
    const data = new Float64Array(length);
    fillSparse(data, 8);
    await comm.send({ data, after, name: 'x' }, 1, 1);
  } else {
    await comm.probe(0, 1, status);
    assert.ok(status.Get_count() > 4 * GiB + 256 * MiB, `probe count ${status.Get_count()}`);
    const value = await comm.recv(0, 1) as { data: Float64Array; after: number[]; name: string };
    assert.ok(value.data instanceof Float64Array);
    assert.equal(value.data.length, length);
    checkSparse(value.data, 8, 'object past 4 GiB');
    assert.deepEqual(value.after, after);
    assert.equal(value.name, 'x');
  }
}

async function bcast4(): Promise<void> {
  const big = new Float64Array((4 * GiB + 256 * MiB) / 8);
  if (rank === 0) fill(big, 5);
  await comm.Bcast(big, 0);
  if (rank === 1) check(big, 5, 'Bcast past 4 GiB');
}

switch (phase) {
  case 'plain': await plain(); break;
  case 'alloc': await alloc(); break;
  case 'object': await object(); break;
  case 'past4': await past4(); break;
  case 'object4': await object4(); break;
  case 'bcast4': await bcast4(); break;
  default: throw new Error(`unknown phase ${phase}`);
}
await comm.Barrier();
console.log(`huge ${phase} ok ${rank} ${((performance.now() - started) / 1000).toFixed(1)}`);
