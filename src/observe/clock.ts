/**
 * One clock for every rank of a host: microseconds of the system's monotonic
 * clock (`CLOCK_MONOTONIC`, the one `process.hrtime` reads), which every
 * process and thread of a machine share.
 *
 * `performance.timeOrigin + performance.now()` is not such a clock: each
 * process and thread reads the wall clock once as it starts, and a thread
 * descheduled between that read and the monotonic one shifts its whole
 * timeline, by microseconds on a quiet machine and by milliseconds on a loaded
 * one. A trace then shows a message received before it was sent.
 *
 * Not an MPI-4.1 interface: `MPI_Wtime` (§9.6) reads it.
 *
 * @module
 */

/**
 * Microseconds from `performance.now()`'s origin to the monotonic clock's, read
 * as the sample whose two `performance.now()` reads lie closest together.
 */
function monotonicBase(): number {
  let best = Infinity;
  let base = 0;
  for (let sample = 0; sample < 5; sample++) {
    const before = performance.now();
    const monotonic = Number(process.hrtime.bigint()) / 1000;
    const after = performance.now();
    if (after - before < best) {
      best = after - before;
      base = monotonic - (before + after) * 500;
    }
  }
  return base;
}

const BASE = monotonicBase();

/**
 * Microseconds on the host's monotonic clock: comparable between the ranks of
 * one machine, threads or processes alike.
 *
 * @example
 * const start = monotonicMicros();
 * work();
 * console.log(`${monotonicMicros() - start} us`);
 */
export function monotonicMicros(): number {
  return BASE + performance.now() * 1000;
}
