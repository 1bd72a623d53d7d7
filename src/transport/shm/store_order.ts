/**
 * How a shm rank publishes a word that tells another rank that data is
 * there: a contribution's number, a read mark, a barrier flag (shared_area.ts),
 * a ring record's kind word, a ring's tail (ring.ts).
 *
 * No MPI-4.1 section: the memory ordering of the shm transport.
 * `Atomics.store`, JavaScript's only store ordered after the writes and reads
 * before it, is sequentially consistent: on x86 an `xchg`, which waits until
 * the line is the writer's, and the rank that reads the word has usually
 * just taken it (at 2 ranks, a fifth of each rank's time in a loop of 8-byte
 * Allreduces, a third of a Bcast reader's). Where the CPU keeps stores in
 * order ({@link STORES_IN_ORDER}) a plain store publishes as well; what it
 * lacks is the fence of the sleep protocol's store-then-look, which
 * `ShmEngine.plainPublish` and the engine's sleeps make up for.
 *
 * @module
 */

/**
 * Whether this CPU makes plain stores visible in program order and never
 * moves a store before an earlier load (x86's total store order): a plain
 * store of a word then publishes what was written before it, as V8 keeps
 * typed-array stores in program order. Arm and others reorder stores.
 */
export const STORES_IN_ORDER = process.arch === 'x64' || process.arch === 'ia32';

/**
 * Stores `value` at `words[index]` after everything this thread wrote and
 * read before it: a plain store where `plain` (only where
 * {@link STORES_IN_ORDER}), else `Atomics.store`.
 */
export function publishWord(words: Int32Array, index: number, value: number, plain: boolean): void {
  if (plain) words[index] = value;
  else Atomics.store(words, index, value);
}
