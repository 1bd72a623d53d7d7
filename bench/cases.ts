// The case list every mpi4ts bench program takes: `name:bytes:iters,...` as an argument, from
// BENCH_CASES, or the program's defaults (bench/run.ts passes the same list to the peers).

import { writeSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';

/** One measurement to make. */
export interface Case {
  /** What to measure: `buf`, `barrier`, `allreduce`, ... */
  readonly name: string;
  readonly bytes: number;
  readonly iters: number;
}

const CASE_RE = /^[a-z]+:\d+:\d+(,[a-z]+:\d+:\d+)*$/;

/** The cases given on the command line, in BENCH_CASES, or else `defaults`. */
export function parseCases(defaults: string): Case[] {
  const spec = process.argv.slice(2).find((a) => CASE_RE.test(a)) ?? process.env['BENCH_CASES'] ?? defaults;
  return spec.split(',').map((c) => {
    const [name = '', bytes = '0', iters = '1'] = c.split(':');
    return { name, bytes: Number(bytes), iters: Math.max(1, Number(iters)) };
  });
}

/** Mean, median and 99th percentile of a timed loop, in microseconds. */
export interface Summary {
  readonly mean: number;
  readonly p50: number;
  readonly p99: number;
}

/**
 * The per-iteration times of a loop from its timestamps in milliseconds (`times[i]` = start of
 * iteration i, the last entry = end of the loop), skipping the first `skip` iterations, each
 * divided by `per` (2 for a ping-pong's one-way time).
 */
export function summarize(times: Float64Array, skip: number, per: number): Summary {
  const n = times.length - 1 - skip;
  const each = new Float64Array(n);
  for (let i = 0; i < n; i++) each[i] = (times[skip + i + 1]! - times[skip + i]!) * 1000 / per;
  each.sort();
  const at = (q: number): number => each[Math.min(n - 1, Math.floor(q * n))]!;
  return { mean: ((times[skip + n]! - times[skip]!) * 1000) / per / n, p50: at(0.5), p99: at(0.99) };
}

/** Set by bench/jit_report.ts: trace V8's optimizing compiles and deopts around each first loop. */
const JIT_TRACE = process.env['BENCH_JIT_TRACE'] === '1';

/**
 * Under bench/jit_report.ts (`BENCH_JIT_TRACE=1`), turns V8's `--trace-opt` and `--trace-deopt`
 * on (before a case's first loop) or off (after it), so that the report counts the compiles and
 * deopts of that loop only, not those of start-up. The flags only print; they change no code.
 * Every rank of the job shares the process's flags; each rank turns them on after the same
 * Barrier, so the trace covers the first loop of all of them. The marker before the loop names the
 * case (`label`, `name:bytes`) and goes straight to the process's stdout, where V8 prints its
 * trace, so that a report of several cases in one job knows whose loop a trace line is from.
 */
export function jitTrace(on: boolean, label: string): void {
  if (!JIT_TRACE) return;
  if (on) writeSync(1, `jit_trace=begin ${label}\n`);
  setFlagsFromString(on ? '--trace-opt' : '--no-trace-opt');
  setFlagsFromString(on ? '--trace-deopt' : '--no-trace-deopt');
  if (!on) writeSync(1, `jit_trace=end ${label}\n`);
}

/** The number of iterations of a loop (from its timestamps, as {@link summarize}) that took over `micros`, all included. */
export function slowIterations(times: Float64Array, micros: number): number {
  let slow = 0;
  for (let i = 0; i + 1 < times.length; i++) if ((times[i + 1]! - times[i]!) * 1000 > micros) slow++;
  return slow;
}
