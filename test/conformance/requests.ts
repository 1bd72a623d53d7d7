/**
 * Conformance chapter: the rest of point-to-point (MPI-4.1 chapter 3) and
 * requests: matched probes and `Message` (§3.8.2-3.8.3), buffered and ready
 * sends with the attached buffer (§3.4, §3.6), `Isendrecv` and
 * `Isendrecv_replace` (§3.10), persistent requests (§3.9), partitioned
 * communication (§4), `Cancel`
 * (§3.8.4), `Get_status`, `Request.Free`, `Status` setters (§13.3) and
 * generalized requests (§13.2). An SPMD program for 2 or more ranks on any
 * transport; see cases.ts.
 *
 * @module
 */
import { type Intracomm, MPI } from 'mpi4ts';
import { type Case, check, runCases, sleep } from './cases.js';

/** The neighbours of `comm`'s rank in a ring. */
function ring(comm: Intracomm): { rank: number; size: number; right: number; left: number } {
  const { rank, size } = comm;
  return { rank, size, right: (rank + 1) % size, left: (rank - 1 + size) % size };
}

const cases: Case[] = [
  {
    name: 'Waitany and Waitsome over an inactive request and a nonblocking collective that completes later',
    run: async (comm) => {
      for (const form of ['Waitany', 'Waitsome'] as const) {
        if (comm.rank === comm.size - 1) await sleep(100); // the others wait for it in the collective
        const requests = [MPI.REQUEST_NULL, comm.Ibarrier()];
        if (form === 'Waitany') check.equal(await MPI.Request.Waitany(requests), 1);
        else check.deepEqual(await MPI.Request.Waitsome(requests), [1]);
        const sum = new Float64Array(1);
        const reductions = [comm.Iallreduce(Float64Array.of(comm.rank), sum, MPI.SUM), MPI.REQUEST_NULL];
        if (comm.rank === 0) await sleep(50);
        check.equal(await MPI.Request.Waitany(reductions), 0);
        check.equal(sum[0], (comm.size * (comm.size - 1)) / 2);
      }
    },
  },
  {
    name: 'Mprobe and Message.Recv: the probed message, of the size the status says',
    run: async (comm) => {
      const { rank, right, left } = ring(comm);
      await comm.Send(Int32Array.from({ length: rank + 3 }, (_, i) => i * 10 + rank), right, 5);
      const status = new MPI.Status();
      const message = await comm.Mprobe(MPI.ANY_SOURCE, 5, status);
      check.equal(status.Get_source(), left);
      check.equal(status.Get_tag(), 5);
      check.equal(status.Get_count(MPI.INT), left + 3);
      check.ok(message.isLive);
      // Taken out of matching: no probe sees it any more.
      check.equal(comm.Iprobe(left, 5), false);
      const buf = new Int32Array(status.Get_count(MPI.INT));
      const received = new MPI.Status();
      await message.Recv(buf, received);
      check.deepEqual(Array.from(buf), Array.from({ length: left + 3 }, (_, i) => i * 10 + left));
      check.equal(received.Get_source(), left);
      check.equal(received.Get_count(MPI.INT), left + 3);
      check.equal(message.isLive, false);
      check.throwsMPI(() => message.Irecv(buf), MPI.ERR_REQUEST, /Message\.Irecv: the message is MPI\.MESSAGE_NULL/);
    },
  },
  {
    name: 'a matched message is not taken by a later receive; messages of one source stay in order',
    run: async (comm) => {
      const { right, left } = ring(comm);
      await comm.send('first', right, 1);
      await comm.send('second', right, 1);
      const message = await comm.mprobe(left, 1);
      check.equal(await comm.recv(left, 1), 'second');
      check.equal(await message.recv(), 'first');
    },
  },
  {
    name: 'Improbe: null before the message, the message after; Message.Iprobe/irecv on values',
    run: async (comm) => {
      const { rank, right, left } = ring(comm);
      check.equal(comm.Improbe(left, 77), null);
      await comm.Barrier();
      await comm.send({ from: rank }, right, 77);
      let message: InstanceType<typeof MPI.Message> | null = null;
      const status = new MPI.Status();
      while ((message = MPI.Message.iprobe(comm, left, 77, status)) === null) await new Promise((r) => setTimeout(r, 1));
      check.equal(status.Get_source(), left);
      const request = message.irecv<{ from: number }>();
      check.deepEqual(await request.wait(), { from: left });
      await comm.Barrier();
    },
  },
  {
    name: 'Message.Irecv into a buffer, and ERR_TRUNCATE when it is too small (message consumed)',
    run: async (comm) => {
      const { right, left } = ring(comm);
      await comm.Send(Float64Array.of(1.5, 2.5, 3.5), right, 9);
      await comm.Send(Float64Array.of(4, 5, 6, 7), right, 9);
      const first = await MPI.Message.Probe(comm, left, 9);
      const buf = new Float64Array(3);
      const status = new MPI.Status();
      await first.Irecv(buf).Wait(status);
      check.deepEqual(Array.from(buf), [1.5, 2.5, 3.5]);
      check.equal(status.Get_count(MPI.DOUBLE), 3);
      const second = await comm.Mprobe(left, 9);
      await check.rejectsMPI(second.Recv(new Float64Array(2)), MPI.ERR_TRUNCATE, /Message\.Recv: message/);
      check.equal(comm.Iprobe(left, 9), false);
    },
  },
  {
    name: 'Waitall and Waitsome over a truncated receive: ERR_IN_STATUS, each status with its error; Waitany: the error itself',
    run: async (comm) => {
      const { right, left } = ring(comm);
      for (const [tag, n] of [[40, 2], [41, 4], [42, 3], [43, 3]] as const) await comm.Send(new Int32Array(n).fill(tag), right, tag);
      const good = new Int32Array(2);
      const requests = [comm.Irecv(good, left, 40), comm.Irecv(new Int32Array(2), left, 41)];
      const statuses = [new MPI.Status(), new MPI.Status()];
      await check.rejectsMPI(MPI.Request.Waitall(requests, statuses), MPI.ERR_IN_STATUS,
        /Request\.Waitall: requests\[1\] failed with MPI_ERR_TRUNCATE \(Comm\.Irecv: message .*from rank/);
      check.deepEqual(statuses.map((s) => [s.Get_error(), s.Get_source(), s.Get_tag()]),
        [[MPI.SUCCESS, left, 40], [MPI.ERR_TRUNCATE, left, 41]]);
      check.deepEqual([statuses[0]!.Get_count(MPI.INT), ...good], [2, 40, 40]);
      check.equal(requests[0], MPI.REQUEST_NULL, 'the completed request is retired');
      const some = [new MPI.Status()];
      await check.rejectsMPI(MPI.Request.Waitsome([comm.Irecv(new Int32Array(2), left, 42)], some), MPI.ERR_IN_STATUS,
        /Request\.Waitsome: requests\[0\] failed with MPI_ERR_TRUNCATE/);
      check.equal(some[0]!.Get_error(), MPI.ERR_TRUNCATE);
      await check.rejectsMPI(MPI.Request.Waitany([comm.Irecv(new Int32Array(2), left, 43)]), MPI.ERR_TRUNCATE, /Comm\.Irecv: message/);
    },
  },
  {
    name: 'MESSAGE_NO_PROC from a probe of PROC_NULL; MESSAGE_NULL cannot be received',
    run: async (comm) => {
      const status = new MPI.Status();
      const message = await comm.Mprobe(MPI.PROC_NULL, 0, status);
      check.equal(message, MPI.MESSAGE_NO_PROC);
      check.equal(status.Get_source(), MPI.PROC_NULL);
      check.equal(comm.Improbe(MPI.PROC_NULL), MPI.MESSAGE_NO_PROC);
      await message.Recv(new Int32Array(1), status);
      check.equal(status.Get_source(), MPI.PROC_NULL);
      check.equal(status.Get_count(), 0);
      check.equal(await MPI.MESSAGE_NO_PROC.recv(), undefined);
      check.equal(MPI.MESSAGE_NULL.isLive, false);
      await check.rejectsMPI(MPI.MESSAGE_NULL.Recv(new Int32Array(1)), MPI.ERR_REQUEST, /MESSAGE_NULL/);
      check.throwsMPI(() => comm.Improbe(comm.size), MPI.ERR_RANK, /Comm\.Improbe/);
    },
  },
  {
    name: 'Bsend, Ibsend, bsend: complete once copied; ERR_BUFFER without room; Detach_buffer waits',
    run: async (comm) => {
      const { rank, right, left } = ring(comm);
      await check.rejectsMPI(comm.Bsend(new Int32Array(4), right, 3), MPI.ERR_BUFFER, /Comm\.Bsend: no buffer is attached/);
      check.ok(MPI.BSEND_OVERHEAD >= 0);
      const space = new Uint8Array(3 * (4096 + MPI.BSEND_OVERHEAD));
      MPI.Attach_buffer(space);
      check.throwsMPI(() => MPI.Attach_buffer(new Uint8Array(8)), MPI.ERR_BUFFER, /attached already/);
      const data = Int32Array.from({ length: 1024 }, (_, i) => i + rank);
      await comm.Bsend(data, right, 3);
      data.fill(-1); // the copy went, not the buffer
      const request = comm.Ibsend(Int32Array.of(rank), right, 4);
      check.equal(request.Test(), true);
      await comm.bsend({ rank }, right, 5);
      // A message larger than the whole buffer never fits.
      check.throwsMPI(() => comm.Ibsend(new Int32Array(4096), right, 6), MPI.ERR_BUFFER, /Comm\.Ibsend: the attached buffer/);
      const got = new Int32Array(1024);
      await comm.Recv(got, left, 3);
      check.equal(got[0], left);
      check.equal(got[1023], 1023 + left);
      const one = new Int32Array(1);
      await comm.Recv(one, left, 4);
      check.equal(one[0], left);
      check.deepEqual(await comm.recv(left, 5), { rank: left });
      const detached = await MPI.Detach_buffer();
      check.equal(detached, space);
      await check.rejectsMPI(MPI.Detach_buffer(), MPI.ERR_BUFFER, /no buffer is attached/);
    },
  },
  {
    name: 'Rsend and Irsend to a posted receive',
    run: async (comm) => {
      const { rank, right, left } = ring(comm);
      const buf = new Float32Array(2);
      const receive = comm.Irecv(buf, left, 8);
      await comm.Barrier();
      await comm.Rsend(Float32Array.of(rank, 0.5), right, 8);
      await receive.Wait();
      check.deepEqual(Array.from(buf), [left, 0.5]);
      const again = comm.Irecv(buf, left, 8);
      await comm.Barrier();
      await comm.Irsend(Float32Array.of(rank * 2, 1.5), right, 8).Wait();
      await again.Wait();
      check.deepEqual(Array.from(buf), [left * 2, 1.5]);
    },
  },
  {
    name: 'Isendrecv and Isendrecv_replace around a ring',
    run: async (comm) => {
      const { rank, right, left } = ring(comm);
      const into = new Int32Array(3);
      const status = new MPI.Status();
      const request = comm.Isendrecv(Int32Array.of(rank, rank, rank), right, 2, into, left, 2);
      await request.Wait(status);
      check.deepEqual(Array.from(into), [left, left, left]);
      check.equal(status.Get_source(), left);
      check.equal(status.Get_count(MPI.INT), 3);
      const buf = Float64Array.of(rank + 0.25, rank + 0.75);
      await comm.Isendrecv_replace(buf, right, 3, left, 3).Wait();
      check.deepEqual(Array.from(buf), [left + 0.25, left + 0.75]);
      const proc = comm.Isendrecv(Int32Array.of(1), MPI.PROC_NULL, 0, new Int32Array(1), MPI.PROC_NULL, 0);
      await proc.Wait(status);
      check.equal(status.Get_source(), MPI.PROC_NULL);
    },
  },
  {
    name: 'persistent requests: Send_init/Recv_init started three times, Startall, inactive not null',
    run: async (comm) => {
      const { rank, right, left } = ring(comm);
      const out = new Int32Array(2);
      const into = new Int32Array(2);
      const send = comm.Send_init(out, right, 12);
      const receive = comm.Recv_init(into, left, 12);
      check.equal(send.isActive, false);
      for (let step = 0; step < 3; step++) {
        out[0] = rank;
        out[1] = step;
        MPI.Prequest.Startall([receive, send]);
        check.equal(send.isActive, true);
        check.throwsMPI(() => send.Start(), MPI.ERR_REQUEST, /Prequest\.Start: .*still active/);
        const requests = [send, receive];
        await MPI.Request.Waitall(requests);
        check.equal(requests[0], send); // persistent requests are not replaced by REQUEST_NULL
        check.equal(send.isActive, false);
        check.deepEqual(Array.from(into), [left, step]);
      }
      for (const [make, sync] of [[comm.Ssend_init.bind(comm), true], [comm.Rsend_init.bind(comm), false]] as const) {
        const r = comm.Recv_init(into, left, 13);
        r.Start();
        await comm.Barrier();
        const s = make(Int32Array.of(rank, sync ? 1 : 0), right, 13);
        s.Start();
        await MPI.Request.Waitall([s, r]);
        check.deepEqual(Array.from(into), [left, sync ? 1 : 0]);
        s.Free();
        r.Free();
        check.throwsMPI(() => s.Start(), MPI.ERR_REQUEST, /freed/);
      }
      MPI.Attach_buffer(new Uint8Array(1024));
      const b = comm.Bsend_init(Int32Array.of(rank + 100), right, 14);
      b.Start();
      await b.Wait();
      const one = new Int32Array(1);
      await comm.Recv(one, left, 14);
      check.equal(one[0], left + 100);
      await MPI.Detach_buffer();
      send.Free();
      receive.Free();
      check.throwsMPI(() => comm.Send_init(out, comm.size, 0), MPI.ERR_RANK, /Comm\.Send_init/);
      check.throwsMPI(() => comm.Recv_init(into, 0, -5), MPI.ERR_TAG, /Comm\.Recv_init/);
    },
  },
  {
    name: 'partitioned: Psend_init/Precv_init, Pready, Pready_range, Pready_list, Parrived, twice',
    run: async (comm) => {
      const { rank, right, left } = ring(comm);
      const out = new Int32Array(8);
      const into = new Int32Array(8);
      const send = comm.Psend_init(out, 4, right, 40);
      const receive = comm.Precv_init(into, 2, left, 40);
      for (let round = 0; round < 2; round++) {
        receive.Start();
        send.Start();
        check.equal(receive.Parrived(0), false);
        out.set([rank, round, 0, 0, 0, 0, 0, 0]);
        send.Pready(0);
        check.throwsMPI(() => send.Pready(0), MPI.ERR_REQUEST, /Prequest\.Pready: partition 0 is ready already/);
        // Nothing goes before every partition is ready: the left rank readies its last ones only after the barrier.
        check.equal(receive.Parrived(1), false);
        await comm.Barrier();
        if (round === 0) send.Pready_range(1, 3);
        else send.Pready_list([3, 1, 2]);
        await MPI.Request.Waitall([send, receive]);
        check.equal(receive.Parrived(0), true);
        check.equal(receive.Parrived(1), true);
        check.deepEqual(Array.from(into.subarray(0, 2)), [left, round]);
      }
      check.throwsMPI(() => send.Pready(9), MPI.ERR_REQUEST, /not started/);
      send.Start();
      check.throwsMPI(() => send.Pready(9), MPI.ERR_ARG, /Prequest\.Pready: invalid partition 9/);
      check.throwsMPI(() => receive.Pready(0), MPI.ERR_REQUEST, /Comm\.Psend_init/);
      send.Pready_range(0, 3);
      const one = new Int32Array(8);
      await comm.Recv(one, left, 40);
      await send.Wait();
      send.Free();
      receive.Free();
      check.throwsMPI(() => comm.Precv_init(into, 2, MPI.ANY_SOURCE, 0), MPI.ERR_RANK, /Comm\.Precv_init/);
      check.throwsMPI(() => comm.Psend_init(out, 0, right, 0), MPI.ERR_COUNT, /Comm\.Psend_init: invalid partitions 0/);
    },
  },
  {
    name: 'Cancel of a pending receive: Is_cancelled, no value; the message goes to the next receive',
    run: async (comm) => {
      const { rank, right, left } = ring(comm);
      for (const object of [false, true]) {
        const buf = new Int32Array(1);
        const request = object ? comm.irecv(left, 21) : comm.Irecv(buf, left, 21);
        request.Cancel();
        const status = new MPI.Status();
        await request.Wait(status);
        check.equal(status.Is_cancelled(), true);
        check.equal(request.isActive, false);
        await comm.Barrier();
        await comm.Send(Int32Array.of(rank + 40), right, 21);
        const got = new Int32Array(1);
        await comm.Recv(got, left, 21, status);
        check.equal(got[0], left + 40);
        check.equal(status.Is_cancelled(), false);
        await comm.Barrier();
      }
      // A completed receive is not cancelled.
      await comm.Send(Int32Array.of(rank), right, 22);
      const buf = new Int32Array(1);
      const done = comm.Irecv(buf, left, 22);
      const status = new MPI.Status();
      while (!done.Get_status(status)) await new Promise((r) => setTimeout(r, 1));
      check.equal(status.Get_source(), left);
      done.cancel();
      await done.Wait(status);
      check.equal(status.Is_cancelled(), false);
      check.equal(buf[0], left);
    },
  },
  {
    name: 'Get_status leaves the request active; Request.Free lets an operation go on',
    run: async (comm) => {
      const { rank, right, left } = ring(comm);
      const buf = new Int32Array(1);
      const request = comm.Irecv(buf, left, 31);
      const status = new MPI.Status();
      check.equal(request.get_status(status), false);
      await comm.Barrier();
      const send = comm.Isend(Int32Array.of(rank * 3), right, 31);
      send.Free();
      check.equal(send.isActive, false);
      while (!request.Get_status(status)) await new Promise((r) => setTimeout(r, 1));
      check.equal(request.isActive, true);
      check.equal(status.Get_source(), left);
      await request.Wait();
      check.equal(buf[0], left * 3);
      check.equal(request.Get_status(status), true);
      check.equal(status.Get_source(), MPI.ANY_SOURCE);
    },
  },
  {
    name: 'Status setters, copies and properties',
    run: async () => {
      const status = new MPI.Status();
      status.Set_source(3);
      status.Set_tag(9);
      status.Set_error(MPI.ERR_OTHER);
      status.Set_elements(MPI.DOUBLE, 5);
      status.Set_cancelled(true);
      check.equal(status.Get_source(), 3);
      check.equal(status.source, 3);
      check.equal(status.Get_tag(), 9);
      check.equal(status.Get_error(), MPI.ERR_OTHER);
      check.equal(status.Get_count(MPI.DOUBLE), 5);
      check.equal(status.Get_elements(MPI.DOUBLE), 5);
      check.equal(status.count, 40);
      check.equal(status.Is_cancelled(), true);
      const copy = new MPI.Status(status);
      check.equal(copy.Get_tag(), 9);
      check.equal(copy.Is_cancelled(), true);
      copy.count = 8;
      check.equal(copy.Get_count(MPI.DOUBLE), 1);
      check.equal(status.count, 40);
      check.throwsMPI(() => status.Set_elements(MPI.DOUBLE, -1), MPI.ERR_COUNT, /Status\.Set_elements/);
      check.throwsMPI(() => status.Set_tag(1.5), MPI.ERR_ARG, /Status\.Set_tag/);
    },
  },
  {
    name: 'generalized requests: complete on Complete, query fills the status, free and cancel run',
    run: async () => {
      const calls: string[] = [];
      const request = MPI.Grequest.Start(
        (status, label) => {
          calls.push(`query ${String(label)}`);
          status.Set_source(4);
          status.Set_tag(6);
          status.Set_elements(MPI.INT, 2);
        },
        (label) => calls.push(`free ${String(label)}`),
        (completed, label) => calls.push(`cancel ${String(completed)} ${String(label)}`),
        ['g'],
      );
      check.equal(request.Test(), false);
      request.Cancel();
      check.deepEqual(calls, ['cancel false g']);
      setTimeout(() => request.Complete(), 5);
      const status = new MPI.Status();
      await request.Wait(status);
      check.equal(status.Get_source(), 4);
      check.equal(status.Get_tag(), 6);
      check.equal(status.Get_count(MPI.INT), 2);
      check.deepEqual(calls, ['cancel false g', 'query g', 'free g']);
      check.throwsMPI(() => request.Complete(), MPI.ERR_REQUEST, /Grequest\.Complete/);
      const other = MPI.Grequest.Start(() => undefined, () => undefined, () => undefined);
      other.Complete();
      check.equal(await MPI.Request.Waitany([request, other]), 1); // the completed one is inactive and skipped
      check.throwsMPI(() => MPI.Grequest.Start(1 as never, () => undefined, () => undefined), MPI.ERR_ARG, /query_fn/);
    },
  },
];

await runCases('requests', cases.map((c) => ({ ...c, minRanks: c.minRanks ?? 2 })));
