/**
 * One rank's loop of `Send`s to `MPI.PROC_NULL` (the cheapest MPI call: no
 * peer, no copy), as a user writes it: one plain loop, its first tenth
 * untimed. Prints `wall_us=` and `cpu_us=` per call (the process's CPU, all
 * threads: the recorder's spills included). Run by `bench/observe/run.ts`
 * with and without `--trace` and `--profile`.
 *
 * @module
 */
import { MPI } from 'mpi4ts';

const calls = Number(process.argv[2] ?? 200_000);
const warmup = Math.floor(calls / 10);
const buffer = new Uint8Array(8);
const comm = MPI.COMM_WORLD;
let wall = 0;
let cpu = process.cpuUsage();
for (let i = 0; i < warmup + calls; i++) {
  if (i === warmup) {
    wall = performance.now();
    cpu = process.cpuUsage();
  }
  await comm.Send(buffer, MPI.PROC_NULL, 0);
}
const used = process.cpuUsage(cpu);
const wallUs = ((performance.now() - wall) * 1000) / calls;
console.log(`wall_us=${wallUs.toFixed(4)} cpu_us=${((used.user + used.system) / calls).toFixed(4)}`);
