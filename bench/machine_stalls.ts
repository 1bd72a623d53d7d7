/**
 * The machine's own stalls at the time of a run (`bench/machine_stalls.c`): one thread per core
 * (up to 2) reads the monotonic clock in a tight loop for 300 ms, and every gap of 5 us or more
 * between two readings is time that thread did not run. On this project's VM a quiet core loses
 * about 20 us once a millisecond (the host's timer, not the guest's, whose tick is 4 ms); a busy
 * machine shows many more. Every implementation's per-call times inherit them: at 2 ranks a
 * collective that takes 8 us meets one of the two cores' stalls every 60 or so calls, more often
 * than 1 in 100, so its p99 is about its p50 plus one stall on every side (C's and mpi4py's too).
 * `bench/run.ts` measures it before and after a run and writes both in the run's header. C, because
 * a JavaScript loop of clock readings stalls on its own (the readings allocate). Not an MPI call.
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SOURCE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'machine_stalls.c');

/** What one watching thread saw. */
export interface CoreStalls {
  /** Stalls per millisecond of the run. */
  readonly perMs: number;
  /** The median stall, in microseconds. */
  readonly medianUs: number;
}

/**
 * Builds the probe into `dir` with `compiler` (a C compiler: `cc`, or `mpicc`); returns the
 * program's path, or undefined when it does not build.
 */
export function buildMachineStalls(compiler: string, dir: string): string | undefined {
  const program = path.join(dir, 'machine_stalls');
  const out = spawnSync(compiler, ['-O2', '-pthread', '-o', program, SOURCE], { encoding: 'utf8', timeout: 120_000 });
  return out.status === 0 && existsSync(program) ? program : undefined;
}

/** Runs the built probe; one entry per watching thread, or undefined when it fails. */
export function machineStalls(program: string): CoreStalls[] | undefined {
  const out = spawnSync(program, [], { encoding: 'utf8', timeout: 30_000 });
  if (out.status !== 0) return undefined;
  const cores: CoreStalls[] = [];
  for (const line of out.stdout.split('\n')) {
    const m = /^stalls=(\d+) ms=(\d+) median_us=([\d.]+)$/.exec(line.trim());
    if (m !== null) cores.push({ perMs: Number(m[1]) / Number(m[2]), medianUs: Number(m[3]) });
  }
  return cores.length > 0 ? cores : undefined;
}

/** A probe's result as text for a run's header. */
export function describeStalls(cores: readonly CoreStalls[] | undefined): string {
  if (cores === undefined) return 'not measured (no C compiler, or the probe failed)';
  return cores.map((c) => `${c.perMs.toFixed(2)}/ms, median ${c.medianUs.toFixed(0)} us`).join(' and ');
}
