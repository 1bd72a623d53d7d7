// Probe (speed3): where the per-call heap allocations of rank 0 come from (sampling heap profiler).
// PROBE=op:bytes (allreduce, bcast, barrier, sendrecv), PROBE_DELAY_US=D: rank 1 sleeps D us before each call.
import { Session } from 'node:inspector/promises';
import { MPI } from 'mpi4ts';
const comm = MPI.COMM_WORLD;
const [op = 'allreduce', bytesS = '8'] = (process.env['PROBE'] ?? '').split(':');
const bytes = Number(bytesS);
const a = MPI.alloc(Float64Array, Math.max(1, bytes / 8)), b = MPI.alloc(Float64Array, Math.max(1, bytes / 8));
const u = MPI.alloc(Uint8Array, Math.max(1, bytes)), v = MPI.alloc(Uint8Array, Math.max(1, bytes));
const nap = new Int32Array(new SharedArrayBuffer(4));
const delay = Number(process.env['PROBE_DELAY_US'] ?? '0') / 1000;
async function one(): Promise<void> {
  if (delay > 0 && comm.rank === 1) Atomics.wait(nap, 0, 0, delay);
  if (op === 'allreduce') await comm.Allreduce(a, b, MPI.SUM);
  else if (op === 'bcast') await comm.Bcast(u, 0);
  else if (op === 'sendrecv') {
    if (comm.rank === 0) { await comm.Send(u, 1, 0); await comm.Recv(v, 1, 0); } else { await comm.Recv(v, 0, 0); await comm.Send(u, 0, 0); }
  } else await comm.Barrier();
}
for (let i = 0; i < 2000; i++) await one();
const s = new Session(); s.connect();
await s.post('HeapProfiler.startSampling', { samplingInterval: 256, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true } as never);
const N = 1000;
for (let i = 0; i < N; i++) await one();
const { profile } = await s.post('HeapProfiler.stopSampling') as { profile: { head: Node } };
interface Node { callFrame: { functionName: string; url: string; lineNumber: number }; selfSize: number; children: Node[] }
const sites = new Map<string, number>();
const walk = (n: Node, stack: string[]): void => {
  const f = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').slice(-2).join('/')}:${n.callFrame.lineNumber + 1}`;
  const st = [...stack, f];
  if (n.selfSize > 0) { const k = st.slice(-3).join(' < '); sites.set(k, (sites.get(k) ?? 0) + n.selfSize); }
  for (const c of n.children) walk(c, st);
};
walk(profile.head, []);
let total = 0;
for (const x of sites.values()) total += x;
if (comm.rank === 0) {
  console.log(`total ${(total / N).toFixed(0)} B/call`);
  for (const [k, x] of [...sites].sort((p, q) => q[1] - p[1]).slice(0, 14)) console.log((x / N).toFixed(0).padStart(7), 'B/call', k);
}
