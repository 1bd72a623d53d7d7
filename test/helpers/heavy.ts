/**
 * Which tests count as heavy (messages and encodings past 2 and 4 GiB, the
 * 1,000-round Spawn loop: minutes each, several GiB of memory) and whether this
 * run takes them. `MPI4TS_HEAVY_TESTS`:
 * - unset: run them where the machine has the memory, else skip them with the reason;
 * - `off`: skip them, saying so (CI's light runs: they run once, in CI's heavy run);
 * - `required`: run them, and fail (not skip) where the memory is missing, so that a
 *   CI run meant for them cannot pass without them.
 *
 * Also the rank counts a run takes (`MPI4TS_TEST_MAX_RANKS`, {@link beyondMaxRanks}).
 */
import { freemem } from 'node:os';

const mode = process.env['MPI4TS_HEAVY_TESTS'];
const maxRanks = Number(process.env['MPI4TS_TEST_MAX_RANKS'] ?? Infinity);
const GiB = 2 ** 30;

/** `skip` option of a heavy test with no memory need: the reason it is skipped, or false. */
export const heavyOff: string | false = mode === 'off' ? 'MPI4TS_HEAVY_TESTS=off' : false;

/**
 * `skip` option of a heavy test that needs `needed` bytes of free memory: the reason it
 * is skipped, or false to run it. With `MPI4TS_HEAVY_TESTS=required`, a machine short of
 * memory throws instead, failing the test file.
 */
export function lackingMemory(needed: number, free: number = freemem()): string | false {
  if (heavyOff !== false) return heavyOff;
  if (free >= needed) return false;
  const reason = `needs ${needed / GiB} GiB of free memory, ${(free / GiB).toFixed(1)} GiB free`;
  if (mode === 'required') throw new Error(`MPI4TS_HEAVY_TESTS=required, but a heavy test ${reason}`);
  return reason;
}

/**
 * `skip` option of a test whose job has `ranks` ranks: the reason it is skipped when
 * `MPI4TS_TEST_MAX_RANKS` is lower, or false. CI sets it to 4 on Node 22 and 24, whose
 * runs then leave the chapters' 5- and 8-rank passes (the same JavaScript at other rank
 * counts, oversubscribed three- and fourfold) to the first Node, and to 5 in that Node's
 * light run, whose 8-rank passes CI's heavy lane runs (by test name).
 */
export function beyondMaxRanks(ranks: number): string | false {
  return ranks > maxRanks ? `${ranks} ranks, MPI4TS_TEST_MAX_RANKS=${maxRanks}` : false;
}
