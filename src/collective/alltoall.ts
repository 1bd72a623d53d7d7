/**
 * All-to-all of bytes, uniform or v-form: every message posted at once for
 * short exchanges, pairwise steps for long ones (MPICH's "scattered" and
 * "pairwise" algorithms).
 *
 * MPI-4.1 §6.8 (`MPI_Alltoall`, `MPI_Alltoallv`). Each ordered pair of ranks
 * exchanges exactly one message, so the two forms may be mixed: each rank
 * picks by its own byte counts. Pairwise step s sends to rank + s and
 * receives from rank - s, which keeps every rank busy with one partner at a
 * time and bounds the memory in flight.
 *
 * Buffers may be longer than the longest byte view (segmented bytes): every
 * block is one point-to-point message of any length, so nothing more is
 * needed (`api/arguments.ts` runs Alltoallv and Alltoallw past that view here).
 *
 * A uniform `Alltoall` whose blocks of all ranks fit a contribution block of
 * the communicator's shared area ({@link smallAlltoall}) takes one exchange
 * on the area instead: every rank publishes all its blocks, then copies its
 * own block out of every rank's contribution. A blocking one runs
 * synchronously as far as the contributions come ({@link fastSmallAlltoall}).
 * Longer ones from `MPI.alloc` memory go by reference on the area
 * ({@link referenceAlltoall}).
 *
 * Unfinished: an in-place `Alltoall` longer than a contribution block goes
 * over messages (its blocks are both what the others read and where this
 * rank's arrive).
 *
 * @module
 */

import { allocateBytes, blockOf, type Bytes, copyBytes } from '../buffer.js';
import type { SharedArea } from '../transport/transport.js';
import type { Call } from './call.js';
import type { Algorithm, Detour } from './run.js';
import {
  attachArea, checkContributions, copySpinBudget, detour, exchangeNumbered, exchangeShared, finishExchange,
  finishReferenceExchange, nextExchange, parkedExchange, referenceExchangeNumbered, referencesAt, ReferenceStage,
  type ReferenceStageValue, spinBudget, startExchange, startReferenceExchange,
} from './shared_area.js';
import { tuning } from './tuning.js';

/**
 * Alltoallv: block `j` of `send` goes to rank `j`, block `i` of `recv` comes
 * from rank `i`. `send` undefined: in place, `recv` holds the outgoing
 * blocks with the receive counts and displacements.
 */
export function* alltoallv(call: Call, send: Bytes | undefined, sendCounts: readonly number[],
  sendDispls: readonly number[], recv: Bytes, recvCounts: readonly number[],
  recvDispls: readonly number[]): Algorithm<void> {
  const { rank, size } = call;
  let source = send;
  if (source === undefined) {
    source = recv instanceof Uint8Array ? call.scratch(0, recv.byteLength) : allocateBytes(recv.byteLength);
    copyBytes(source, 0, recv, 0, recv.byteLength);
    sendCounts = recvCounts;
    sendDispls = recvDispls;
  }
  copyBytes(recv, recvDispls[rank]!, source, sendDispls[rank]!, Math.min(sendCounts[rank]!, recvCounts[rank]!));
  let bytes = 0;
  for (let j = 0; j < size; j++) if (j !== rank) bytes += sendCounts[j]!;
  if (bytes < tuning.alltoallPairwiseBytes) {
    const ops = [];
    for (let s = 1; s < size; s++) {
      const from = (rank - s + size) % size;
      ops.push(call.recv(blockOf(recv, recvCounts, recvDispls, from), from));
    }
    for (let s = 1; s < size; s++) {
      const dest = (rank + s) % size;
      ops.push(call.send(blockOf(source, sendCounts, sendDispls, dest), dest));
    }
    yield ops;
    return;
  }
  for (let s = 1; s < size; s++) {
    const dest = (rank + s) % size;
    const from = (rank - s + size) % size;
    yield [call.send(blockOf(source, sendCounts, sendDispls, dest), dest),
      call.recv(blockOf(recv, recvCounts, recvDispls, from), from)];
  }
}

/**
 * The blocks of a uniform all-to-all of `block`-byte blocks as one
 * contribution: `send` (undefined: in place, the blocks of `recv`) with the
 * block for rank `j` at `displs[j]` (undefined: `j * block`), packed in rank
 * order. A packed buffer is used as it is.
 */
function outgoing(call: Call, send: Uint8Array | undefined, sendDispls: readonly number[] | undefined, recv: Uint8Array,
  recvDispls: readonly number[] | undefined, block: number): Uint8Array {
  const from = send ?? recv;
  const displs = send === undefined ? recvDispls : sendDispls;
  const total = block * call.size;
  if (displs === undefined) return from.byteLength === total ? from : from.subarray(0, total);
  const packed = new Uint8Array(total);
  for (let j = 0; j < call.size; j++) packed.set(from.subarray(displs[j]!, displs[j]! + block), j * block);
  return packed;
}

/**
 * This rank's block of every contribution of a uniform all-to-all, into
 * `recv` (block `i` at `recvDispls[i]`, or `i * block`): a mismatch Error
 * when a rank's blocks are not `block` bytes long, as the same call on
 * messages reports it.
 */
function takeBlocks(call: Call, all: readonly Uint8Array[], recv: Uint8Array, recvDispls: readonly number[] | undefined,
  block: number): Error | null {
  const { rank, size } = call;
  for (let from = 0; from < size; from++) {
    const theirs = all[from]!;
    if (theirs.byteLength !== block * size) return call.mismatch(from, call.tag, theirs.byteLength / size, block);
  }
  for (let from = 0; from < size; from++) {
    recv.set(all[from]!.subarray(rank * block, rank * block + block), recvDispls === undefined ? from * block : recvDispls[from]!);
  }
  return null;
}

/**
 * At a communicator's first call that can use the shared area, attaches it;
 * true when the uniform all-to-all runs on it, false once it has run over
 * messages (the communicator's area has no slot).
 */
function* onArea(call: Call, area: SharedArea, send: Uint8Array | undefined, sendDispls: readonly number[] | undefined,
  recv: Uint8Array, recvDispls: readonly number[] | undefined, block: number): Algorithm<boolean> {
  if (area.mode === 'unset') yield* attachArea(call, area);
  if (area.mode === 'shared') return true;
  yield* uniformAlltoall(call, send, sendDispls, recv, recvDispls, block);
  return false;
}

/** A uniform all-to-all of `block`-byte blocks over messages ({@link alltoallv}); displacements as in {@link smallAlltoall}. */
function uniformAlltoall(call: Call, send: Uint8Array | undefined, sendDispls: readonly number[] | undefined,
  recv: Uint8Array, recvDispls: readonly number[] | undefined, block: number): Algorithm<void> {
  const counts = new Array<number>(call.size).fill(block);
  const packed = counts.map((_, j) => j * block);
  return alltoallv(call, send, counts, sendDispls ?? packed, recv, counts, recvDispls ?? packed);
}

/**
 * A uniform all-to-all of `block`-byte blocks (`block * size` at most
 * `area.contributionBytes`, which every rank of a correct program sees
 * alike) through the shared area, or over messages when the communicator
 * has none. `send` undefined: in place. Displacements undefined: the blocks
 * lie end to end.
 */
export function* smallAlltoall(call: Call, area: SharedArea, send: Uint8Array | undefined,
  sendDispls: readonly number[] | undefined, recv: Uint8Array, recvDispls: readonly number[] | undefined,
  block: number): Algorithm<void> {
  if (!(yield* onArea(call, area, send, sendDispls, recv, recvDispls, block))) return;
  const data = outgoing(call, send, sendDispls, recv, recvDispls, block);
  // Every rank's blocks fit (undefined would mean otherwise): a rank with longer ones calls with another tag.
  const error = yield* exchangeShared(call, area, data, (all) => takeBlocks(call, all, recv, recvDispls, block));
  if (error) throw error;
}

/** What {@link fastSmallAlltoall} hands over when it must wait; one serves every call (they never overlap). */
const parked = parkedExchange();

/**
 * {@link smallAlltoall} of blocks that lie end to end, on an attached shared
 * area, synchronously as far as the contributions come within the fast
 * path's spin: undefined once done, an Error on a mismatch, or the
 * {@link Detour} that finishes the call.
 */
export function fastSmallAlltoall(call: Call, area: SharedArea, send: Uint8Array | undefined, recv: Uint8Array,
  block: number): Detour | Error | undefined {
  const { rank, size } = call;
  const data = outgoing(call, send, undefined, recv, undefined, block);
  const number = startExchange(call, area, data, spinBudget(area, parked), parked);
  if (number instanceof Error) return number;
  if (number === undefined) {
    return detour(parked, finishAlltoall(call, area, data, recv, block, parked.number, parked.contributed));
  }
  const checked = checkContributions(call, area, number, -1, call.size);
  if (checked !== undefined) return checked;
  for (let from = 0; from < size; from++) {
    const length = area.contributionLength(from, number);
    if (length !== block * size) return call.mismatch(from, call.tag, length / size, block);
  }
  // Byte by byte: the blocks are short, and a view per block would cost more than the copy.
  for (let from = 0, at = 0; from < size; from++) {
    const theirs = area.contributionData(from, number, rank * block + block);
    for (let k = rank * block; k < theirs.length; k++) recv[at++] = theirs[k]!;
  }
  finishExchange(area, number);
  return undefined;
}

/** The rest of a {@link fastSmallAlltoall} that had to wait. */
function* finishAlltoall(call: Call, area: SharedArea, data: Uint8Array, recv: Uint8Array, block: number, number: number,
  contributed: boolean): Algorithm<void> {
  const error = yield* exchangeNumbered(call, area, data, (all) => takeBlocks(call, all, recv, undefined, block), number,
    contributed);
  if (error) throw error;
}

/**
 * A uniform all-to-all of `block`-byte blocks, more than a contribution
 * block in all (up to `tuning.alltoallReferenceBytes`, which every rank of a
 * correct program sees alike), through the shared area by reference: every
 * rank publishes where its blocks lie (when they lie end to end in
 * `MPI.alloc` memory, not in place), copies its own block straight out of
 * every rank's, and returns once every rank has copied its blocks, so that
 * the caller may change them at once. One copy per block, as over messages
 * in place, and the code that the small collectives compile: a first loop
 * of such calls compiles little more. When some rank's blocks cannot be read
 * there, every rank goes on with {@link alltoallv} over messages.
 * Displacements as in {@link smallAlltoall}.
 *
 * MPI-4.1 §6.8.
 *
 * @example
 * ```ts
 * const send = MPI.alloc(Float64Array, 1024 * size), recv = MPI.alloc(Float64Array, 1024 * size);
 * await comm.Alltoall(send, recv); // blocks of 8 KiB: by reference on shm
 * ```
 */
export function* referenceAlltoall(call: Call, area: SharedArea, send: Uint8Array | undefined,
  sendDispls: readonly number[] | undefined, recv: Uint8Array, recvDispls: readonly number[] | undefined,
  block: number): Algorithm<void> {
  if (!(yield* onArea(call, area, send, sendDispls, recv, recvDispls, block))) return;
  yield* referenceAlltoallFrom(call, area, send, sendDispls, recv, recvDispls, block, nextExchange(call, area),
    ReferenceStage.FREE);
}

/** {@link referenceAlltoall} of exchange `number`, from `stage` on. */
function referenceAlltoallFrom(call: Call, area: SharedArea, send: Uint8Array | undefined,
  sendDispls: readonly number[] | undefined, recv: Uint8Array, recvDispls: readonly number[] | undefined, block: number,
  number: number, stage: ReferenceStageValue): Algorithm<void> {
  const own = publishable(call, send, sendDispls, block);
  return referenceExchangeNumbered(call, area, own, block * call.size, number, stage,
    (n) => copyReferences(call, area, n, own!, recv, recvDispls, block),
    () => uniformAlltoall(call, send, sendDispls, recv, recvDispls, block));
}

/** The blocks this rank can publish by reference: all of `send`, when they lie end to end; undefined otherwise. */
function publishable(call: Call, send: Uint8Array | undefined, sendDispls: readonly number[] | undefined,
  block: number): Uint8Array | undefined {
  const total = block * call.size;
  if (send === undefined || sendDispls !== undefined) return undefined;
  return send.byteLength === total ? send : send.subarray(0, total);
}

/** This rank's block of every rank's blocks of exchange `number` by reference into `recv` (this rank's from `own`). */
function copyReferences(call: Call, area: SharedArea, number: number, own: Uint8Array, recv: Uint8Array,
  recvDispls: readonly number[] | undefined, block: number): void {
  const { rank, size } = call;
  for (let from = 0; from < size; from++) {
    const theirs = from === rank ? own : area.contributionData(from, number, block * size);
    recv.set(theirs.subarray(rank * block, rank * block + block), recvDispls === undefined ? from * block : recvDispls[from]!);
  }
}

/** What {@link fastReferenceAlltoall} hands over when it must wait; one serves every call (they never overlap). */
const parkedReference = parkedExchange();

/**
 * {@link referenceAlltoall} of blocks that lie end to end, on an attached
 * shared area, synchronously as far as the waits end within the fast
 * path's spin (and the time the others' copies may take): undefined once
 * done, an Error on a mismatch, or the {@link Detour} that finishes the call.
 */
export function fastReferenceAlltoall(call: Call, area: SharedArea, send: Uint8Array | undefined, recv: Uint8Array,
  block: number): Detour | Error | undefined {
  const total = block * call.size;
  const own = publishable(call, send, undefined, block);
  const budget = copySpinBudget(area, parkedReference, total);
  const number = startReferenceExchange(call, area, own, budget, parkedReference);
  if (number instanceof Error) return number;
  if (number === undefined) {
    const stage = parkedReference.contributed ? ReferenceStage.PUBLISHED : ReferenceStage.FREE;
    return detour(parkedReference,
      referenceAlltoallFrom(call, area, send, undefined, recv, undefined, block, parkedReference.number, stage));
  }
  const byReference = referencesAt(call, area, number, total);
  if (byReference instanceof Error) return byReference;
  if (!byReference) {
    finishExchange(area, number);
    return { rest: uniformAlltoall(call, send, undefined, recv, undefined, block), parkedOn: undefined, pending: undefined };
  }
  copyReferences(call, area, number, own!, recv, undefined, block);
  if (!finishReferenceExchange(call, area, number, budget, parkedReference)) {
    return detour(parkedReference,
      referenceAlltoallFrom(call, area, send, undefined, recv, undefined, block, number, ReferenceStage.TAKEN));
  }
  return undefined;
}
