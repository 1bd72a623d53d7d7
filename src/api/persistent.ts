/**
 * Persistent collective requests: a collective's arguments bound once, the
 * operation started again and again.
 *
 * MPI-4.1 §6.13 (persistent collective operations, on intra- and
 * intercommunicators: `MPI_Barrier_init`, `MPI_Bcast_init`, ...
 * `MPI_Exscan_init`), §8.8 (persistent neighbourhood
 * collectives), §3.9 (`MPI_Start`, `MPI_Startall`; a persistent request is
 * inactive until started and again once completed, and is not freed by a
 * wait).
 *
 * A `CollectivePrequest` holds a function that starts one round of the
 * collective and returns its completion. Each round is the ordinary
 * nonblocking collective (it reads the bound buffers when started, as MPI's
 * persistent collectives may), so ordering and mismatch detection are those of
 * the I-forms. All ranks must start their persistent collectives in the same
 * order, as MPI requires. A round's failure goes through the error handler of
 * the communicator at its completion (MPI-4.1 §9.3), as an I-form's does.
 *
 * A `CollectivePrequest` is a `Prequest`: `MPI.Request.Waitall`, `Waitany`,
 * `Testall` and `Prequest.Startall` take it beside persistent point-to-point
 * requests, as mpi4py's `Prequest` of either kind.
 *
 * Unfinished: nothing.
 *
 * @module
 */

import type { ErrhandlerOwner } from './errhandler.js';
import { PromiseOperation } from './promise_operation.js';
import { Prequest } from './request.js';

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
export class CollectivePrequest extends Prequest<void> {
  /**
   * @param starter - starts one round of the collective; its Promise settles when the round completes
   * @param call - the `*_init` call, for errors (`'Comm.Bcast_init'`)
   * @param owner - the communicator, whose error handler a failed round goes through
   */
  constructor(starter: () => Promise<void>, call: string, owner: ErrhandlerOwner) {
    super(() => new PromiseOperation(startRound(starter), call), call, owner);
  }
}

/** One round's completion; an argument error at its start becomes its failure, which a wait reports. */
function startRound(starter: () => Promise<void>): Promise<void> {
  try {
    return starter();
  } catch (error) {
    return Promise.reject(error);
  }
}
