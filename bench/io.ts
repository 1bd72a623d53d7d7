/**
 * mpi4ts side of the parallel I/O benchmark (peer: bench/peers/io_mpi4py.py, same method).
 * Run as `npx mpi4ts -n 4 bench/io.ts [cases]`.
 *
 * Cases are "op:bytes:iters,..." from the first argument that looks like one, else
 * $BENCH_CASES, else the defaults below. The data is a 2D array of doubles of about `bytes`
 * bytes (n x n, n a multiple of the rank grid's sides), block-decomposed over a 2D grid of
 * ranks (`MPI.Compute_dims`). Ops:
 * - `write`: each iteration opens the file (MODE_CREATE | MODE_WRONLY), sets a subarray view,
 *   `Write_all`s this rank's block and closes it;
 * - `read`: the same with MODE_RDONLY and `Read_all` (of a file written once before);
 * - `fswrite`: rank 0 alone writes the same bytes with `fs.writeFileSync` (the single-writer
 *   speed of the disk, the reference of the other two).
 * One plain loop of `iters / 10` (at least 1) untimed iterations and `iters` timed ones;
 * rank 0 prints the slowest rank's mean time per iteration, the largest per-rank p50 and p99,
 * and the bandwidth (`gbps`, 1e9 bytes per second) of the mean. The file lives in a fresh
 * directory under os.tmpdir(), removed at the end. Results are checked after each loop.
 *
 * @module
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MPI } from 'mpi4ts';
import { parseCases, summarize } from './cases.js';

const DEFAULT_CASES = 'fswrite:268435456:3,write:268435456:3,read:268435456:3';

const comm = MPI.COMM_WORLD;
const { rank, size } = comm;
const [py = 1, px = 1] = MPI.Compute_dims(size, 2);
const directory = await comm.bcast(rank === 0 ? mkdtempSync(join(tmpdir(), 'mpi4ts-bench-io-')) : '', 0);
const name = join(directory, 'array.bin');

/** The side of the global array for about `bytes` bytes: a multiple of both grid sides. */
function side(bytes: number): number {
  const step = py * px;
  return Math.max(step, Math.floor(Math.sqrt(bytes / 8) / step) * step);
}

/** This rank's block of the n x n array (value = global index) and its subarray type. */
function block(n: number): { local: Float64Array; view: InstanceType<typeof MPI.Datatype> } {
  const [ly, lx] = [n / py, n / px];
  const [cy, cx] = [Math.floor(rank / px), rank % px];
  const local = new Float64Array(ly * lx);
  for (let i = 0; i < ly; i++) for (let j = 0; j < lx; j++) local[i * lx + j] = (cy * ly + i) * n + cx * lx + j;
  return { local, view: MPI.DOUBLE.Create_subarray([n, n], [ly, lx], [cy * ly, cx * lx]).Commit() };
}

async function maxOnRoot(t: number): Promise<number> {
  return (await comm.reduce(t, MPI.MAX, 0)) ?? t;
}

for (const c of parseCases(DEFAULT_CASES)) {
  const n = side(c.bytes);
  const bytes = n * n * 8;
  const { local, view } = block(n);
  let iteration: () => Promise<void>;
  let check: () => void;
  if (c.name === 'fswrite') {
    const whole = rank === 0 ? Float64Array.from({ length: n * n }, (_, k) => k) : undefined;
    iteration = async () => {
      if (whole !== undefined) writeFileSync(name, whole);
      await comm.Barrier();
    };
    check = () => {
      if (rank === 0 && readFileSync(name).byteLength !== bytes) throw new Error('fswrite: wrong file size');
    };
  } else if (c.name === 'write' || c.name === 'read') {
    const reading = c.name === 'read';
    const into = new Float64Array(local.length);
    if (reading) {
      const file = await MPI.File.Open(comm, name, MPI.MODE_CREATE | MPI.MODE_WRONLY);
      await file.Set_view(0, MPI.DOUBLE, view);
      await file.Write_all(local);
      await file.Close();
    }
    iteration = async () => {
      const file = await MPI.File.Open(comm, name, reading ? MPI.MODE_RDONLY : MPI.MODE_CREATE | MPI.MODE_WRONLY);
      await file.Set_view(0, MPI.DOUBLE, view);
      if (reading) await file.Read_all(into);
      else await file.Write_all(local);
      await file.Close();
    };
    check = () => {
      if (reading && !into.every((v, k) => v === local[k])) throw new Error(`rank ${rank}: read gave wrong data`);
      if (!reading && rank === 0) {
        const data = readFileSync(name);
        const doubles = new Float64Array(data.buffer, data.byteOffset, data.byteLength / 8);
        if (doubles.length !== n * n || !doubles.every((v, k) => v === k)) throw new Error('write: the file is not the array');
      }
    };
  } else continue;
  const warm = Math.max(1, Math.floor(c.iters / 10));
  const times = new Float64Array(warm + c.iters + 1);
  await comm.Barrier();
  for (let i = 0; i < warm + c.iters; i++) {
    times[i] = performance.now();
    await iteration();
  }
  times[warm + c.iters] = performance.now();
  check();
  await comm.Barrier();
  view.Free();
  const summary = summarize(times, warm, 1);
  const mean = await maxOnRoot(summary.mean);
  const p50 = await maxOnRoot(summary.p50);
  const p99 = await maxOnRoot(summary.p99);
  if (rank === 0) {
    console.log(`op=${c.name} ranks=${size} bytes=${c.bytes} array_bytes=${bytes} iters=${c.iters} us=${mean.toFixed(1)} ` +
      `p50_us=${p50.toFixed(1)} p99_us=${p99.toFixed(1)} gbps=${(bytes / mean / 1e3).toFixed(3)}`);
  }
}
await comm.Barrier();
if (rank === 0) rmSync(directory, { recursive: true, force: true });
