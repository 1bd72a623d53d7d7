/**
 * Reductions with a user op that may throw: the collective still runs to its
 * end on every rank, and then every rank fails it.
 *
 * MPI-4.1 §6.9.5 (user-defined reduction operations), §6.14 (a collective
 * either completes or fails on the communicator as a whole: a rank that gave
 * up halfway would leave its peers waiting for messages, and the next
 * collective would meet the rest of this one).
 *
 * A {@link GuardedReduction} catches what the op throws, remembers the first
 * error and skips the op's later applications (the result is undefined
 * anyway); the algorithm sends and receives exactly as it would have. Then
 * {@link agreeOnOp} runs one more step within the call, a recursive-doubling
 * MAX of "rank that threw + 1", and every rank rejects: the rank whose op
 * threw with the op's own error, the others with an `ERR_OTHER` naming that
 * rank (the mpi transport's words, `transport/mpi/collectives.ts`). Predefined
 * ops do not throw and take none of this.
 *
 * Unfinished: the object collectives' user ops (`objects.ts`) still fail only
 * where the op threw.
 *
 * @module
 */

import { datatypes } from '../datatype/index.js';
import { errors } from '../errors.js';
import { ops } from '../op/op.js';
import { bytesOf, Reduction } from '../op/reduction.js';
import { recursiveDoublingInPlace } from './allreduce.js';
import type { Call } from './call.js';
import type { Algorithm } from './run.js';

/** MAX over one `int`: the agreement's reduction. */
const AGREE = new Reduction(ops.MAX, datatypes.INT);

/** A {@link Reduction} that keeps what its op throws instead of throwing it. */
export class GuardedReduction extends Reduction {
  /** Whether the op threw, and the first thing it threw. */
  failed = false;
  thrown: unknown = undefined;

  override apply(input: Uint8Array, inout: Uint8Array): void {
    if (this.failed) return;
    try {
      super.apply(input, inout);
    } catch (error) {
      this.failed = true;
      this.thrown = error;
    }
  }
}

/**
 * Runs `body` (an algorithm over `reduction`) and then agrees across the
 * call's ranks on whether the op threw anywhere; fails the call on every
 * rank if it did.
 */
export function* agreeOnOp(call: Call, reduction: GuardedReduction, body: Algorithm<void>): Algorithm<void> {
  yield* body;
  const flag = Int32Array.of(reduction.failed ? call.rank + 1 : 0);
  yield* recursiveDoublingInPlace(call, AGREE, bytesOf(flag));
  if (reduction.failed) {
    const thrown = reduction.thrown;
    throw thrown instanceof Error ? thrown : new Error(String(thrown));
  }
  if (flag[0] !== 0) {
    throw errors.other(call.name, `the user-defined op ${reduction.op.name} threw on rank ${flag[0]! - 1}, so the result is undefined`);
  }
}
