/**
 * A rank's young generation emptied of loading's objects when the user's
 * script first touches MPI (its transport starts: `afterTransportStart`), so
 * that the script's first loop does not pay for promoting them.
 *
 * Loading Node's worker bootstrap, the library and the script's modules
 * leaves a rank's young generation full of objects that live on (modules,
 * closures, compiled code's metadata). V8 copies a young object at each
 * scavenge and promotes it to the old generation at its second, into old
 * pages that are fresh memory (a page fault each first write, 15-20 us on a
 * paravirtualised VM). Left alone, that work falls on the first two
 * scavenges of the user's first loop: at 2 ranks on 2 cores, a loop of
 * 8-byte Bcasts had a 3.4-4.3 ms scavenge near call 330 and another near
 * call 3,000, where later ones take 0.1-0.3 ms, and the partner rank waits
 * through each. Done at start-up instead (two scavenges of short-lived
 * arrays, about 15 ms), the loop's first scavenge came near call 3,700 and
 * took 0.6-0.7 ms. That settling ran before the script was imported, and
 * the script's own modules still left 80-125 KB (its compiled code, the
 * TypeScript loader's output) to the loop's first two scavenges: 0.4-1.1 ms
 * each in 8-byte ping-pong and Allreduce loops, against 0.1 ms for the
 * scavenges after them. Run when the script first touches MPI, it promotes
 * those too, and what survives those two scavenges is what the loop's own
 * first calls made (20-30 KB). No MPI-4.1 section: launcher support.
 *
 * Unfinished: ranks that `mpiexec` starts without the launcher (`mpiexec -n 4
 * npx mpi4ts x.ts`) do not settle, as they get no V8 defaults.
 *
 * @module
 */

import { getHeapSpaceStatistics } from 'node:v8';

/** Scavenges to run: an object that survives one is promoted at the next. */
const SCAVENGES = 2;
/** Arrays allocated between two looks at the young generation (about 270 KiB). */
const BATCH = 1024;
/** Elements of each array: a small object of about 270 bytes, allocated young. */
const ELEMENTS = 30;
/** Arrays kept alive at once (a power of two): the ring is what the arrays are stored in, so that each allocation is real. */
const RING = 64;

/** The young generation's bytes in use and its size. */
function youngGeneration(): { used: number; size: number } {
  const space = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
  return { used: space?.space_used_size ?? 0, size: space?.space_size ?? 0 };
}

/**
 * Allocates short-lived arrays until the young generation has been
 * scavenged twice (a scavenge shows as its bytes in use falling), or up to
 * four times its size; returns the scavenges seen.
 *
 * @example
 * ```ts
 * afterTransportStart(settleYoungGeneration); // once the user's script first touches MPI
 * ```
 */
export function settleYoungGeneration(): number {
  const ring: unknown[] = new Array(RING);
  const start = youngGeneration();
  const size = start.size;
  let used = start.used;
  let scavenges = 0;
  for (let allocated = 0; scavenges < SCAVENGES && allocated < 4 * size; allocated += BATCH * (ELEMENTS + 4) * 8) {
    for (let i = 0; i < BATCH; i++) ring[i & (RING - 1)] = new Array(ELEMENTS);
    const now = youngGeneration().used;
    if (now < used) scavenges++;
    used = now;
  }
  ring.fill(undefined);
  return scavenges;
}
