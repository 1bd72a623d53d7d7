/**
 * A switch after a number of calls, made without a branch. No MPI-4.1
 * section: a property of V8's optimizing compiler, shared by the collective
 * layer (a fast path's tuning after its first calls) and the shm engine (the
 * polls of a rank's first waits for a reply).
 *
 * A branch first taken after a function was optimized deoptimizes it and
 * every caller that inlined it, a recompile of 1-3 ms on the rank's thread
 * in the middle of the user's loop; arithmetic has no such first time.
 *
 * @module
 */

/**
 * 0 while `calls` is below `first`, then 1.
 *
 * @example
 * ```ts
 * const polls = SHORT + pastFirst(calls++, 128) * (LONG - SHORT); // SHORT for the first 128 calls, then LONG
 * ```
 */
export function pastFirst(calls: number, first: number): number {
  return Math.min(1, Math.floor(calls / first));
}
