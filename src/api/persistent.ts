/**
 * Persistent collective requests: a collective's arguments bound once, the
 * operation started again and again.
 *
 * MPI-4.1 §6.13 (persistent collective operations: `MPI_Barrier_init`,
 * `MPI_Bcast_init`, ... `MPI_Exscan_init`), §8.8 (persistent neighbourhood
 * collectives), §3.9 (`MPI_Start`, `MPI_Startall`; a persistent request is
 * inactive until started and again once completed, and is not freed by a
 * wait).
 *
 * A `CollectivePrequest` holds a function that starts one round of the
 * collective and returns its completion. Each round is the ordinary
 * nonblocking collective (it reads the bound buffers when started, as MPI's
 * persistent collectives may), so ordering and mismatch detection are those of
 * the I-forms. All ranks must start their persistent collectives in the same
 * order, as MPI requires.
 *
 * Unfinished: joining `Prequest` of point-to-point (`Send_init`) so that
 * `MPI.Request.Waitall` and `Prequest.Startall` take both kinds; until then
 * `CollectivePrequest.Startall` / `Waitall` take these.
 *
 * @module
 */

import { errors } from '../errors.js';
import { Status } from './status.js';
import { ANY_SOURCE, ANY_TAG } from '../constants.js';

/**
 * A persistent collective request (MPI-4.1 §6.13): made by `comm.Bcast_init(...)`
 * and the other `*_init` calls; `Start` runs the collective once, `Wait`
 * completes that round, and the request can be started again.
 *
 * @example
 * ```ts
 * const sum = new Float64Array(1);
 * const req = MPI.COMM_WORLD.Allreduce_init(Float64Array.of(1), sum, MPI.SUM);
 * for (let step = 0; step < 3; step++) {
 *   req.Start();
 *   await req.Wait();
 * }
 * req.Free();
 * ```
 */
export class CollectivePrequest {
  private round: Promise<void> | undefined;
  private settled = false;
  private failure: unknown;
  private freed = false;

  /**
   * @param starter - starts one round of the collective; its Promise settles when the round completes
   * @param call - the `*_init` call, for errors (`'Comm.Bcast_init'`)
   */
  constructor(private readonly starter: () => Promise<void>, readonly call: string) {}

  /** True while a started round has not been completed by a wait or test. */
  get isActive(): boolean {
    return this.round !== undefined;
  }

  /**
   * `MPI_Start` (MPI-4.1 §3.9): starts a round. Starting an active request
   * or a freed one throws `ERR_REQUEST`.
   */
  Start(): void {
    if (this.freed) throw errors.request(`${this.call}.Start`, 'the persistent request was freed');
    if (this.round !== undefined) throw errors.request(`${this.call}.Start`, 'the persistent request is already active: wait for it first');
    this.settled = false;
    this.failure = undefined;
    let started: Promise<void>;
    try {
      started = this.starter();
    } catch (error) {
      started = Promise.reject(error);
    }
    this.round = started.then(() => { this.settled = true; }, (error: unknown) => { this.failure = error; this.settled = true; });
  }

  /** Completes the current round: throws its error, leaves the request inactive (not freed). */
  private finish(status: Status | undefined): void {
    this.round = undefined;
    status?.assign({ source: ANY_SOURCE, tag: ANY_TAG, byteLength: 0 });
    if (this.failure !== undefined) {
      const failure = this.failure;
      this.failure = undefined;
      throw failure;
    }
  }

  /**
   * `MPI_Wait` (MPI-4.1 §3.7.3): resolves when the started round is
   * complete; at once for an inactive request.
   */
  async Wait(status?: Status): Promise<void> {
    if (this.round === undefined) {
      status?.assign({ source: ANY_SOURCE, tag: ANY_TAG, byteLength: 0 });
      return;
    }
    await this.round;
    this.finish(status);
  }

  /** mpi4py's lower-case `wait`: the same as {@link Wait}; resolves to undefined. */
  async wait(status?: Status): Promise<undefined> {
    await this.Wait(status);
    return undefined;
  }

  /** `MPI_Test`: true once the round is complete (then the request is inactive). Never waits. */
  Test(status?: Status): boolean {
    if (this.round === undefined) return true;
    if (!this.settled) return false;
    this.finish(status);
    return true;
  }

  /** mpi4py's lower-case `test`: `[done, undefined]`. */
  test(status?: Status): [boolean, undefined] {
    return [this.Test(status), undefined];
  }

  /** `MPI_Request_free` (MPI-4.1 §3.7.3): an active round still completes; the request cannot start again. */
  Free(): void {
    this.freed = true;
  }

  /** `MPI_Startall` (MPI-4.1 §3.9): starts every request in order. */
  static Startall(requests: readonly CollectivePrequest[]): void {
    for (const request of requests) {
      if (!(request instanceof CollectivePrequest)) throw errors.request('Prequest.Startall', 'expected an array of persistent requests');
      request.Start();
    }
  }

  /** `MPI_Waitall` over persistent requests: waits for each in order; they stay usable. */
  static async Waitall(requests: readonly CollectivePrequest[], statuses?: Status[]): Promise<void> {
    for (let i = 0; i < requests.length; i++) {
      let status: Status | undefined;
      if (statuses !== undefined) status = statuses[i] ??= new Status();
      await requests[i]!.Wait(status);
    }
  }
}
