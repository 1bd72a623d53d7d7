/**
 * The sizes at which the shm collectives switch algorithms, as real MPIs
 * pick theirs by message size and rank count (MPICH's `MPIR_CVAR_*_SHORT_MSG_SIZE`,
 * Open MPI's tuned decision rules). Measured on shared memory, where a large
 * message costs one copy out of the sender's heap.
 *
 * Every choice depends only on what all ranks of the call know alike (total
 * sizes, counts, the op, the number of cores of the one machine shm runs
 * on), so all ranks pick the same algorithm; the one exception, the
 * direct/tree choice of `Gatherv`/`Scatterv`, is made per block from that
 * block's size, which its sender and the root both know.
 *
 * With more ranks than cores, every step that waits for another rank may
 * wait for a context switch, so the algorithms with many steps (rings,
 * scatter + allgather) pay off only for much longer messages: their
 * thresholds are multiplied by `oversubscribedScale` (measured with 4 and 8
 * ranks on 2 cores, where a binomial Bcast beats scatter + allgather at every
 * size and recursive doubling beats the ring Allreduce up to about 2 MiB).
 *
 * `MPI4TS_COLLECTIVE_TUNING`, a JSON object of these fields, overrides them
 * for a run (every rank reads the same environment): for experiments, and
 * for tests that make every algorithm run on small data, such as
 * `{"allreduceRingBytes": 0, "segmentBytes": 64, "oversubscribedScale": 1}`.
 *
 * @module
 */

import { availableParallelism } from 'node:os';

export const tuning = {
  /** Bcast: binomial tree below this many bytes, scatter + ring allgather (van de Geijn) above. */
  bcastScatterBytes: 256 * 1024,
  /** Bcast: the scatter + allgather form needs at least this many ranks. */
  bcastScatterRanks: 4,
  /**
   * Bcast on a shared area: up to this many bytes (more than a contribution
   * block), a root whose buffer is `MPI.alloc` memory publishes where it is
   * and every member copies it from there (`broadcast.ts`, `referenceBcast`);
   * 1 GiB, the most one call of a longer Bcast's rounds takes: every size.
   */
  bcastReferenceBytes: 2 ** 30,
  /** Gatherv/Scatterv: blocks of at least this many bytes go straight to or from the root. */
  gatherDirectBytes: 8 * 1024,
  /** Allgatherv: Bruck (log p steps) below this total, ring in place above. */
  allgatherRingBytes: 64 * 1024,
  /** Alltoallv: every message posted at once below this many bytes sent, pairwise steps above. */
  alltoallPairwiseBytes: 256 * 1024,
  /**
   * Uniform Alltoall on a shared area: up to this many bytes from each rank
   * (more than a contribution block), the ranks whose blocks lie end to end
   * in `MPI.alloc` memory publish where they are and every rank copies its
   * block out of each (`alltoall.ts`, `referenceAlltoall`); 1 GiB, every
   * size that one view holds; 0 sends them over messages.
   */
  alltoallReferenceBytes: 2 ** 30,
  /** Allreduce (commutative): recursive doubling below, ring reduce-scatter + allgather above. */
  allreduceRingBytes: 32 * 1024,
  /**
   * Allreduce on a shared area with a predefined op: a vector of more than a
   * contribution block and up to this many bytes goes by reference, when
   * every rank's is `MPI.alloc` memory (`allreduce.ts`): the ranks publish
   * where their vectors are and fold them straight out of each other's
   * memory; 0 sends them over messages. First loops at 2 ranks on 2 cores,
   * one exchange in which every rank folds every vector against messages:
   * 64 KiB 55-67 -> 41-59 us a call, 1 MiB 151-160 -> 124-132, 8 MiB
   * 1.16-1.53 -> 1.01 ms; at 4 ranks 1 MiB 1.4-1.6 -> 0.6-0.75 ms; at 8
   * ranks 1 MiB 4.7 -> 2.6 ms, but 8 MiB 14 -> 21 ms (every rank read 64
   * MiB, where the ring moves 2 x 8): {@link allreduceSlicedBytes}.
   */
  allreduceReferenceBytes: 2 ** 30,
  /**
   * From this many bytes that one exchange by reference folds more, all
   * ranks together, than two (`(p - 1)^2` times the vector: each rank folds
   * `p - 1` vectors there, `(p - 1)/p` of one here), a reduce-scatter and
   * then an allgather of the slices (`slicedReferenceAllreduce`), in which
   * each rank reads about twice its vector whatever the number of ranks:
   * from 2 MiB at 2 ranks. First loops at 2 ranks on 2 cores, one exchange
   * -> two, 2-4 alternating runs: 1 MiB 194-316 -> 159-238 us, 8 MiB
   * 1.6-2.6 -> 1.1-1.7 ms, 64 KiB the same. Not lower: a first loop of the
   * two exchanges compiles a dozen functions a rank, 30 ms, which the short
   * loops of one size that follow a smaller size's (the bench's 110 calls of
   * 1 MiB: 0.33 -> 0.54 ms a call; 500 of 64 KiB: p99 37 us -> 0.5-1.8 ms)
   * paid in their timed part.
   */
  allreduceSlicedBytes: 2 * 1024 * 1024,
  /**
   * {@link allreduceSlicedBytes} with more ranks than cores, where the cores
   * share every rank's folds: from 64 KiB vectors at 4 ranks, 11.8 KiB at 8.
   * First loops on 2 cores, 3-4 alternating runs, one exchange -> two: at 4
   * ranks 64 KiB 129-184 -> 87-111 us, 256 KiB 229-370 -> 153-162, 1 MiB (after
   * 64 KiB) 0.77-1.65 -> 0.63-1.13 ms, 8 MiB (over messages before) 10-13 ->
   * 5-7.5 ms; at 8 ranks 16 KiB 232-300 -> 152-223 us, 32 KiB 159-310 ->
   * 107-170, 64 KiB 1.1 -> 0.9 ms, 1 MiB 6.7 -> 1.4 ms.
   */
  allreduceSlicedOversubscribedBytes: 576 * 1024,
  /** Reduce (commutative): binomial tree below, ring reduce-scatter + binomial gather above. */
  reduceRingBytes: 128 * 1024,
  /** Reduce_scatter (commutative): recursive doubling below this total, ring above. */
  reduceScatterRingBytes: 32 * 1024,
  /**
   * Allreduce, Reduce, Scan, Exscan, Reduce_scatter and the uniform
   * Allgather, Gather and Scatter: contributions of at most this many bytes
   * per rank (and at most a shared area's contribution block) go through
   * the area as one exchange (`small_exchange.ts`); 0 sends them over
   * messages, as the tests of the message algorithms do.
   */
  shortExchangeBytes: 1024,
  /**
   * Messages of at least this many bytes are sent synchronously (complete
   * once matched), so that the root of a Bcast or the leaves of a Reduce
   * cannot run hundreds of calls ahead and pile up copies of large messages.
   */
  syncSendBytes: 16 * 1024,
  /** Every this many calls on a communicator, all sends are synchronous, bounding how far a rank runs ahead. */
  syncEveryCalls: 64,
  /** How much longer messages must be for the many-step algorithms when ranks outnumber cores. */
  oversubscribedScale: 64,
  /**
   * Microseconds a blocking collective's synchronous fast path polls an
   * operation that is not complete yet before it hands over to a Promise
   * (and the transport's own spin): a peer that comes within this finishes
   * the call with no Promise, generator or event-loop hop. Not used when
   * ranks outnumber cores (the peer may need this rank's core to come).
   * A millisecond, where MPI libraries poll for as long as a call waits: a
   * peer is late by more than a few microseconds when V8 compiles on its
   * thread (0.3-3 ms a function) or the VM takes its core away, and every
   * wait that then went down the slow path counted towards compiling that
   * path's two dozen functions, each a stall of its own in the user's loop.
   * At 2 ranks, from 20 to 1,000 us (medians of 5 alternating runs, Node
   * 20, first loops): Barrier 0.84 -> 0.43 us, 8-byte Allreduce 1.50 ->
   * 1.22, Alltoall 1.31 -> 1.00, 1 KiB Bcast 1.19 -> 0.57, 1 KiB Allreduce
   * 4.8 -> 1.4; Node 24 (3 runs, 500 and 2,000 us alike): 8-byte Bcast 1.36
   * -> 0.5, Allreduce 1.44 -> 0.9-1.0, 1 KiB Alltoall 2.27 -> 1.2, Reduce
   * 0.98 -> 0.65, 64 KiB Allreduce 45 -> 31-39. The 64 KiB Bcast's first
   * loop took longer on Node 20 (7.7 -> 16 us, its median the same). The
   * event loop waits as long at most.
   */
  syncSpinMicros: 1000,
  /**
   * The spin of each fast path's first {@link firstCalls} calls in a
   * process: short, so that a peer V8 holds up compiling (as it does in
   * those calls) sends some waits down the slow path there, and the fast
   * path's call sites for it have their type feedback before V8 optimizes
   * it. The switch to the long spin is arithmetic, not a branch, whose
   * first run would deoptimize every fast path. With the long spin
   * alone, the first wait to outlast it came later, often past a loop's
   * first tenth, and deoptimized the fast path there: at 2 ranks on Node 20
   * (medians of 6-15 alternating runs) the first loop of 2,000 8-byte
   * Bcasts after Barriers took 0.89-1.65 us a call, 0.60-0.70 with this, and
   * of 500 64 KiB Bcasts 17.6-19.5 us, 8.6-11.9 (p99 1.1 ms, 8 us).
   */
  firstCallsSpinMicros: 20,
  /** See {@link firstCallsSpinMicros}. */
  firstCalls: 128,
  /**
   * The first calls of each fast path by reference (`copySpinBudget`: Bcast,
   * Allreduce and Alltoall of data too long for a block) look once at each
   * wait and park if it is not over: the partner that arrives later, or
   * reads later, makes the other park, which gives the fast path's parking
   * branches their type feedback before V8 optimizes it, a few calls in.
   * With the short spin of {@link firstCallsSpinMicros} the first park came
   * later, at a partner's compile, and threw the optimized code away; its
   * recompile stalled both ranks 2.5-3.4 ms in the timed part of the bench's
   * first loop of 64 KiB Allreduces at 2 ranks on Node 20 (at call 94 of
   * 500): medians of 5 alternating runs, mean 17.5 -> 10.6 us, p99 36 -> 16
   * us, p50 8.2 either way; on Node 24, which had no such deopt, and in the
   * other rows, no change beyond this VM's noise.
   */
  lookOnceCopyCalls: 8,
  /**
   * The same when ranks outnumber cores, where the transport can yield the
   * core (`SharedArea.yieldCore`): the fast path gives its core away
   * between looks, to the rank it most likely waits for. Long, as Open MPI's
   * ranks yield for as long as a call waits: there, a writer that runs
   * ahead (a Bcast's root, Reduce's and Gather's other ranks) waits each
   * time it comes round to a block that a rank without a core has not read
   * yet, which took longer than 50 us in about one call in eight at 4 ranks on 2 cores;
   * each such wait went through the Promise, generator and park path,
   * whose two dozen functions V8 then compiled on the rank's thread in the
   * middle of the user's loop (115 ms of compiles over the 4 ranks in a
   * second loop of 2,200 Bcasts, 38 ms with this). From 50 to 1,000 us,
   * the first loops' means (medians of 5 runs) went from 9.6 to 3.2 us at
   * 4 ranks for an 8-byte Bcast, 5.5 to 3.1 for Reduce, 7.0 to 5.7 for
   * Barrier, and at 8 ranks (3 runs) from 44 to 6.6 for Bcast, 31 to 22 for
   * Allreduce, 30 to 18 for Allgather, 10 to 6 for Gather; 5,000 us was no
   * better. The event loop waits as long at most.
   */
  syncYieldMicros: 1000,
  /**
   * How many calls ahead of the slowest reader a fast path lets a writer
   * run in its first {@link shallowCalls} calls, when a shared area has more
   * blocks than that (ranks above cores; see `runAhead` in `shared_area.ts`).
   */
  shallowRunAhead: 8,
  /** See {@link shallowRunAhead}. */
  shallowCalls: 256,
  /** Reductions pipeline the ring in segments of this many bytes: each is reduced while it is in cache. */
  segmentBytes: 256 * 1024,
};

const cores = availableParallelism();

/**
 * The size from which a many-step (bandwidth) algorithm is used on `size`
 * ranks: `bytes`, or `bytes * oversubscribedScale` when ranks outnumber cores.
 */
export function manyStepBytes(bytes: number, size: number): number {
  return size > cores ? bytes * tuning.oversubscribedScale : bytes;
}

/** Applies `MPI4TS_COLLECTIVE_TUNING`; unknown fields and non-numbers are errors, so typos do not pass silently. */
function applyEnvironment(): void {
  const text = process.env['MPI4TS_COLLECTIVE_TUNING'];
  if (text === undefined || text === '') return;
  const overrides = JSON.parse(text) as Record<string, unknown>;
  for (const [key, value] of Object.entries(overrides)) {
    if (!(key in tuning) || typeof value !== 'number' || !(value >= 0)) {
      throw new Error(`MPI4TS_COLLECTIVE_TUNING: ${key} is not a tuning field or ${String(value)} not a size; ` +
        `fields: ${Object.keys(tuning).join(', ')}`);
    }
    (tuning as Record<string, number>)[key] = value;
  }
}
applyEnvironment();
