/**
 * How a shm rank publishes a word that tells another rank that data is
 * there: a contribution's number, a read mark, a barrier flag (shared_area.ts),
 * a ring record's kind word, a ring's tail (ring.ts); and how it looks at one.
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
 * A look at such a word is an `Atomics.load`, which V8 (Node 20-24) does
 * not inline: a call of a builtin, about 14 ns more than a plain load of a
 * typed array's element, for the same `mov` on x86. The shared areas look
 * at 5-14 words a call (the read marks, awaiting words and blocks of the
 * other members), so where stores keep their order they look with plain
 * loads ({@link readWord}).
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

/**
 * `words[index]`, looked at before what the word says is there: a plain load
 * where `plain` (only where {@link STORES_IN_ORDER}), else `Atomics.load`.
 * x86 never moves a load before an earlier one, and V8 keeps a typed array's
 * loads in program order (they are on its effect chain), so the reads after
 * a look that saw the word see what was written before it. A compiler may
 * keep one plain look's value for the next in a loop that calls nothing
 * between them: every loop that polls through this calls something V8
 * cannot see through (the clock, a yield) at least every thousand looks.
 */
export function readWord(words: Int32Array, index: number, plain: boolean): number {
  return plain ? words[index]! : Atomics.load(words, index);
}
