/**
 * What the point-to-point and the collectives of the `mpi` transport share:
 * the transport's state ({@link MpiContext}), the blocking calls in flight
 * ({@link BlockingCalls}), and a communicator as the collectives see it
 * ({@link MpiCommunicator}). Its own module so that `endpoint.ts` and
 * `collectives.ts` need not import each other.
 *
 * MPI-4.1 §6.12 (every rank makes its collective calls on a communicator,
 * blocking or not, in the same order), §7.4 (communicator constructors are
 * collective).
 *
 * @module
 */

import type { PointToPoint } from '../transport.js';
import type { NativeMPI } from './native.js';
import type { Progress } from './progress.js';

/** The one resolved Promise every completed `wait()` returns: no allocation on the fast path. */
export const RESOLVED: Promise<void> = Promise.resolve();

/**
 * Runs `task` in a microtask, once the caller's synchronous code is done: a
 * spin that waits for a peer must not run before the send that the caller
 * makes next. Through the resolved Promise rather than `queueMicrotask`,
 * which makes an async resource and a bound function per call in Node
 * (runtime calls for the bound function's name and its first call, in
 * every wait that does not complete at once).
 */
export function afterCaller(task: () => void): void {
  void RESOLVED.then(task);
}

/** Shared state of every operation of one transport. */
export interface MpiContext {
  readonly native: NativeMPI;
  readonly progress: Progress;
  readonly status: Int32Array;
  /** Size of COMM_WORLD. */
  readonly worldSize: number;
  /** The blocking MPI calls in flight that wait for other ranks. */
  readonly blocking: BlockingCalls;
}

/** One MPI communicator, as its collectives use it (`MpiEndpoint` in endpoint.ts). */
export interface MpiCommunicator extends PointToPoint {
  /** The binding's communicator handle. */
  readonly handle: number;
  /** For messages: `'COMM_WORLD'`, `'split of COMM_WORLD'`, ... */
  readonly name: string;
  /** Throws if the communicator has been freed. */
  check(call: string): void;
  /**
   * {@link PointToPoint.keepFor}, which every MPI communicator has: besides,
   * Open MPI's libnbc crashes in a nonblocking collective whose communicator
   * was freed.
   */
  keepFor(work: Promise<unknown>): void;
}

/**
 * The blocking MPI calls of this process that wait for other ranks: the
 * collectives that may run blocking (from their call until they have voted and
 * made their MPI call) and the communicator constructors (split,
 * createIntercomm, spawn: from their call until MPI returns). One per
 * transport, in {@link MpiContext}.
 *
 * Two of them in flight at once could wait on each other across
 * communicators: rank 0 blocked in MPI_Allreduce on A waits for rank 1, which
 * is blocked in MPI_Allreduce on B (called in the other order) or in
 * MPI_Comm_split on B. So a collective votes for its blocking call only when it
 * is alone here, and a constructor waits for the collectives called before it
 * to have made their call; every other collective then takes its I-form,
 * which never blocks the event loop.
 */
export class BlockingCalls {
  private open = 0;
  /** Settles once every collective that has entered has left. */
  private collectivesLeft: Promise<void> = RESOLVED;

  /** A collective that may run blocking enters; returns how it leaves. */
  enterCollective(): () => void {
    this.open++;
    let leave!: () => void;
    const left = new Promise<void>((resolve) => {
      leave = resolve;
    });
    this.collectivesLeft = Promise.all([this.collectivesLeft, left]).then(() => undefined);
    return () => {
      this.open--;
      leave();
    };
  }

  /** True when the one that asks is the only blocking call in flight. */
  get alone(): boolean {
    return this.open === 1;
  }

  /**
   * Runs a communicator constructor: `barrier` (a nonblocking one, so that the
   * event loop runs while other ranks are late), then, once the collectives
   * that entered before have left, the blocking `call`.
   */
  async construct<T>(barrier: () => Promise<void>, call: () => T): Promise<T> {
    this.open++;
    const before = this.collectivesLeft;
    try {
      await barrier();
      await before;
      return call();
    } finally {
      this.open--;
    }
  }
}
