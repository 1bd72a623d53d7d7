/**
 * Barrier: the dissemination algorithm (Hensgen, Finkel and Manber), as in
 * MPICH and Open MPI.
 *
 * MPI-4.1 §6.3. In round `k` each rank sends an empty message `2^k` ranks
 * ahead and waits for one from `2^k` ranks behind: ⌈log2 p⌉ rounds for any
 * number of ranks, no root.
 *
 * {@link fastBarrier} runs the rounds synchronously, with no generator and
 * no Promise, for as long as each message arrives within the engine's spin
 * (the usual case when the peers are already there); only a round that must
 * park continues as a {@link barrier} run.
 *
 * @module
 */

import type { Operation } from '../transport/transport.js';
import type { Call } from './call.js';
import type { Algorithm, Detour } from './run.js';

const EMPTY = new Uint8Array(0);
const ANY_TAG = -1;

/** Dissemination barrier, from the round of distance `from`. */
export function* barrier(call: Call, from = 1): Algorithm<void> {
  const { rank, size } = call;
  for (let distance = from; distance < size; distance *= 2) {
    const send = call.send(EMPTY, (rank + distance) % size);
    yield call.recv(EMPTY, (rank - distance + size) % size);
    if (!send.test()) yield send;
  }
}

/** Finishes a round that had to park, then the rest. */
function* finish(call: Call, distance: number, receive: Operation, send: Operation): Algorithm<void> {
  yield receive;
  if (!send.test()) yield send;
  yield* barrier(call, distance * 2);
}

/**
 * The rounds of the dissemination barrier, synchronously: undefined once all
 * are done, an Error on a mismatch, or the {@link Detour} that finishes a
 * round whose message did not come within the spin.
 */
export function fastBarrier(call: Call): Detour | Error | undefined {
  const { rank, size, channel, tag } = call;
  for (let distance = 1; distance < size; distance *= 2) {
    const send = channel.isend(EMPTY, (rank + distance) % size, tag, false);
    const source = (rank - distance + size) % size;
    const receive = channel.irecv(EMPTY, source, ANY_TAG);
    if (!receive.test()) {
      const pending = receive.wait();
      if (!receive.test()) {
        const checked = call.checked(receive, 0, source);
        return { rest: finish(call, distance, checked, send), parkedOn: checked, pending };
      }
    }
    const error = call.verify(receive, 0, source);
    if (error !== undefined) return error;
    if (!send.test()) {
      const pending = send.wait();
      if (!send.test()) return { rest: finish(call, distance, receive, send), parkedOn: send, pending };
    }
  }
  return undefined;
}
