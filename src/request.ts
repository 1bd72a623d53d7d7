/**
 * Requests: handles of nonblocking operations, completed with Promises.
 *
 * MPI-4.1 §3.7.3 (wait and test), §3.7.5 (multiple completions: `Waitall`,
 * `Waitany`, `Waitsome`, `Testall`, `Testany`, `Testsome`).
 *
 * mpi4py's pairs carry over: the lower-case `wait`/`test` return the received
 * object of an `irecv`; the Capitalized `Wait`/`Test` only complete. Every call
 * that can wait returns a Promise; `test` never waits.
 *
 * Unfinished: `Cancel`, persistent requests (`Send_init`, `Start`).
 *
 * @module
 */

import { ANY_TAG, PROC_NULL, UNDEFINED } from './constants.js';
import { Status } from './status.js';
import type { Operation } from './transport/transport.js';

/** Turns the completed transport operation into the request's value. */
export type Finisher<T> = (op: Operation) => T;

/**
 * A pending nonblocking operation (MPI-4.1 §3.7.1).
 *
 * @example
 * ```ts
 * const r = comm.isend({ a: 1 }, 1);
 * const q = comm.irecv(1);
 * const [, got] = await MPI.Request.waitall([r, q]);
 * ```
 */
export class Request<T = unknown> {
  private settled = false;
  private value: T | undefined;

  /**
   * @param op - the transport operation; undefined for an operation on `MPI.PROC_NULL`, complete at once
   * @param finisher - makes the value once the operation is complete (decodes an object, for instance)
   */
  constructor(private readonly op: Operation | undefined, private readonly finisher?: Finisher<T>) {}

  /** Completes the request: fills `status`, returns the value or throws the operation's error. */
  private finish(status: Status | undefined): T {
    const op = this.op;
    if (op === undefined) {
      if (status !== undefined) status.assign({ source: PROC_NULL, tag: ANY_TAG, byteLength: 0 });
      return undefined as T;
    }
    if (op.error !== undefined) throw op.error;
    if (status !== undefined && op.envelope !== undefined) status.assign(op.envelope);
    if (!this.settled) {
      this.value = this.finisher === undefined ? (undefined as T) : this.finisher(op);
      this.settled = true;
    }
    return this.value as T;
  }

  private isComplete(): boolean {
    return this.op === undefined || this.op.test();
  }

  /**
   * `MPI_Wait` (MPI-4.1 §3.7.3): resolves with the received object for
   * `irecv`, undefined otherwise.
   */
  wait(status?: Status): Promise<T> {
    if (this.op !== undefined && !this.op.test()) {
      const pending = this.op.wait();
      if (!this.op.test()) return pending.then(() => this.finish(status));
    }
    try {
      return Promise.resolve(this.finish(status));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** `MPI_Test`: `[true, value]` once complete, `[false, undefined]` before. Never waits. */
  test(status?: Status): [boolean, T | undefined] {
    return this.isComplete() ? [true, this.finish(status)] : [false, undefined];
  }

  /** `MPI_Wait` for buffer operations: resolves once complete. */
  async Wait(status?: Status): Promise<void> {
    await this.wait(status);
  }

  /** `MPI_Test` for buffer operations. Never waits. */
  Test(status?: Status): boolean {
    return this.test(status)[0];
  }

  /** `MPI_Request_get_status`: like `Test`, without freeing anything. */
  Get_status(status?: Status): boolean {
    return this.Test(status);
  }

  /** `MPI_Waitall`: resolves with every request's value, in order. */
  static async waitall<T>(requests: readonly Request<T>[], statuses?: Status[]): Promise<T[]> {
    const values = new Array<T>(requests.length);
    for (let i = 0; i < requests.length; i++) {
      let status = statuses?.[i];
      if (statuses !== undefined && status === undefined) status = statuses[i] = new Status();
      values[i] = await requests[i]!.wait(status);
    }
    return values;
  }

  /** `MPI_Waitall` for buffer operations. */
  static async Waitall(requests: readonly Request[], statuses?: Status[]): Promise<void> {
    await Request.waitall(requests, statuses);
  }

  /** `MPI_Waitany`: resolves with `[index, value]` of the first request to complete. */
  static async waitany<T>(requests: readonly Request<T>[], status?: Status): Promise<[number, T | undefined]> {
    if (requests.length === 0) return [UNDEFINED, undefined];
    for (;;) {
      const [index, flag, value] = Request.testany(requests, status);
      if (flag) return [index, value];
      await Promise.race(requests.map((r) => r.op?.wait()));
    }
  }

  /** `MPI_Waitany` for buffer operations: resolves with the index. */
  static async Waitany(requests: readonly Request[], status?: Status): Promise<number> {
    return (await Request.waitany(requests, status))[0];
  }

  /** `MPI_Waitsome`: resolves with the indices of all requests complete once one is. */
  static async Waitsome(requests: readonly Request[], statuses?: Status[]): Promise<number[]> {
    await Request.Waitany(requests);
    return Request.Testsome(requests, statuses);
  }

  /** `MPI_Testall`: `[true, values]` when every request is complete, `[false, undefined]` otherwise. */
  static testall<T>(requests: readonly Request<T>[], statuses?: Status[]): [boolean, T[] | undefined] {
    if (!requests.every((r) => r.isComplete())) return [false, undefined];
    return [true, requests.map((r, i) => r.finish(statuses?.[i]))];
  }

  static Testall(requests: readonly Request[], statuses?: Status[]): boolean {
    return Request.testall(requests, statuses)[0];
  }

  /** `MPI_Testany`: `[index, true, value]` for a complete request, `[MPI.UNDEFINED, false, undefined]` when none is. */
  static testany<T>(requests: readonly Request<T>[], status?: Status): [number, boolean, T | undefined] {
    for (let i = 0; i < requests.length; i++) {
      if (requests[i]!.isComplete()) return [i, true, requests[i]!.finish(status)];
    }
    return [UNDEFINED, requests.length === 0, undefined];
  }

  static Testany(requests: readonly Request[], status?: Status): [number, boolean] {
    const [index, flag] = Request.testany(requests, status);
    return [index, flag];
  }

  /** `MPI_Testsome`: indices of the complete requests (possibly none). */
  static Testsome(requests: readonly Request[], statuses?: Status[]): number[] {
    const done: number[] = [];
    requests.forEach((r, i) => {
      if (r.isComplete()) {
        r.finish(statuses?.[done.length]);
        done.push(i);
      }
    });
    return done;
  }
}
