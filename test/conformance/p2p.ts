/**
 * Conformance chapter: point-to-point communication (MPI-4.1 chapter 3), every
 * call with values checked: blocking, synchronous and nonblocking sends and
 * receives of values and of buffers, wildcards and Status, probes, request
 * completion calls and inactive requests, PROC_NULL, truncation and argument
 * errors. An SPMD program for 2 or more ranks on any transport; see cases.ts
 * for how cases run and report.
 *
 * @module
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type Intracomm, MPI, type Request } from 'mpi4ts';
import { type Case, check, runCases, sleep } from './cases.js';

type Status = InstanceType<typeof MPI.Status>;

/** The neighbours of `comm`'s rank in a ring. */
function ring(comm: Intracomm): { rank: number; size: number; right: number; left: number } {
  const { rank, size } = comm;
  return { rank, size, right: (rank + 1) % size, left: (rank - 1 + size) % size };
}

/** `n` bytes whose values depend on `seed`. */
function pattern(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed * 7) & 0xff;
  return out;
}

/** Ranks 0 and 1, 2 and 3, ... are partners; an odd last rank has none (-1). */
function partner(comm: Intracomm): number {
  const peer = comm.rank ^ 1;
  return peer < comm.size ? peer : -1;
}

/** A class registered on every rank, whose instances must arrive with their prototype. */
class Task {
  constructor(public id: number, public args: number[]) {}
  total(): number {
    return this.args.reduce((a, b) => a + b, 0);
  }
}
MPI.registerClass(Task);

const cases: Case[] = [
  {
    name: 'environment: ranks, sizes, clocks, names, datatypes',
    run: async (comm) => {
      const world = MPI.COMM_WORLD;
      check.equal(world.Get_rank(), world.rank);
      check.equal(world.Get_size(), world.size);
      check.equal(comm.Get_rank(), world.rank);
      check.equal(comm.Get_size(), world.size);
      check.ok(world.size >= 2, 'run with 2 or more ranks');
      check.equal(MPI.COMM_SELF.size, 1);
      check.equal(MPI.COMM_SELF.rank, 0);
      check.equal(typeof MPI.Wtime(), 'number');
      check.ok(MPI.Wtick() > 0 && MPI.Wtick() < 1);
      check.ok(MPI.Get_processor_name().length > 0);
      check.equal(MPI.typedict.Float64Array, MPI.DOUBLE);
      check.equal(MPI.typedict.Int32Array, MPI.INT);
      check.equal(MPI.DOUBLE.Get_size(), 8);
      check.equal(world.Get_name(), 'MPI_COMM_WORLD');
    },
  },
  {
    name: 'send/recv of values with ANY_SOURCE, ANY_TAG and a Status',
    run: async (comm) => {
      const { rank, right, left } = ring(comm);
      const value = { a: 7, b: 3.14, c: [1, 2, 3], d: 'hello', e: new Map([[1, 'x']]), f: new Float32Array([1.5, 2.5]), g: 12n };
      await comm.send({ ...value, from: rank }, right, 11);
      const status = new MPI.Status();
      const got = await comm.recv(MPI.ANY_SOURCE, MPI.ANY_TAG, status) as typeof value & { from: number };
      check.deepEqual(got, { ...value, from: left });
      check.equal(status.Get_source(), left);
      check.equal(status.source, left);
      check.equal(status.Get_tag(), 11);
      check.ok(status.Get_count() > 0);
    },
  },
  {
    name: 'tags select among pending messages',
    run: async (comm) => {
      const { right, left } = ring(comm);
      await comm.send('first', right, 1);
      await comm.send('second', right, 2);
      check.equal(await comm.recv(left, 2), 'second');
      check.equal(await comm.recv(left, 1), 'first');
    },
  },
  {
    name: 'non-overtaking: one source and tag arrive in order',
    run: async (comm) => {
      const { right, left } = ring(comm);
      for (let i = 0; i < 50; i++) await comm.send(i, right, 3);
      for (let i = 0; i < 50; i++) check.equal(await comm.recv(left, 3), i);
    },
  },
  {
    name: 'ssend and issend complete only once matched',
    run: async (comm) => {
      const { rank, right, left } = ring(comm);
      if (rank === 0) {
        const request = comm.issend('sync', 1, 5);
        check.equal(request.test()[0], false, 'issend completed before the receive was posted');
        await comm.send('go', 1, 6);
        await request.wait();
      } else if (rank === 1) {
        check.equal(await comm.recv(0, 6), 'go');
        check.equal(await comm.recv(0, 5), 'sync');
      }
      if (rank === 0) {
        await comm.ssend(rank, right, 7);
        check.equal(await comm.recv(left, 7), left);
      } else {
        const received = await comm.recv(left, 7);
        await comm.ssend(rank, right, 7);
        check.equal(received, left);
      }
    },
  },
  {
    name: 'isend/irecv with wait, test, waitall, waitany, testall and testany',
    run: async (comm) => {
      const { rank, right, left } = ring(comm);
      const receive = comm.irecv(left, 8);
      const send = comm.isend([rank, 'x'], right, 8);
      check.deepEqual(await receive.wait(), [left, 'x']);
      check.equal(await send.wait(), undefined);
      // completed, the request is inactive: it gives nothing twice (mpi4py: (True, None))
      check.equal(receive.isActive, false);
      check.deepEqual(receive.test(), [true, undefined]);
      check.equal(await receive.wait(), undefined);

      const receives = [comm.irecv(left, 9), comm.irecv(left, 10)];
      const sends = [comm.isend('nine', right, 9), comm.isend('ten', right, 10)];
      const values = await MPI.Request.waitall([...receives, ...sends]);
      check.deepEqual(values, ['nine', 'ten', undefined, undefined]);

      const pending = [comm.irecv(left, 12), comm.irecv(left, 13)];
      await comm.send('thirteen', right, 13);
      const anyStatus = new MPI.Status();
      const [index, first] = await MPI.Request.waitany(pending, anyStatus);
      check.equal(index, 1);
      check.equal(first, 'thirteen');
      check.equal(anyStatus.Get_tag(), 13);
      check.equal(MPI.Request.testall(pending)[0], false);
      await comm.Barrier(); // nobody sends tag 12 before every rank has checked the above
      await comm.send('twelve', right, 12);
      check.equal(await pending[0]!.wait(), 'twelve');
      check.equal(MPI.Request.testall(pending)[0], true);
      const fourteen = comm.irecv(left, 14);
      const [anyIndex, anyFlag] = MPI.Request.testany([fourteen]);
      check.equal(anyFlag, false);
      check.equal(anyIndex, MPI.UNDEFINED);
      await comm.Barrier();
      await comm.send('fourteen', right, 14);
      check.equal(await fourteen.wait(), 'fourteen');
    },
  },
  {
    name: 'completed requests become inactive: REQUEST_NULL in the array, never reported twice',
    run: async (comm) => {
      const { right, left } = ring(comm);
      const empty = (st: Status): number[] => [st.Get_source(), st.Get_tag(), st.Get_count()];
      const st = new MPI.Status();
      st.Set_source(3);
      await MPI.REQUEST_NULL.Wait(st);
      check.deepEqual(empty(st), [MPI.ANY_SOURCE, MPI.ANY_TAG, 0]);
      check.deepEqual(MPI.REQUEST_NULL.test(), [true, undefined]);
      check.equal(MPI.REQUEST_NULL.isActive, false);

      const requests: Request<unknown>[] = [comm.irecv(left, 40), comm.irecv(left, 41), comm.Irecv(new Int32Array(1), left, 42)];
      const held = requests[1]!;
      await comm.send('forty-one', right, 41);
      check.deepEqual(await MPI.Request.waitany(requests, st), [1, 'forty-one']);
      check.equal(st.Get_tag(), 41);
      check.equal(requests[1], MPI.REQUEST_NULL);
      check.equal(held.isActive, false);
      check.equal(await held.wait(), undefined);
      check.deepEqual(MPI.Request.testany(requests), [MPI.UNDEFINED, false, undefined]);
      check.deepEqual(MPI.Request.Testsome(requests), []);
      check.equal(MPI.Request.Testall(requests), false);
      await comm.Barrier(); // the left neighbour sends 40 and 42 only once this rank has checked they are not there
      await comm.send('forty', right, 40);
      await comm.Send(Int32Array.of(42), right, 42);
      const indices: number[] = [];
      const values: unknown[] = [];
      const statuses: Status[] = [];
      while (indices.length < 2) {
        const [some, got] = await MPI.Request.waitsome(requests, statuses);
        indices.push(...some!);
        values.push(...got!);
      }
      check.deepEqual(indices.sort(), [0, 2]);
      check.deepEqual(values.filter((v) => v !== undefined), ['forty']);
      check.ok(requests.every((r) => r === MPI.REQUEST_NULL));
      // all inactive: MPI.UNDEFINED with an empty status, mpi4py's None for the *some calls
      check.equal(await MPI.Request.Waitany(requests, st), MPI.UNDEFINED);
      check.deepEqual(empty(st), [MPI.ANY_SOURCE, MPI.ANY_TAG, 0]);
      check.deepEqual(await MPI.Request.waitany(requests), [MPI.UNDEFINED, undefined]);
      check.deepEqual(MPI.Request.testany(requests), [MPI.UNDEFINED, true, undefined]);
      check.deepEqual(MPI.Request.Testany([]), [MPI.UNDEFINED, true]);
      check.equal(await MPI.Request.Waitsome(requests), undefined);
      check.equal(MPI.Request.Testsome(requests), undefined);
      check.deepEqual(await MPI.Request.waitsome(requests), [undefined, undefined]);
      check.deepEqual(MPI.Request.testsome(requests), [undefined, undefined]);
      check.deepEqual(await MPI.Request.waitall(requests), [undefined, undefined, undefined]);
      check.deepEqual(MPI.Request.testall(requests), [true, [undefined, undefined, undefined]]);
      // REQUEST_NULL next to active requests: skipped by waitall, the others completed once
      const mixed: Request<unknown>[] = [MPI.REQUEST_NULL, comm.irecv(left, 43), MPI.REQUEST_NULL];
      await comm.send(43, right, 43);
      check.deepEqual(await MPI.Request.waitall(mixed), [undefined, 43, undefined]);
      check.ok(mixed.every((r) => r === MPI.REQUEST_NULL));
      const twice: Request<unknown>[] = [comm.irecv(left, 44)];
      await comm.send(44, right, 44);
      check.deepEqual(await MPI.Request.waitany(twice), [0, 44]);
      check.deepEqual(await MPI.Request.waitany(twice), [MPI.UNDEFINED, undefined]);
      // Get_status says complete without completing: the value is still there for wait
      const peek = comm.irecv(left, 45);
      await comm.send(45, right, 45);
      while (!peek.Get_status(st)) await new Promise((resolve) => setImmediate(resolve));
      check.equal(st.Get_tag(), 45);
      check.equal(peek.isActive, true);
      check.equal(await peek.wait(), 45);
    },
  },
  {
    name: 'sendrecv around the ring',
    run: async (comm) => {
      const { rank, right, left } = ring(comm);
      const s = new MPI.Status();
      check.deepEqual(await comm.sendrecv({ r: rank }, right, 15, left, 15, s), { r: left });
      check.equal(s.source, left);
    },
  },
  {
    name: 'probe and iprobe of a value',
    run: async (comm) => {
      const { right, left } = ring(comm);
      await comm.send('probed', right, 16);
      const s = new MPI.Status();
      check.equal(await comm.probe(left, 16, s), true);
      check.equal(s.Get_source(), left);
      check.equal(s.Get_tag(), 16);
      check.equal(comm.iprobe(left, 16), true);
      check.equal(comm.iprobe(left, 17), false);
      check.equal(await comm.recv(left, 16), 'probed');
    },
  },
  {
    name: 'Probe and Iprobe with wildcards give the envelope, and nothing once received',
    run: async (comm) => {
      const peer = partner(comm);
      if (peer < 0) return;
      if (comm.rank > peer) {
        await comm.Send(pattern(24, 9), peer, 7);
      } else {
        const s = new MPI.Status();
        await comm.Probe(MPI.ANY_SOURCE, MPI.ANY_TAG, s);
        check.deepEqual([s.Get_source(), s.Get_tag(), s.Get_count()], [peer, 7, 24]);
        const again = new MPI.Status();
        check.equal(comm.Iprobe(peer, 7, again), true);
        check.deepEqual([again.Get_source(), again.Get_tag(), again.Get_count()], [peer, 7, 24]);
        check.equal(comm.Iprobe(peer, 8), false);
        const into = new Uint8Array(24);
        await comm.Recv(into, s.Get_source(), s.Get_tag());
        check.deepEqual(into, pattern(24, 9));
        check.equal(comm.Iprobe(MPI.ANY_SOURCE, 7), false);
      }
    },
  },
  {
    name: 'registered classes arrive with their prototype',
    run: async (comm) => {
      const { rank, right, left } = ring(comm);
      await comm.send(new Task(rank, [1, 2, rank]), right, 18);
      const task = await comm.recv(left, 18);
      check.ok(task instanceof Task);
      check.equal(task.id, left);
      check.equal(task.total(), 3 + left);
    },
  },
  {
    name: 'a large value goes by rendezvous and arrives whole',
    run: async (comm) => {
      const { rank, right, left } = ring(comm);
      const big = Array.from({ length: 200_000 }, (_, i) => i * rank);
      const receive = comm.irecv(left, 19);
      await comm.send(big, right, 19);
      const arrived = await receive.wait() as number[];
      check.equal(arrived.length, 200_000);
      check.equal(arrived[199_999], 199_999 * left);
    },
  },
  {
    name: 'values of unknown size from 0 bytes to 3 MiB, their envelope in the Status',
    run: async (comm) => {
      const peer = partner(comm);
      if (peer < 0) return;
      for (const n of [0, 10, 70_000, 3 * 1024 * 1024]) {
        const send = comm.isend(pattern(n, comm.rank + 1), peer, 11);
        const s = new MPI.Status();
        const got = await comm.recv(peer, 11, s);
        await send.wait();
        check.ok(got instanceof Uint8Array, `a Uint8Array of ${n} bytes arrives as one`);
        check.deepEqual(got, pattern(n, peer + 1), `value of ${n} bytes`);
        check.deepEqual([s.Get_source(), s.Get_tag()], [peer, 11]);
      }
    },
  },
  {
    name: 'value receives match in posting order, whichever is awaited first',
    run: async (comm) => {
      const peer = partner(comm);
      if (peer < 0) return;
      if (comm.rank < peer) {
        const first = comm.irecv(peer, MPI.ANY_TAG);
        const second = comm.irecv(peer, MPI.ANY_TAG);
        const secondStatus = new MPI.Status();
        const firstStatus = new MPI.Status();
        check.equal(await second.wait(secondStatus), 'second');
        check.equal(await first.wait(firstStatus), 'first');
        check.equal(firstStatus.Get_tag(), 21);
        check.equal(secondStatus.Get_tag(), 22);
      } else {
        await sleep(20); // both receives are pending before anything arrives
        await comm.send('first', peer, 21);
        await comm.send('second', peer, 22);
      }
    },
  },
  {
    name: 'value and buffer receives of one envelope match in posting order; a probe sees only what no receive takes',
    run: async (comm) => {
      const peer = partner(comm);
      if (peer < 0) return;
      const large = 'x'.repeat(300_000);
      const bytes = 200_000;
      if (comm.rank < peer) {
        // All four are pending before anything arrives, and awaited out of order.
        const first = comm.irecv(peer, 20);
        const doubles = new Float64Array(4);
        const second = comm.Irecv(doubles, peer, 20);
        const third = comm.irecv(peer, 20);
        const into = new Uint8Array(bytes);
        const fourth = comm.Irecv(into, peer, 20);
        check.equal(await third.wait(), 'third');
        const fourthStatus = new MPI.Status();
        await fourth.Wait(fourthStatus);
        check.equal(fourthStatus.Get_count(MPI.BYTE), bytes);
        check.deepEqual(into, pattern(bytes, 4));
        await second.Wait();
        check.deepEqual(Array.from(doubles), [3.5, 3.5, 3.5, 3.5]);
        check.equal(await first.wait(), large);
        // A value receive pending before the messages come takes the first: Mprobe and Probe see the next one.
        const beforeMprobe = comm.irecv(peer, 21);
        const probed = new MPI.Status();
        const message = await comm.Mprobe(peer, 21, probed);
        check.equal(probed.Get_count(MPI.BYTE), 48);
        const six = new Float64Array(6);
        await message.Recv(six);
        check.deepEqual(Array.from(six), [1, 2, 3, 4, 5, 6]);
        check.equal(await beforeMprobe.wait(), 'before the Mprobe');
        const beforeProbe = comm.irecv(peer, 22);
        const probedToo = new MPI.Status();
        await comm.Probe(peer, 22, probedToo);
        check.equal(probedToo.Get_count(MPI.BYTE), 16);
        const two = new Float64Array(2);
        await comm.Recv(two, peer, 22);
        check.deepEqual(Array.from(two), [1, 2]);
        check.equal(await beforeProbe.wait(), 'before the Probe');
      } else {
        await sleep(20); // the receives are pending before anything arrives
        await comm.send(large, peer, 20);
        await comm.Send(Float64Array.of(3.5, 3.5, 3.5, 3.5), peer, 20);
        await comm.send('third', peer, 20);
        await comm.Send(pattern(bytes, 4), peer, 20);
        await sleep(20);
        await comm.send('before the Mprobe', peer, 21);
        await comm.Send(Float64Array.of(1, 2, 3, 4, 5, 6), peer, 21);
        await sleep(20);
        await comm.send('before the Probe', peer, 22);
        await comm.Send(Float64Array.of(1, 2), peer, 22);
      }
    },
  },
  {
    name: 'wildcard receives: every rank sends to rank 0, which sees each source once with its tag',
    run: async (comm) => {
      const { rank, size } = comm;
      if (rank === 0) {
        const seen = new Map<number, number>();
        for (let i = 1; i < size; i++) {
          const into = new Int32Array(1);
          const s = new MPI.Status();
          await comm.Recv(into, MPI.ANY_SOURCE, MPI.ANY_TAG, s);
          check.equal(s.Get_tag(), 100 + s.Get_source());
          check.equal(into[0], s.Get_source() * 1000);
          seen.set(s.Get_source(), s.Get_tag());
        }
        check.deepEqual([...seen.keys()].sort((a, b) => a - b), Array.from({ length: size - 1 }, (_, i) => i + 1));
      } else {
        await comm.Send(Int32Array.of(rank * 1000), 0, 100 + rank);
      }
    },
  },
  {
    name: 'buffers of every typed array class, whole and with count and datatype',
    run: async (comm) => {
      const { rank, right, left } = ring(comm);
      const kinds = [Int8Array, Uint8Array, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array, Float64Array] as const;
      for (const Kind of kinds) {
        const out = new Kind(33).map((_, i) => (i * 3 + rank) % 100);
        const into = new Kind(33);
        const s = new MPI.Status();
        await MPI.Request.Waitall([comm.Irecv(into, left, 20), comm.Isend(out, right, 20)]);
        check.deepEqual(Array.from(into), Array.from(new Kind(33).map((_, i) => (i * 3 + left) % 100)));
        await comm.Send([out, 10, MPI.typedict[Kind.name]!], right, 21);
        const wide = new Kind(40);
        await comm.Recv(wide, MPI.ANY_SOURCE, MPI.ANY_TAG, s);
        check.equal(s.Get_count(MPI.typedict[Kind.name]!), 10);
        check.equal(s.Get_elements(MPI.typedict[Kind.name]!), 10);
        check.equal(s.Get_count(), 10 * Kind.BYTES_PER_ELEMENT);
        check.equal(wide[9], (27 + left) % 100);
        check.equal(wide[10], 0);
      }
      for (const Kind of [BigInt64Array, BigUint64Array] as const) {
        const out = Kind.from([1n, 2n ** 60n, 3n]);
        const into = new Kind(3);
        await comm.Sendrecv(out, right, 22, into, left, 22);
        check.deepEqual(into, out);
      }
    },
  },
  {
    name: 'buffers from 0 bytes to 4 MiB, eager and rendezvous, with their envelope',
    run: async (comm) => {
      const peer = partner(comm);
      if (peer < 0) return;
      for (const n of [0, 1, 8, 1000, 65536, 200_000, 4 * 1024 * 1024]) {
        const out = pattern(n, comm.rank);
        const into = new Uint8Array(n);
        const s = new MPI.Status();
        if (comm.rank < peer) {
          await comm.Send(out, peer, n % 1000);
          await comm.Recv(into, peer, n % 1000, s);
        } else {
          await comm.Recv(into, peer, n % 1000, s);
          await comm.Send(out, peer, n % 1000);
        }
        check.deepEqual([s.Get_source(), s.Get_tag(), s.Get_count()], [peer, n % 1000, n]);
        check.ok(Buffer.from(into).equals(Buffer.from(pattern(n, peer))), `buffer ping-pong of ${n} bytes`);
      }
    },
  },
  {
    name: '[buf, datatype] views the bytes as another type; Get_count is UNDEFINED when not whole',
    run: async (comm) => {
      const { right, left } = ring(comm);
      const bytes = new Uint8Array(new Float64Array([1.5, 2.5]).buffer);
      await comm.Send([bytes, MPI.DOUBLE], right, 23);
      const doubles = new Float64Array(4);
      const s = new MPI.Status();
      await comm.Recv(doubles, left, 23, s);
      check.deepEqual(Array.from(doubles.subarray(0, 2)), [1.5, 2.5]);
      check.equal(s.Get_count(MPI.DOUBLE), 2);
      check.equal(s.Get_count(new MPI.Datatype('MPI_THREE', 3, 'byte', 999, undefined)), MPI.UNDEFINED);
      // a bad datatype is an error, not a count (MPI.UNDEFINED is a count that does not divide)
      for (const bad of [null, 8, 'MPI_DOUBLE', {}, new MPI.Datatype('MPI_EMPTY', 0, 'byte', 998, undefined)]) {
        check.throwsMPI(() => s.Get_count(bad as never), MPI.ERR_TYPE, /Status\.Get_count: invalid datatype/);
        check.throwsMPI(() => s.Get_elements(bad as never), MPI.ERR_TYPE, /Status\.Get_elements: invalid datatype/);
      }
      // The bytes of a Float64Array sent as bytes arrive in another rank's Float64Array, no conversion.
      const values = Float64Array.from({ length: 100 }, (_, i) => i * 0.5 + comm.rank);
      const got = new Float64Array(100);
      await comm.Sendrecv(new Uint8Array(values.buffer), right, 3, new Uint8Array(got.buffer), left, 3);
      check.deepEqual(Array.from(got), Array.from(values, (v) => v - comm.rank + left));
    },
  },
  {
    name: 'Ssend, Issend, Sendrecv_replace, and Probe sizing a buffer',
    run: async (comm) => {
      const { rank, right, left } = ring(comm);
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
      check.equal(data[0], left);
      const request = comm.Issend(data, right, 25);
      await comm.Recv(new Float64Array(50), left, 25);
      await request.Wait();
      const replace = Int32Array.of(rank, rank);
      await comm.Sendrecv_replace(replace, right, 26, left, 26);
      check.deepEqual(Array.from(replace), [left, left]);
      await comm.Send(new Float64Array(17), right, 27);
      const s = new MPI.Status();
      await comm.Probe(MPI.ANY_SOURCE, MPI.ANY_TAG, s);
      const sized = new Float64Array(s.Get_count(MPI.DOUBLE));
      check.equal(sized.length, 17);
      check.equal(comm.Iprobe(s.source, s.tag), true);
      await comm.Recv(sized, s.source, s.tag);
    },
  },
  {
    name: 'Issend completes only once matched, and the event loop runs while it waits',
    run: async (comm) => {
      const peer = partner(comm);
      if (peer < 0) return;
      // Order, not durations: the receiver posts its receive only once a timer of the sender has fired during the
      // sender's Wait and told it to. A Wait that held the event loop would never let the timer run (deadlock); an
      // Issend that completed unmatched would end its Wait before the timer fired.
      if (comm.rank < peer) {
        const request = comm.Issend(pattern(8, 1), peer, 5);
        check.equal(request.Test(), false, 'Issend completed before the receive was posted');
        let told = false;
        setTimeout(() => {
          told = true;
          void comm.send('post your receive', peer, 6);
        }, 5);
        await request.Wait();
        check.ok(told, 'Issend completed before the receiver was told to post its receive');
      } else {
        check.equal(await comm.recv(peer, 6), 'post your receive');
        const into = new Uint8Array(8);
        await comm.Recv(into, peer, 5);
        check.deepEqual(into, pattern(8, 1));
      }
    },
  },
  {
    name: 'large buffers from plain memory and from MPI.alloc, and zero-length messages',
    run: async (comm) => {
      const { rank, right, left } = ring(comm);
      for (const shared of [false, true]) {
        const n = 1 << 20;
        const out = shared ? MPI.alloc(Float64Array, n) : new Float64Array(n);
        for (let i = 0; i < n; i += 997) out[i] = i + rank;
        out[n - 1] = -rank;
        const into = shared ? MPI.alloc(Float64Array, n) : new Float64Array(n);
        await MPI.Request.Waitall([comm.Irecv(into, left, 28), comm.Isend(out, right, 28)]);
        for (let i = 0; i < n; i += 997) check.equal(into[i], i + left);
        check.equal(into[n - 1], -left);
        const s = new MPI.Status();
        await comm.Sendrecv(new Uint8Array(0), right, 29, new Uint8Array(0), left, 29, s);
        check.deepEqual([s.Get_source(), s.Get_count()], [left, 0]);
      }
    },
  },
  {
    name: 'many operations pending at once: four rounds of 1 MiB around the ring, all posted first',
    run: async (comm) => {
      const { rank, right, left } = ring(comm);
      const n = 1 << 20;
      const rounds = 4;
      const into = Array.from({ length: rounds }, () => new Uint8Array(n));
      const requests: Request<void>[] = [];
      for (let k = 0; k < rounds; k++) requests.push(comm.Irecv(into[k]!, left, 40 + k));
      for (let k = 0; k < rounds; k++) requests.push(comm.Isend(pattern(n, rank * 10 + k), right, 40 + k));
      await MPI.Request.Waitall(requests);
      for (let k = 0; k < rounds; k++) check.ok(Buffer.from(into[k]!).equals(Buffer.from(pattern(n, left * 10 + k))), `round ${k}`);
    },
  },
  {
    name: 'Test drives progress without waiting',
    run: async (comm) => {
      const peer = partner(comm);
      if (peer < 0) return;
      // Order, not a sleep: the peer sends only once told that the receive is posted and was tested incomplete.
      if (comm.rank < peer) {
        const into = new Uint8Array(8);
        const request = comm.Irecv(into, peer, 77);
        check.equal(request.Test(), false, 'the receive completed before its message was sent');
        await comm.send('send now', peer, 78);
        // Only Test, never a wait, completes it.
        while (!request.Test()) await sleep(1);
        check.deepEqual(into, pattern(8, 0));
      } else {
        check.equal(await comm.recv(peer, 78), 'send now');
        await comm.Send(pattern(8, 0), peer, 77);
      }
    },
  },
  {
    name: 'a pending receive keeps its buffer alive: garbage collection cannot take memory still written to',
    run: async (comm) => {
      const peer = partner(comm);
      if (peer < 0) return;
      setFlagsFromString('--expose-gc');
      const gc = runInNewContext('gc') as () => void;
      if (comm.rank < peer) {
        let weak: WeakRef<Uint8Array> | undefined;
        const request = ((): Request<void> => {
          const buf = new Uint8Array(1 << 20);
          weak = new WeakRef(buf);
          return comm.Irecv(buf, peer, 88);
        })();
        for (let i = 0; i < 5; i++) {
          gc();
          await sleep(5);
        }
        check.ok(weak!.deref() !== undefined, 'the buffer of a pending receive was collected');
        await comm.Send(pattern(8, 0), peer, 89); // now the peer sends
        const s = new MPI.Status();
        await request.Wait(s);
        check.equal(s.Get_count(), 1 << 20);
        check.ok(Buffer.from(weak!.deref()!).equals(Buffer.from(pattern(1 << 20, peer))));
      } else {
        await comm.Recv(new Uint8Array(8), peer, 89);
        await comm.Send(pattern(1 << 20, comm.rank), peer, 88);
      }
    },
  },
  {
    name: 'PROC_NULL: sends vanish, receives complete at once with an empty status, buffers may be null',
    run: async (comm) => {
      const { right, left } = ring(comm);
      await comm.Send(new Int32Array(4), MPI.PROC_NULL);
      await comm.send('nobody', MPI.PROC_NULL);
      const s = new MPI.Status();
      await comm.Recv(new Int32Array(4), MPI.PROC_NULL, 0, s);
      check.equal(s.Get_source(), MPI.PROC_NULL);
      check.equal(s.Get_tag(), MPI.ANY_TAG);
      check.equal(s.Get_count(), 0);
      check.equal(await comm.recv(MPI.PROC_NULL), undefined);
      const forValue = new MPI.Status();
      await comm.recv(MPI.PROC_NULL, 3, forValue);
      check.deepEqual([forValue.Get_source(), forValue.Get_tag(), forValue.Get_count()], [MPI.PROC_NULL, MPI.ANY_TAG, 0]);
      // the buffer of a message to or from PROC_NULL is never read: null will do (mpi4py)
      await comm.Send(null, MPI.PROC_NULL);
      s.Set_source(0);
      await comm.Recv(null, MPI.PROC_NULL, 0, s);
      check.equal(s.Get_source(), MPI.PROC_NULL);
      await comm.Sendrecv(null, MPI.PROC_NULL, 0, null, MPI.PROC_NULL);
      await comm.Isend(null, MPI.PROC_NULL).Wait();
      await comm.Irecv(null, MPI.PROC_NULL).Wait();
      await check.rejectsMPI(comm.Recv(null, left, 0), MPI.ERR_BUFFER, /receive buffer is required/);
      await check.rejectsMPI(comm.Send(null, right, 0), MPI.ERR_BUFFER, /got null/);
    },
  },
  {
    name: 'COMM_SELF talks to itself',
    run: async () => {
      const self = MPI.COMM_SELF;
      const receive = self.irecv(0, 30);
      await self.send('me', 0, 30);
      check.equal(await receive.wait(), 'me');
      const into = new Uint8Array(100);
      const send = self.Isend(pattern(100, 4), 0, 1);
      await self.Recv(into, 0, 1);
      await send.Wait();
      check.deepEqual(into, pattern(100, 4));
    },
  },
  {
    name: 'communicators separate traffic, and a freed one refuses to send',
    run: async (comm) => {
      const { right, left } = ring(comm);
      const dup = await comm.Dup();
      await dup.send('on dup', right, 31);
      await comm.send('on comm', right, 31);
      check.equal(await comm.recv(left, 31), 'on comm');
      check.equal(await dup.recv(left, 31), 'on dup');
      dup.Free();
      await check.rejectsMPI(dup.send(1, right), MPI.ERR_COMM, /freed/);
    },
  },
  {
    name: 'values above the eager limit sent back to back: each send keeps its own bytes until it completes',
    run: async (comm) => {
      const { rank, right, left } = ring(comm);
      const values = [1, 2, 3].map((k) => ({ k, data: new Float64Array(300_000).map((_, i) => i * k + rank) }));
      const sends = values.map((value) => comm.isend(value, right, 40));
      const blocking = comm.send({ k: 4, data: new Float64Array(300_000).fill(rank + 4) }, right, 40);
      for (const k of [1, 2, 3, 4]) {
        const got = await comm.recv(left, 40) as { k: number; data: Float64Array };
        check.equal(got.k, k);
        const expected = (i: number): number => (k === 4 ? left + 4 : i * k + left);
        check.ok(got.data.every((x, i) => x === expected(i)), `object ${k} from rank ${left} arrived intact`);
      }
      await MPI.Request.waitall(sends);
      await blocking;
    },
  },
  {
    name: 'argument errors: bad rank and tag, bad buffer specs, unserializable values',
    run: async (comm) => {
      const { size, right } = ring(comm);
      await check.rejectsMPI(comm.send(1, size), MPI.ERR_RANK, /Comm\.send: invalid dest/);
      await check.rejectsMPI(comm.Send(new Int32Array(1), -5), MPI.ERR_RANK, /invalid dest -5/);
      await check.rejectsMPI(comm.recv(size + 3), MPI.ERR_RANK, /invalid source/);
      await check.rejectsMPI(comm.send(1, right, -7), MPI.ERR_TAG, /invalid tag -7/);
      await check.rejectsMPI(comm.send(1, right, MPI.ANY_TAG), MPI.ERR_TAG, /invalid tag/);
      await check.rejectsMPI(comm.send(1, right, 1.5), MPI.ERR_TAG, /invalid tag 1.5/);
      await check.rejectsMPI(comm.send(() => 1, right), MPI.ERR_ARG, /function/);
      await check.rejectsMPI(comm.send({ a: [1, Symbol('s')] }, right), MPI.ERR_ARG, /symbol/);
      await check.rejectsMPI(comm.Send([new Int32Array(2), 5, MPI.INT], right), MPI.ERR_COUNT, /count 5/);
      await check.rejectsMPI(comm.Send('text' as never, right), MPI.ERR_BUFFER, /typed array/);
      await check.rejectsMPI(comm.Send([new Int32Array(2), 'x'] as never, right), MPI.ERR_BUFFER, /\[buf, count, datatype\]/);
      check.throwsMPI(() => comm.Isend(new Int32Array(1), 99), MPI.ERR_RANK, /Comm\.Isend/);
    },
  },
  {
    name: 'a send-receive whose send half fails leaves no receive behind: the next message goes to the next receive',
    run: async (comm) => {
      const { right, left, size } = ring(comm);
      const stale = new Float64Array(2).fill(-1);
      const failures: [() => Promise<unknown>, number, RegExp][] = [
        [() => comm.sendrecv(() => 1, right, 0, left, 40), MPI.ERR_ARG, /Comm\.sendrecv/],
        [() => comm.sendrecv('x', size + 3, 0, left, 40), MPI.ERR_RANK, /Comm\.sendrecv: invalid dest/],
        [() => comm.Sendrecv(new Float64Array(2), right, -5, stale, left, 40), MPI.ERR_TAG, /Comm\.Sendrecv: invalid tag -5/],
        [() => comm.Sendrecv([new Float64Array(2), 10, MPI.DOUBLE], right, 0, stale, left, 40), MPI.ERR_COUNT,
          /Comm\.Sendrecv: count 10/],
        [() => comm.Isendrecv(new Float64Array(2), size + 3, 0, stale, left, 40).Wait(), MPI.ERR_RANK,
          /Comm\.Isendrecv: invalid dest/],
        [() => comm.Sendrecv_replace(stale, size + 3, 0, left, 40), MPI.ERR_RANK, /Comm\.Sendrecv_replace: invalid dest/],
        [() => comm.Isendrecv_replace(stale, right, -1, left, 40).Wait(), MPI.ERR_TAG, /Comm\.Isendrecv_replace: invalid tag -1/],
      ];
      for (const [attempt, errorClass, words] of failures) {
        await check.rejectsMPI((async () => attempt())(), errorClass, words);
      }
      // the messages those receives would have taken, one value and one buffer
      const sent = Promise.all([comm.send('value', right, 40), comm.Send(Float64Array.of(7, 8), right, 40)]);
      check.equal(await comm.recv(left, 40), 'value');
      const fresh = new Float64Array(2);
      await comm.Recv(fresh, left, 40);
      await sent;
      check.deepEqual([...Array.from(fresh), ...Array.from(stale)], [7, 8, -1, -1]);
    },
  },
  {
    name: 'truncation: ERR_TRUNCATE, the message consumed (its first bytes stored), the next one received',
    run: async (comm) => {
      const { right, left } = ring(comm);
      await comm.Send(Int32Array.of(1, 2, 3, 4), right, 32);
      await comm.Send(Int32Array.of(5, 6), right, 32);
      const small = new Int32Array(2);
      await check.rejectsMPI(comm.Recv(small, left, 32), MPI.ERR_TRUNCATE, /8-byte receive buffer/);
      check.deepEqual(Array.from(small), [1, 2]);
      // a wildcard receive now gets the second message: the first is not seen twice (shm once kept it queued)
      const next = new Int32Array(4).fill(-1);
      const status = new MPI.Status();
      await comm.Recv(next, MPI.ANY_SOURCE, MPI.ANY_TAG, status);
      check.deepEqual([...Array.from(next), status.Get_count(MPI.INT)], [5, 6, -1, -1, 2]);
    },
  },
];

await runCases('p2p', cases.map((c) => ({ ...c, minRanks: c.minRanks ?? 2 })));
