/**
 * An {@link Operation} over a Promise: how a nonblocking collective
 * (`Ibcast`, ...) becomes a `Request` on any transport.
 *
 * MPI-4.1 §6.12 (nonblocking collectives complete through the usual
 * `MPI_Wait` / `MPI_Test`). `test` never waits and says whether the Promise
 * has settled; `wait` resolves once it has, with a failure in `error`, as
 * transport operations do. The collective itself progresses on its own
 * whenever the event loop runs (see `run.ts`), so a program that awaits
 * anything, or calls `wait`, sees it complete; a loop that calls `test`
 * without ever yielding to the event loop does not.
 *
 * @module
 */

import type { Envelope, Operation } from '../transport/transport.js';

/** A nonblocking collective (or file access) seen as an operation. */
export class PromiseOperation<T = unknown> implements Operation {
  private settled = false;
  error: Error | undefined = undefined;
  envelope: Envelope | undefined = undefined;
  readonly data: Uint8Array | undefined = undefined;
  private readonly done: Promise<void>;

  /**
   * @param promise - the collective's completion
   * @param label - the call, for deadlock reports: `Ibcast(root=0)`
   * @param envelopeOf - what a Status of the completed operation reports (a file access: the bytes moved)
   */
  constructor(promise: Promise<T>, private readonly label: string, envelopeOf?: (value: T) => Envelope) {
    this.done = promise.then((value) => {
      if (envelopeOf !== undefined) this.envelope = envelopeOf(value);
      this.settled = true;
    }, (error: unknown) => {
      this.error = error instanceof Error ? error : new Error(String(error));
      this.settled = true;
    });
  }

  test(): boolean {
    return this.settled;
  }

  wait(): Promise<void> {
    return this.done;
  }

  describe(): string {
    return this.label;
  }
}
