/**
 * Barrier: the dissemination algorithm (Hensgen, Finkel and Manber), as in
 * MPICH and Open MPI, over messages or over flag words in shared memory.
 *
 * MPI-4.1 §6.3. In round `k` each rank signals the rank `2^k` ahead and waits
 * for the one `2^k` behind: ⌈log2 p⌉ rounds for any number of ranks, no root.
 *
 * A transport whose ranks share memory may offer a {@link SharedArea}: then
 * a signal is one store to the peer's flag word (one per member and round,
 * raised to the barrier's epoch: its call number + 1, the same on every
 * rank), which is what a round costs on a shared-memory MPI.
 *
 * {@link fastBarrier} and {@link fastFlagBarrier} run the rounds
 * synchronously, with no generator and no Promise, for as long as each
 * signal arrives within the synchronous spin (`tuning.syncSpinMicros`,
 * the usual case when the peers are already there or about to come); only
 * a round that must park continues, as a generator when rounds remain
 * after it.
 *
 * When ranks outnumber cores, the area's barrier is a central counter
 * ({@link counterBarrier}) instead: the dissemination barrier's rounds there
 * mostly outlast the short spin, and each then waits for a wake-up and a
 * core in turn.
 *
 * Its waits yield the core between looks where the transport can
 * (`SharedArea.yieldCore`), as Open MPI's ranks do: at 4 and 8 ranks on 2
 * cores it then takes less time than Open MPI's C Barrier (sleeping instead,
 * each hand-over a futex wake and a context switch, 4-5 times more).
 *
 * Unfinished: nothing known.
 *
 * @module
 */

import type { Operation, SharedArea } from '../transport/transport.js';
import type { Call } from './call.js';
import { type Algorithm, type Detour, spinUntil } from './run.js';
import { attachArea, earlierMismatch, spinBudget } from './shared_area.js';

const EMPTY = new Uint8Array(0);
const ANY_TAG = -1;

/** Dissemination barrier over messages, from the round of distance `from`. */
export function* barrier(call: Call, from = 1): Algorithm<void> {
  const { rank, size } = call;
  for (let distance = from; distance < size; distance *= 2) {
    const send = call.send(EMPTY, (rank + distance) % size);
    yield call.recv(EMPTY, (rank - distance + size) % size);
    if (!send.test()) yield send;
  }
}

/** Finishes a round that had to park (on its receive, or on its send once the receive is done), then the rest. */
function* finish(call: Call, distance: number, send: Operation): Algorithm<void> {
  if (!send.test()) yield send;
  yield* barrier(call, distance * 2);
}

/**
 * The rounds of the dissemination barrier over messages, synchronously:
 * undefined once all are done, an Error on a mismatch, or the
 * {@link Detour} that finishes a round whose message did not come within
 * the spin.
 */
export function fastBarrier(call: Call, area?: SharedArea): Detour | Error | undefined {
  const { rank, size, channel, tag } = call;
  const budget = spinBudget(area, undefined);
  for (let distance = 1; distance < size; distance *= 2) {
    const send = channel.isend(EMPTY, (rank + distance) % size, tag, false);
    const source = (rank - distance + size) % size;
    const receive = channel.irecv(EMPTY, source, ANY_TAG);
    if (!spinUntil(receive, budget, area?.yieldCore)) {
      const pending = receive.wait();
      if (!receive.test()) {
        const checked = call.checked(receive, 0, source);
        return { rest: finish(call, distance, send), parkedOn: checked, pending };
      }
    }
    const error = call.verify(receive, 0, source);
    if (error !== undefined) return error;
    if (!send.test()) {
      const pending = send.wait();
      if (!send.test()) return { rest: finish(call, distance, send), parkedOn: send, pending };
    }
  }
  return undefined;
}

/** Dissemination barrier over flags, from round `round` (of distance `distance`). */
export function* flagBarrier(call: Call, area: SharedArea, round = 0, distance = 1): Algorithm<void> {
  const { rank, size } = call;
  if (round === 0) {
    const mismatch = earlierMismatch(call, area);
    if (mismatch !== undefined) throw mismatch;
  }
  const epoch = call.seq + 1;
  for (; distance < size; round++, distance *= 2) {
    area.raise((rank + distance) % size, round, epoch);
    yield area.arrival(round, epoch, (rank - distance + size) % size);
  }
}

/** Like {@link fastBarrier}, over flags. */
export function fastFlagBarrier(call: Call, area: SharedArea): Detour | Error | undefined {
  const { rank, size } = call;
  const mismatch = earlierMismatch(call, area);
  if (mismatch !== undefined) return mismatch;
  const epoch = call.seq + 1;
  const budget = spinBudget(area, undefined);
  for (let round = 0, distance = 1; distance < size; round++, distance *= 2) {
    area.raise((rank + distance) % size, round, epoch);
    const arrival = area.arrival(round, epoch, (rank - distance + size) % size);
    if (!spinUntil(arrival, budget, area.yieldCore)) {
      const pending = arrival.wait();
      if (!arrival.test()) {
        // In the last round (the only one at 2 ranks) nothing is left once the flag is up: no generator.
        const rest = distance * 2 < size ? flagBarrier(call, area, round + 1, distance * 2) : undefined;
        return { rest, parkedOn: arrival, pending };
      }
    }
    if (arrival.error !== undefined) return arrival.error;
  }
  return undefined;
}

/**
 * Central-counter barrier on the area ({@link SharedArea.arrive}): every
 * member adds one to a counter and waits for it to count them all; the last
 * to arrive wakes every sleeping member at once. Used when ranks outnumber
 * cores, where each of the dissemination barrier's ⌈log2 p⌉ rounds that
 * outlasts the short spin waits for a wake-up and a core, one after another.
 */
export function* counterBarrier(call: Call, area: SharedArea): Algorithm<void> {
  const mismatch = earlierMismatch(call, area);
  if (mismatch !== undefined) throw mismatch;
  const arrival = area.arrive();
  if (!arrival.test()) yield arrival;
}

/** Like {@link fastBarrier}, with the central counter ({@link counterBarrier}). */
export function fastCounterBarrier(call: Call, area: SharedArea): Detour | Error | undefined {
  const mismatch = earlierMismatch(call, area);
  if (mismatch !== undefined) return mismatch;
  const arrival = area.arrive();
  if (spinUntil(arrival, spinBudget(area, undefined), area.yieldCore)) return undefined;
  const pending = arrival.wait();
  if (arrival.test()) return undefined;
  return { rest: undefined, parkedOn: arrival, pending };
}

/** Whether barriers on `area` use the central counter (ranks outnumber cores; the same on every rank). */
export function countsArrivals(area: SharedArea): boolean {
  return area.oversubscribed;
}

/** A barrier that may be the communicator's first call that can use its shared area (see `shared_area.ts`). */
export function* firstBarrier(call: Call, area: SharedArea): Algorithm<void> {
  yield* attachArea(call, area);
  if (area.mode !== 'shared') yield* barrier(call);
  else if (countsArrivals(area)) yield* counterBarrier(call, area);
  else yield* flagBarrier(call, area);
}
