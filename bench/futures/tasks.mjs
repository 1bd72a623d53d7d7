// The tasks of the futures benchmark, one JavaScript file that both
// mpi4ts/futures and piscina load, so that both run the very same code.
import { threadId } from 'node:worker_threads';

/** A tiny task: the cost is all in the pool. */
export function sqrt(x) {
  return Math.sqrt(x);
}

/** A CPU-bound task: `n` square roots. */
export function cpu(n) {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.sqrt(i);
  return sum;
}

/**
 * `cpu(n)` with its start and end (ms since the epoch, from
 * performance.timeOrigin) and the thread that ran it (process id * 1000 + thread id): the timeline of
 * bench/futures/timeline/analyze.ts.
 */
export function cpuTimed(n) {
  const start = performance.timeOrigin + performance.now();
  const sum = cpu(n);
  return [sum, start, performance.timeOrigin + performance.now(), process.pid * 1000 + threadId];
}
