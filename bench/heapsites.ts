/**
 * Where a small collective's loop allocates: V8's sampling heap profiler over one plain loop of
 * `op` on this rank, the top allocation sites by bytes per call. Run as
 * `node --max-semi-space-size=128 bin/mpi4ts.js -n 2 bench/heapsites.ts [op] [iters]`
 * with op one of barrier, bcast, allreduce, alltoall, objbcast, objgather (8-byte buffers), or
 * sendrecv, objsendrecv (the 8-byte and small-object ping-pong of ranks 0 and 1, `Send`/`Recv` and `send`/`recv`).
 * `BENCH_DELAY_US=D` makes the last rank sleep D us before each call, and `BENCH_REPORT_RANK=r`
 * picks the rank that reports (default 0): the delayed rank seldom waits, so its sites are the
 * work of a call rather than of its waits.
 * Sites are reported by that rank (function, file:line); the samples keep collected objects too
 * (`includeObjectsCollectedBy*`), so the bytes are what the loop allocates, not what it keeps.
 *
 * @module
 */
import { Session } from 'node:inspector/promises';
import { MPI } from 'mpi4ts';

const comm = MPI.COMM_WORLD;
const op = process.argv.find((a) => /^(barrier|bcast|allreduce|alltoall|objbcast|objgather|sendrecv|objsendrecv)$/.test(a)) ?? 'barrier';
const iters = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? '20000');
const a = MPI.alloc(Float64Array, comm.size);
const b = MPI.alloc(Float64Array, comm.size);
// One element each, made once: a loop passes the same arrays every call, as bench/collectives.ts does.
const a1 = a.subarray(0, 1);
const b1 = b.subarray(0, 1);
const MSG = { a: 7, b: 3.14, c: [1, 2, 3], d: 'hello' };
// The ping-pong's buffer, as bench/pingpong.ts has it.
const bytes8 = MPI.alloc(Uint8Array, 8);

const delayMs = Number(process.env['BENCH_DELAY_US'] ?? '0') / 1000;
const reporter = Number(process.env['BENCH_REPORT_RANK'] ?? '0');
const nap = new Int32Array(new SharedArrayBuffer(4));

async function loop(n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    if (delayMs > 0 && comm.rank === comm.size - 1) Atomics.wait(nap, 0, 0, delayMs);
    switch (op) {
      case 'barrier': await comm.Barrier(); break;
      case 'bcast': await comm.Bcast(a1, 0); break;
      case 'allreduce': await comm.Allreduce(a1, b1, MPI.SUM); break;
      case 'alltoall': await comm.Alltoall(a, b); break;
      case 'objbcast': await comm.bcast(comm.rank === 0 ? MSG : undefined, 0); break;
      case 'sendrecv':
        if (comm.rank === 0) { await comm.Send(bytes8, 1, 0); await comm.Recv(bytes8, 1, 0); }
        else if (comm.rank === 1) { await comm.Recv(bytes8, 0, 0); await comm.Send(bytes8, 0, 0); }
        break;
      case 'objsendrecv':
        if (comm.rank === 0) { await comm.send(MSG, 1, 0); await comm.recv(1, 0); }
        else if (comm.rank === 1) await comm.send(await comm.recv(0, 0), 0, 0);
        break;
      default: await comm.gather(MSG, 0);
    }
  }
}

interface Node { callFrame: { functionName: string; url: string; lineNumber: number }; selfSize: number; children: Node[] }
const session = new Session();
session.connect();
await comm.Barrier();
await loop(Math.floor(iters / 10));
await session.post('HeapProfiler.startSampling', {
  samplingInterval: 128, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true,
});
await loop(iters);
const { profile } = await session.post('HeapProfiler.stopSampling') as unknown as { profile: { head: Node } };
const sites = new Map<string, number>();
const walk = (node: Node, path: string): void => {
  const f = node.callFrame;
  const here = `${f.functionName || '(anon)'} ${f.url.replace(/^.*\/(src|dist|bench)\//, '$1/')}:${f.lineNumber + 1}`;
  if (node.selfSize > 0) sites.set(`${here}  <- ${path}`, (sites.get(`${here}  <- ${path}`) ?? 0) + node.selfSize);
  for (const c of node.children) walk(c, here.split(' ')[0]!);
};
walk(profile.head, '');
const total = [...sites.values()].reduce((s, v) => s + v, 0);
if (comm.rank === reporter) {
  console.log(`op=${op} iters=${iters} bytes_per_call=${(total / iters).toFixed(0)}`);
  for (const [k, v] of [...sites].sort((x, y) => y[1] - x[1]).slice(0, 25)) console.log(`${(v / iters).toFixed(0).padStart(6)}  ${k}`);
}
await comm.Barrier();
