// Conformance of point-to-point communication: every call, values checked.
// An SPMD program for 2 or more ranks, on any transport; it prints
// "p2p ok <rank>" on success and exits non-zero on the first failed check.
import assert from 'node:assert/strict';
import { MPI, type MPIError } from 'mpi4ts';

const comm = MPI.COMM_WORLD;
const { rank, size } = comm;
const right = (rank + 1) % size;
const left = (rank - 1 + size) % size;

async function rejectsWith(promise: Promise<unknown>, errorClass: number, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (error: MPIError) => {
    assert.equal(error.name, 'MPIError');
    assert.equal(error.error_class, errorClass, `error class of: ${error.message}`);
    assert.match(error.message, pattern);
    assert.match(error.message, new RegExp(`rank ${MPI.COMM_WORLD.rank}`));
    return true;
  });
}

function throwsWith(fn: () => unknown, errorClass: number, pattern: RegExp): void {
  assert.throws(fn, (error: MPIError) => {
    assert.equal(error.error_class, errorClass, `error class of: ${error.message}`);
    assert.match(error.message, pattern);
    return true;
  });
}

// --- environment
assert.equal(comm.Get_rank(), rank);
assert.equal(comm.Get_size(), size);
assert.ok(size >= 2, 'run with 2 or more ranks');
assert.equal(MPI.COMM_SELF.size, 1);
assert.equal(MPI.COMM_SELF.rank, 0);
assert.equal(typeof MPI.Wtime(), 'number');
assert.ok(MPI.Wtick() > 0 && MPI.Wtick() < 1);
assert.ok(MPI.Get_processor_name().length > 0);
assert.equal(MPI.typedict.Float64Array, MPI.DOUBLE);
assert.equal(MPI.typedict.Int32Array, MPI.INT);
assert.equal(MPI.DOUBLE.Get_size(), 8);
assert.equal(comm.Get_name(), 'MPI_COMM_WORLD');

// --- objects: send/recv with tags, wildcards and Status
const value = { a: 7, b: 3.14, c: [1, 2, 3], d: 'hello', e: new Map([[1, 'x']]), f: new Float32Array([1.5, 2.5]), g: 12n };
await comm.send({ ...value, from: rank }, right, 11);
const status = new MPI.Status();
const got = await comm.recv(MPI.ANY_SOURCE, MPI.ANY_TAG, status) as typeof value & { from: number };
assert.deepEqual(got, { ...value, from: left });
assert.equal(status.Get_source(), left);
assert.equal(status.source, left);
assert.equal(status.Get_tag(), 11);
assert.ok(status.Get_count() > 0);

// specific source and tag: tags select among pending messages
await comm.send('first', right, 1);
await comm.send('second', right, 2);
assert.equal(await comm.recv(left, 2), 'second');
assert.equal(await comm.recv(left, 1), 'first');

// non-overtaking: same source and tag arrive in order
for (let i = 0; i < 50; i++) await comm.send(i, right, 3);
for (let i = 0; i < 50; i++) assert.equal(await comm.recv(left, 3), i);

// ssend completes only once matched
if (rank === 0) {
  const request = comm.issend('sync', 1, 5);
  assert.equal(request.test()[0], false, 'issend completed before the receive was posted');
  await comm.send('go', 1, 6);
  await request.wait();
} else if (rank === 1) {
  assert.equal(await comm.recv(0, 6), 'go');
  assert.equal(await comm.recv(0, 5), 'sync');
}
if (rank === 0) {
  await comm.ssend(rank, right, 7);
  assert.equal(await comm.recv(left, 7), left);
} else {
  const received = await comm.recv(left, 7);
  await comm.ssend(rank, right, 7);
  assert.equal(received, left);
}

// isend / irecv, wait / test, waitall / waitany / testall / testany
{
  const receive = comm.irecv(left, 8);
  const send = comm.isend([rank, 'x'], right, 8);
  assert.deepEqual(await receive.wait(), [left, 'x']);
  assert.equal(await send.wait(), undefined);
  // completed, the request is inactive: it gives nothing twice (mpi4py: (True, None))
  assert.equal(receive.isActive, false);
  assert.deepEqual(receive.test(), [true, undefined]);
  assert.equal(await receive.wait(), undefined);

  const receives = [comm.irecv(left, 9), comm.irecv(left, 10)];
  const sends = [comm.isend('nine', right, 9), comm.isend('ten', right, 10)];
  const values = await MPI.Request.waitall([...receives, ...sends]);
  assert.deepEqual(values, ['nine', 'ten', undefined, undefined]);

  const pending = [comm.irecv(left, 12), comm.irecv(left, 13)];
  await comm.send('thirteen', right, 13);
  const anyStatus = new MPI.Status();
  const [index, first] = await MPI.Request.waitany(pending, anyStatus);
  assert.equal(index, 1);
  assert.equal(first, 'thirteen');
  assert.equal(anyStatus.Get_tag(), 13);
  assert.equal(MPI.Request.testall(pending)[0], false);
  await comm.Barrier(); // nobody sends tag 12 before every rank has checked the above
  await comm.send('twelve', right, 12);
  assert.equal(await pending[0]!.wait(), 'twelve');
  assert.equal(MPI.Request.testall(pending)[0], true);
  const fourteen = comm.irecv(left, 14);
  const [anyIndex, anyFlag] = MPI.Request.testany([fourteen]);
  assert.equal(anyFlag, false);
  assert.equal(anyIndex, MPI.UNDEFINED);
  await comm.Barrier();
  await comm.send('fourteen', right, 14);
  assert.equal(await fourteen.wait(), 'fourteen');
}

// completed requests become inactive: MPI.REQUEST_NULL in the caller's array, never reported twice
{
  type Request = InstanceType<typeof MPI.Request>;
  const empty = (st: InstanceType<typeof MPI.Status>): number[] => [st.Get_source(), st.Get_tag(), st.Get_count()];
  const st = new MPI.Status();
  st.Set_source(3);
  await MPI.REQUEST_NULL.Wait(st);
  assert.deepEqual(empty(st), [MPI.ANY_SOURCE, MPI.ANY_TAG, 0]);
  assert.deepEqual(MPI.REQUEST_NULL.test(), [true, undefined]);
  assert.equal(MPI.REQUEST_NULL.isActive, false);

  const requests: Request[] = [comm.irecv(left, 40), comm.irecv(left, 41), comm.Irecv(new Int32Array(1), left, 42)];
  const held = requests[1]!;
  await comm.send('forty-one', right, 41);
  assert.deepEqual(await MPI.Request.waitany(requests, st), [1, 'forty-one']);
  assert.equal(st.Get_tag(), 41);
  assert.equal(requests[1], MPI.REQUEST_NULL);
  assert.equal(held.isActive, false);
  assert.equal(await held.wait(), undefined);
  assert.deepEqual(MPI.Request.testany(requests), [MPI.UNDEFINED, false, undefined]);
  assert.deepEqual(MPI.Request.Testsome(requests), []);
  assert.equal(MPI.Request.Testall(requests), false);
  await comm.Barrier(); // the left neighbour sends 40 and 42 only once this rank has checked they are not there
  await comm.send('forty', right, 40);
  await comm.Send(Int32Array.of(42), right, 42);
  const indices: number[] = [];
  const values: unknown[] = [];
  const statuses: InstanceType<typeof MPI.Status>[] = [];
  while (indices.length < 2) {
    const [some, got] = await MPI.Request.waitsome(requests, statuses);
    indices.push(...some!);
    values.push(...got!);
  }
  assert.deepEqual(indices.sort(), [0, 2]);
  assert.deepEqual(values.filter((v) => v !== undefined), ['forty']);
  assert.ok(requests.every((r) => r === MPI.REQUEST_NULL));
  // all inactive: MPI.UNDEFINED with an empty status, mpi4py's None for the *some calls
  assert.equal(await MPI.Request.Waitany(requests, st), MPI.UNDEFINED);
  assert.deepEqual(empty(st), [MPI.ANY_SOURCE, MPI.ANY_TAG, 0]);
  assert.deepEqual(await MPI.Request.waitany(requests), [MPI.UNDEFINED, undefined]);
  assert.deepEqual(MPI.Request.testany(requests), [MPI.UNDEFINED, true, undefined]);
  assert.deepEqual(MPI.Request.Testany([]), [MPI.UNDEFINED, true]);
  assert.equal(await MPI.Request.Waitsome(requests), undefined);
  assert.equal(MPI.Request.Testsome(requests), undefined);
  assert.deepEqual(await MPI.Request.waitsome(requests), [undefined, undefined]);
  assert.deepEqual(MPI.Request.testsome(requests), [undefined, undefined]);
  assert.deepEqual(await MPI.Request.waitall(requests), [undefined, undefined, undefined]);
  assert.deepEqual(MPI.Request.testall(requests), [true, [undefined, undefined, undefined]]);
  // REQUEST_NULL next to active requests: skipped by waitall, the others completed once
  const mixed: Request[] = [MPI.REQUEST_NULL, comm.irecv(left, 43), MPI.REQUEST_NULL];
  await comm.send(43, right, 43);
  assert.deepEqual(await MPI.Request.waitall(mixed), [undefined, 43, undefined]);
  assert.ok(mixed.every((r) => r === MPI.REQUEST_NULL));
  const twice: Request[] = [comm.irecv(left, 44)];
  await comm.send(44, right, 44);
  assert.deepEqual(await MPI.Request.waitany(twice), [0, 44]);
  assert.deepEqual(await MPI.Request.waitany(twice), [MPI.UNDEFINED, undefined]);
  // Get_status says complete without completing: the value is still there for wait
  const peek = comm.irecv(left, 45);
  await comm.send(45, right, 45);
  while (!peek.Get_status(st)) await new Promise((resolve) => setImmediate(resolve));
  assert.equal(st.Get_tag(), 45);
  assert.equal(peek.isActive, true);
  assert.equal(await peek.wait(), 45);
}

// sendrecv around the ring
{
  const s = new MPI.Status();
  assert.deepEqual(await comm.sendrecv({ r: rank }, right, 15, left, 15, s), { r: left });
  assert.equal(s.source, left);
}

// probe and iprobe
{
  await comm.send('probed', right, 16);
  const s = new MPI.Status();
  assert.equal(await comm.probe(left, 16, s), true);
  assert.equal(s.Get_source(), left);
  assert.equal(s.Get_tag(), 16);
  assert.equal(comm.iprobe(left, 16), true);
  assert.equal(comm.iprobe(left, 17), false);
  assert.equal(await comm.recv(left, 16), 'probed');
}

// registered classes arrive with their prototype
class Task {
  constructor(public id: number, public args: number[]) {}
  total(): number {
    return this.args.reduce((a, b) => a + b, 0);
  }
}
MPI.registerClass(Task);
await comm.send(new Task(rank, [1, 2, rank]), right, 18);
const task = await comm.recv(left, 18);
assert.ok(task instanceof Task);
assert.equal(task.id, left);
assert.equal(task.total(), 3 + left);

// large objects go by rendezvous and arrive whole
{
  const big = Array.from({ length: 200_000 }, (_, i) => i * rank);
  const receive = comm.irecv(left, 19);
  await comm.send(big, right, 19);
  const arrived = await receive.wait() as number[];
  assert.equal(arrived.length, 200_000);
  assert.equal(arrived[199_999], 199_999 * left);
}

// --- buffers: every typed array class, whole and with count/datatype
const kinds = [Int8Array, Uint8Array, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array, Float64Array] as const;
for (const Kind of kinds) {
  const out = new Kind(33).map((_, i) => (i * 3 + rank) % 100);
  const into = new Kind(33);
  const s = new MPI.Status();
  await MPI.Request.Waitall([comm.Irecv(into, left, 20), comm.Isend(out, right, 20)]);
  assert.deepEqual(Array.from(into), Array.from(new Kind(33).map((_, i) => (i * 3 + left) % 100)));
  await comm.Send([out, 10, MPI.typedict[Kind.name]!], right, 21);
  const wide = new Kind(40);
  await comm.Recv(wide, MPI.ANY_SOURCE, MPI.ANY_TAG, s);
  assert.equal(s.Get_count(MPI.typedict[Kind.name]!), 10);
  assert.equal(s.Get_elements(MPI.typedict[Kind.name]!), 10);
  assert.equal(s.Get_count(), 10 * Kind.BYTES_PER_ELEMENT);
  assert.equal(wide[9], (27 + left) % 100);
  assert.equal(wide[10], 0);
}
for (const Kind of [BigInt64Array, BigUint64Array] as const) {
  const out = Kind.from([1n, 2n ** 60n, 3n]);
  const into = new Kind(3);
  await comm.Sendrecv(out, right, 22, into, left, 22);
  assert.deepEqual(into, out);
}
{
  // [buf, datatype] views the bytes as another type; Get_count says UNDEFINED when not whole
  const bytes = new Uint8Array(new Float64Array([1.5, 2.5]).buffer);
  await comm.Send([bytes, MPI.DOUBLE], right, 23);
  const doubles = new Float64Array(4);
  const s = new MPI.Status();
  await comm.Recv(doubles, left, 23, s);
  assert.deepEqual(Array.from(doubles.subarray(0, 2)), [1.5, 2.5]);
  assert.equal(s.Get_count(MPI.DOUBLE), 2);
  assert.equal(s.Get_count(new MPI.Datatype('MPI_THREE', 3, 'byte', 999, undefined)), MPI.UNDEFINED);
  // a bad datatype is an error, not a count (MPI.UNDEFINED is a count that does not divide)
  for (const bad of [null, 8, 'MPI_DOUBLE', {}, new MPI.Datatype('MPI_EMPTY', 0, 'byte', 998, undefined)]) {
    throwsWith(() => s.Get_count(bad as never), MPI.ERR_TYPE, /Status\.Get_count: invalid datatype/);
    throwsWith(() => s.Get_elements(bad as never), MPI.ERR_TYPE, /Status\.Get_elements: invalid datatype/);
  }
}
// Ssend and Issend of buffers; Sendrecv_replace; Probe sizing a buffer
{
  const data = Float64Array.from({ length: 50 }, (_, i) => i + rank);
  if (rank % 2 === 0) {
    await comm.Ssend(data, right, 24);
    await comm.Recv(data, left, 24);
  } else {
    const tmp = new Float64Array(50);
    await comm.Recv(tmp, left, 24);
    await comm.Ssend(data, right, 24);
    data.set(tmp);
  }
  assert.equal(data[0], left);
  const request = comm.Issend(data, right, 25);
  await comm.Recv(new Float64Array(50), left, 25);
  await request.Wait();
  const replace = Int32Array.of(rank, rank);
  await comm.Sendrecv_replace(replace, right, 26, left, 26);
  assert.deepEqual(Array.from(replace), [left, left]);
  await comm.Send(new Float64Array(17), right, 27);
  const s = new MPI.Status();
  await comm.Probe(MPI.ANY_SOURCE, MPI.ANY_TAG, s);
  const sized = new Float64Array(s.Get_count(MPI.DOUBLE));
  assert.equal(sized.length, 17);
  assert.equal(comm.Iprobe(s.source, s.tag), true);
  await comm.Recv(sized, s.source, s.tag);
}
// large buffers (rendezvous), from plain memory and from MPI.alloc, and zero-length messages
for (const shared of [false, true]) {
  const n = 1 << 20;
  const out = shared ? MPI.alloc(Float64Array, n) : new Float64Array(n);
  for (let i = 0; i < n; i += 997) out[i] = i + rank;
  out[n - 1] = -rank;
  const into = shared ? MPI.alloc(Float64Array, n) : new Float64Array(n);
  await MPI.Request.Waitall([comm.Irecv(into, left, 28), comm.Isend(out, right, 28)]);
  for (let i = 0; i < n; i += 997) assert.equal(into[i], i + left);
  assert.equal(into[n - 1], -left);
  await comm.Sendrecv(new Uint8Array(0), right, 29, new Uint8Array(0), left, 29);
}
// MPI.PROC_NULL: sends vanish, receives complete at once with an empty status
{
  await comm.Send(new Int32Array(4), MPI.PROC_NULL);
  await comm.send('nobody', MPI.PROC_NULL);
  const s = new MPI.Status();
  await comm.Recv(new Int32Array(4), MPI.PROC_NULL, 0, s);
  assert.equal(s.Get_source(), MPI.PROC_NULL);
  assert.equal(s.Get_count(), 0);
  assert.equal(await comm.recv(MPI.PROC_NULL), undefined);
  // the buffer of a message to or from PROC_NULL is never read: null will do (mpi4py)
  await comm.Send(null, MPI.PROC_NULL);
  s.Set_source(0);
  await comm.Recv(null, MPI.PROC_NULL, 0, s);
  assert.equal(s.Get_source(), MPI.PROC_NULL);
  await comm.Sendrecv(null, MPI.PROC_NULL, 0, null, MPI.PROC_NULL);
  await comm.Isend(null, MPI.PROC_NULL).Wait();
  await comm.Irecv(null, MPI.PROC_NULL).Wait();
  await rejectsWith(comm.Recv(null, left, 0), MPI.ERR_BUFFER, /receive buffer is required/);
  await rejectsWith(comm.Send(null, right, 0), MPI.ERR_BUFFER, /got null/);
}
// COMM_SELF talks to itself
{
  const self = MPI.COMM_SELF;
  const receive = self.irecv(0, 30);
  await self.send('me', 0, 30);
  assert.equal(await receive.wait(), 'me');
}
// communicators separate traffic
{
  const dup = await comm.Dup();
  await dup.send('on dup', right, 31);
  await comm.send('on world', right, 31);
  assert.equal(await comm.recv(left, 31), 'on world');
  assert.equal(await dup.recv(left, 31), 'on dup');
  dup.Free();
  await rejectsWith(dup.send(1, right), MPI.ERR_COMM, /freed/);
}

// --- objects above the eager limit sent back to back: each send keeps its own bytes until it completes
{
  const values = [1, 2, 3].map((k) => ({ k, data: new Float64Array(300_000).map((_, i) => i * k + rank) }));
  const sends = values.map((value) => comm.isend(value, right, 40));
  const blocking = comm.send({ k: 4, data: new Float64Array(300_000).fill(rank + 4) }, right, 40);
  for (const k of [1, 2, 3, 4]) {
    const got = await comm.recv(left, 40) as { k: number; data: Float64Array };
    assert.equal(got.k, k);
    const expected = (i: number) => (k === 4 ? left + 4 : i * k + left);
    assert.ok(got.data.every((x, i) => x === expected(i)), `object ${k} from rank ${left} arrived intact`);
  }
  await MPI.Request.waitall(sends);
  await blocking;
}

// --- errors: bad rank and tag, truncation (nothing lost), bad specs, unserializable values
await rejectsWith(comm.send(1, size), MPI.ERR_RANK, /Comm\.send: invalid dest/);
await rejectsWith(comm.Send(new Int32Array(1), -5), MPI.ERR_RANK, /invalid dest -5/);
await rejectsWith(comm.recv(size + 3), MPI.ERR_RANK, /invalid source/);
await rejectsWith(comm.send(1, right, -7), MPI.ERR_TAG, /invalid tag -7/);
await rejectsWith(comm.send(1, right, MPI.ANY_TAG), MPI.ERR_TAG, /invalid tag/);
await rejectsWith(comm.send(1, right, 1.5), MPI.ERR_TAG, /invalid tag 1.5/);
await rejectsWith(comm.send(() => 1, right), MPI.ERR_ARG, /function/);
await rejectsWith(comm.send({ a: [1, Symbol('s')] }, right), MPI.ERR_ARG, /symbol/);
await rejectsWith(comm.Send([new Int32Array(2), 5, MPI.INT], right), MPI.ERR_COUNT, /count 5/);
await rejectsWith(comm.Send('text' as never, right), MPI.ERR_BUFFER, /typed array/);
await rejectsWith(comm.Send([new Int32Array(2), 'x'] as never, right), MPI.ERR_BUFFER, /\[buf, count, datatype\]/);
throwsWith(() => comm.Isend(new Int32Array(1), 99), MPI.ERR_RANK, /Comm\.Isend/);
{
  await comm.Send(Int32Array.of(1, 2, 3, 4), right, 32);
  const small = new Int32Array(2);
  await rejectsWith(comm.Recv(small, left, 32), MPI.ERR_TRUNCATE, /8-byte receive buffer/);
  if (MPI.Get_library_version().startsWith('mpi4ts shm')) {
    // on shm nothing is lost: the message waits for a receive that fits
    const whole = new Int32Array(4);
    await comm.Recv(whole, left, 32);
    assert.deepEqual(Array.from(whole), [1, 2, 3, 4]);
  }
}
await comm.Barrier();
console.log(`p2p ok ${rank}`);
