/**
 * Collectives built from point-to-point messages on a communicator's
 * collective context: what the shm transport uses.
 *
 * MPI-4.1 §6.3 to §6.11. Each call picks its algorithm by size and rank count
 * (see `tuning.ts` and the algorithm modules: `barrier.ts` dissemination,
 * `broadcast.ts` binomial / scatter + ring allgather, `gather.ts` binomial
 * packages / direct, `allgather.ts` Bruck / ring, `alltoall.ts` scattered /
 * pairwise, `reduce.ts` binomial / ring + gather, `allreduce.ts` recursive
 * doubling / ring, `reduce_scatter.ts`, `scan.ts` recursive doubling). Calls
 * run one after another per communicator (`run.ts`), and every message
 * carries the call's signature, so mismatched calls fail with an error
 * naming both (`signature.ts`). Where the transport offers a shared area
 * (`shared_area.ts`), the barrier, short reductions and gathers
 * (`small_exchange.ts`: Allreduce, Reduce, Scan, Exscan, Reduce_scatter
 * with a predefined op, uniform Allgather, Gather and Scatter), small
 * all-to-alls and small broadcasts run on it instead of on messages.
 *
 * The API layer (`api/arguments.ts`) has checked roots, counts, buffers and
 * ops; nothing here checks them again.
 *
 * Unfinished: algorithms aware of the machine's topology (all ranks of shm
 * share one node, so none is needed there).
 *
 * @module
 */

import type { Bytes } from '../buffer.js';
import type { Datatype, TypedArray } from '../datatype/index.js';
import type { Op } from '../op/op.js';
import type { Collectives, PointToPoint, SharedArea } from '../transport/transport.js';
import { allgatherv } from './allgather.js';
import {
  allreduce, fastReferenceAllreduce, fastSlicedAllreduce, referenceAllreduce, ReferenceReduction, slicedReferenceAllreduce,
} from './allreduce.js';
import { alltoallv, fastReferenceAlltoall, fastSmallAlltoall, referenceAlltoall, smallAlltoall } from './alltoall.js';
import {
  barrier, counterBarrier, countsArrivals, fastBarrier, fastCounterBarrier, fastFlagBarrier, firstBarrier, flagBarrier,
} from './barrier.js';
import { bcast, fastReferenceBcast, fastSmallBcast, referenceBcast, smallBcast } from './broadcast.js';
import { gatherv, scatterv } from './gather.js';
import { reduce } from './reduce.js';
import { reduceScatter } from './reduce_scatter.js';
import { bytesOf, Reduction } from '../op/reduction.js';
import type { Call } from './call.js';
import { type Algorithm, type Detour, type Sequencer, sequencerOf } from './run.js';
import { scan } from './scan.js';
import type { ScratchPool } from './scratch.js';
import { Code, type CodeValue, opCode, type Signature, signature } from './signature.js';
import {
  BlockCopy, type ExchangePlan, fastSmallExchange, fastSmallFromRoot, fastSmallToRoot, smallExchange, smallFromRoot,
  SmallReduction, smallToRoot,
} from './small_exchange.js';
import { chainScan, fastChainScan, ScanChain } from './small_scan.js';
import { packedBlocks } from './tree.js';
import { tuning } from './tuning.js';
import { agreeOnOp, GuardedReduction } from './user_op.js';

const BARRIER = signature(Code.Barrier, -1, [], 'Barrier()');

function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

/*
 * The shapes below describe the last call of a kind, kept for the next one
 * alike: its signature, what this rank takes of it, the byte views of its
 * arrays. The signature is a field, not the shape itself: the sequencer and
 * every call read a signature's fields, and one class of signature for every
 * kind keeps those reads to one hidden class. With a class per kind, the
 * first call of each new kind after V8 had optimized those readers
 * deoptimized them ("wrong map" in `Call`, `tagOf` and their callers).
 */

/** The shape of a Bcast of `bytes` bytes from `root`. */
class BcastShape {
  readonly signature: Signature;
  /** The byte view of the last call's array (see {@link ByteViewMemo}). */
  readonly bufBytes = new ByteViewMemo();

  constructor(readonly root: number, readonly bytes: number) {
    this.signature = signature(Code.Bcast, root, [bytes], () => `Bcast(root=${root}, ${bytes} bytes)`);
  }
}

/**
 * The shape of a short reduction on the shared area (`Allreduce`,
 * `Reduce`, `Scan`, `Exscan`, `Reduce_scatter`) of `count` × `datatype`
 * from each rank with a predefined `op`, and what this rank folds of it.
 */
class ReductionShape<Plan = SmallReduction> {
  readonly signature: Signature;
  /** The byte views of the last call's arrays (see {@link ByteViewMemo}). */
  readonly sendBytes = new ByteViewMemo();
  readonly recvBytes = new ByteViewMemo();

  /** @param agreed - what every rank must agree on (see {@link signature}) */
  constructor(readonly code: CodeValue, readonly root: number, readonly count: number, readonly datatype: Datatype,
    readonly op: Op, agreed: readonly number[], readonly plan: Plan, describe: () => string) {
    this.signature = signature(code, root, agreed, describe);
  }

  /** Whether a call of `count` × `datatype` with `op` to `root` is the same as this one's. */
  matches(count: number, datatype: Datatype, op: Op, root: number): boolean {
    return this.count === count && this.datatype === datatype && this.op === op && this.root === root;
  }
}

/**
 * The shape of a uniform gather, scatter or allgather of `block`-byte
 * blocks through the shared area (see {@link BlockCopy}), and what this
 * rank takes. Its signature differs from that of the same call over
 * messages, so that ranks which take different paths fail with a mismatch
 * instead of waiting for each other.
 */
class BlockShape {
  readonly signature: Signature;
  /** The byte views of the last call's arrays (see {@link ByteViewMemo}). */
  readonly sendBytes = new ByteViewMemo();
  readonly recvBytes = new ByteViewMemo();

  /** @param agreed - what every rank must agree on (see {@link signature}) */
  constructor(code: CodeValue, readonly root: number, readonly block: number, agreed: readonly number[],
    readonly plan: BlockCopy, describe: () => string) {
    this.signature = signature(code, root, [-1, ...agreed], describe);
  }
}

/**
 * The shape of a uniform all-to-all through the shared area, `bytes` from
 * each rank, its blocks in a contribution block or (`byReference`) where
 * they lie. Its signature differs from that of the same call over messages
 * (`alltoallv`) and on the other path, so that ranks which take different
 * paths fail with a mismatch instead of waiting for each other.
 */
class AlltoallShape {
  readonly signature: Signature;
  /** The byte views of the last call's arrays (see {@link ByteViewMemo}). */
  readonly sendBytes = new ByteViewMemo();
  readonly recvBytes = new ByteViewMemo();

  /** @param byReference - whether the blocks go by reference (more than a contribution block holds) */
  constructor(readonly bytes: number, readonly byReference: boolean) {
    this.signature = signature(Code.Alltoall, -1, [byReference ? 2 : 1], () => `Alltoall(${bytes} bytes from this rank)`);
  }
}

/** {@link smallAlltoall} of blocks that lie end to end (the slow path of {@link fastSmallAlltoall}). */
function smallAlltoallBlocks(call: Call, area: SharedArea, send: Uint8Array | undefined, recv: Uint8Array,
  block: number): Algorithm<void> {
  return smallAlltoall(call, area, send, undefined, recv, undefined, block);
}

/** {@link referenceAlltoall} of blocks that lie end to end (the slow path of {@link fastReferenceAlltoall}). */
function referenceAlltoallBlocks(call: Call, area: SharedArea, send: Uint8Array | undefined, recv: Uint8Array,
  block: number): Algorithm<void> {
  return referenceAlltoall(call, area, send, undefined, recv, undefined, block);
}

/** {@link Collectives} over the point-to-point of a collective-context endpoint. */
export class PointToPointCollectives implements Collectives {
  private readonly sequencer: Sequencer;
  /** The shapes of the last calls of each kind that has one, for the next alike. */
  private lastBcast: BcastShape | undefined;
  private lastAllreduce: ReductionShape | undefined;
  private lastReferenceAllreduce: ReductionShape<ReferenceReduction> | undefined;
  private lastReduce: ReductionShape | undefined;
  private lastScan: ReductionShape<ScanChain> | undefined;
  private lastReduceScatter: ReductionShape | undefined;
  private lastAllgather: BlockShape | undefined;
  private lastGather: BlockShape | undefined;
  private lastScatter: BlockShape | undefined;
  /** The block lengths of {@link lastReduceScatter}. */
  private reduceScatterCounts: readonly number[] = [];
  private lastAlltoall: AlltoallShape | undefined;
  private lastReferenceAlltoall: AlltoallShape | undefined;
  private readonly messageBarrier: (call: Call) => Detour | Error | undefined;
  private readonly flagPaths: {
    readonly fast: (call: Call) => Detour | Error | undefined;
    readonly rest: (call: Call) => Algorithm<void>;
    readonly first: (call: Call) => Algorithm<void>;
  } | undefined;

  /**
   * @param scratchPool - scratch memory of the calls
   * @param sharedArea - words in shared memory for the barrier and small collectives, when the transport has them
   */
  constructor(readonly channel: PointToPoint, scratchPool: ScratchPool, readonly sharedArea?: SharedArea) {
    this.sequencer = sequencerOf(channel, scratchPool);
    this.messageBarrier = (call) => fastBarrier(call, sharedArea);
    if (sharedArea !== undefined) {
      const counter = countsArrivals(sharedArea);
      this.flagPaths = {
        fast: counter ? (call) => fastCounterBarrier(call, sharedArea) : (call) => fastFlagBarrier(call, sharedArea),
        rest: counter ? (call) => counterBarrier(call, sharedArea) : (call) => flagBarrier(call, sharedArea),
        first: (call) => firstBarrier(call, sharedArea),
      };
    }
  }

  settled(): Promise<void> | undefined {
    return this.sequencer.idle();
  }

  barrier(): Promise<void> {
    const mode = this.sharedArea?.mode ?? 'messages';
    if (mode === 'messages') {
      return this.sequencer.startFast(BARRIER, this.messageBarrier, barrier, undefined, undefined, undefined, undefined);
    }
    const paths = this.flagPaths!;
    if (mode === 'shared') return this.sequencer.startFast(BARRIER, paths.fast, paths.rest, undefined, undefined, undefined, undefined);
    return this.sequencer.start(BARRIER, paths.first).result();
  }

  bcast(buf: Uint8Array, root: number): Promise<void> {
    return this.bcastWith(this.bcastShape(root, buf.byteLength).signature, buf, root);
  }

  /** {@link bcast} of a typed array. */
  bcastOf(array: TypedArray, root: number): Promise<void> {
    const shape = this.bcastShape(root, array.byteLength);
    return this.bcastWith(shape.signature, shape.bufBytes.of(array, array.byteLength), root);
  }

  /** The shape of a Bcast: the last one's when the same. */
  private bcastShape(root: number, bytes: number): BcastShape {
    let shape = this.lastBcast;
    if (shape === undefined || shape.root !== root || shape.bytes !== bytes) this.lastBcast = shape = new BcastShape(root, bytes);
    return shape;
  }

  private bcastWith(sig: Signature, buf: Uint8Array, root: number): Promise<void> {
    const bytes = buf.byteLength;
    const area = this.sharedArea;
    const small = area !== undefined && bytes > 0 && bytes <= area.contributionBytes;
    // Read at every call: read only past a `small ||`, its first read (the first long Bcast) deoptimized this function.
    const byReference = bytes <= tuning.bcastReferenceBytes;
    // The fast paths return at the end (see docs/ARCHITECTURE.md, "Code shaped for V8's tier-up").
    return area !== undefined && area.mode === 'shared' && (small || byReference)
      ? this.sequencer.startFast(sig, small ? fastSmallBcast : fastReferenceBcast, small ? smallBcast : referenceBcast, area, buf,
        root, undefined)
      : this.bcastRun(sig, buf, root, small);
  }

  /** {@link bcastWith} on an area not attached yet, or without one: as a run of the algorithm. */
  private bcastRun(sig: Signature, buf: Uint8Array, root: number, small: boolean): Promise<void> {
    const area = this.sharedArea;
    if (area !== undefined && small) return this.sequencer.start(sig, (c) => smallBcast(c, area, buf, root)).result();
    if (area !== undefined && buf.byteLength <= tuning.bcastReferenceBytes) {
      return this.sequencer.start(sig, (c) => referenceBcast(c, area, buf, root)).result();
    }
    return this.sequencer.start(sig, (c) => bcast(c, buf, root)).result();
  }

  gatherv(send: Bytes | undefined, recv: Bytes | undefined, counts: readonly number[] | undefined,
    displs: readonly number[] | undefined, root: number): Promise<void> {
    // The description is an argument, not a named constant: the bundle gives a named closure an
    // Object.defineProperty of its name each time it is made (`keepNames`), here once per call.
    const atRoot = this.channel.rank === root;
    const sig = signature(Code.Gather, root, [], () => (atRoot ? `Gather(root=${root}, ${sum(counts!)} bytes in all)`
      : `Gather(root=${root}, ${send!.byteLength} bytes from this rank)`));
    return this.sequencer.start(sig, (c) => gatherv(c, send, recv, counts, displs, root)).result();
  }

  scatterv(send: Bytes | undefined, counts: readonly number[] | undefined, displs: readonly number[] | undefined,
    recv: Bytes | undefined, root: number): Promise<void> {
    const atRoot = this.channel.rank === root;
    const sig = signature(Code.Scatter, root, [], () => (atRoot ? `Scatter(root=${root}, ${sum(counts!)} bytes in all)`
      : `Scatter(root=${root}, ${recv!.byteLength} bytes to this rank)`));
    return this.sequencer.start(sig, (c) => scatterv(c, send, counts, displs, recv, root)).result();
  }

  allgatherv(send: Uint8Array | undefined, recv: Uint8Array, counts: readonly number[],
    displs: readonly number[]): Promise<void> {
    const sig = signature(Code.Allgather, -1, counts, () => `Allgather(${sum(counts)} bytes in all)`);
    return this.sequencer.start(sig, (c) => allgatherv(c, send, recv, counts, displs)).result();
  }

  alltoallv(send: Bytes | undefined, sendCounts: readonly number[], sendDispls: readonly number[],
    recv: Bytes, recvCounts: readonly number[], recvDispls: readonly number[]): Promise<void> {
    const sig = signature(Code.Alltoall, -1, [],
      () => `Alltoall(${sum(send === undefined ? recvCounts : sendCounts)} bytes from this rank)`);
    return this.sequencer.start(sig, (c) => alltoallv(c, send, sendCounts, sendDispls, recv, recvCounts, recvDispls)).result();
  }

  /**
   * Whether a uniform all-to-all of `block`-byte blocks runs on the shared
   * area ({@link sharedAlltoall}): the communicator has one, and all of a
   * rank's blocks fit a contribution block ({@link smallAlltoall}) or, by
   * reference, `tuning.alltoallReferenceBytes` ({@link referenceAlltoall}).
   * Every rank of a correct program decides alike; one whose blocks differ
   * in length may decide otherwise, and its calls then carry another tag (a
   * mismatch error, not a hang).
   */
  fitsSharedAlltoall(block: number): boolean {
    const area = this.sharedArea;
    const bytes = block * this.channel.size;
    // Read at every call, as in bcastWith.
    const byReference = bytes <= tuning.alltoallReferenceBytes;
    return area !== undefined && block > 0 && (bytes <= area.contributionBytes || byReference);
  }

  /**
   * A uniform all-to-all of `block`-byte blocks that {@link fitsSharedAlltoall}
   * (`alltoall.ts`): its blocks in contribution blocks when they fit one,
   * else by reference. `send` undefined: in place; displacements in bytes,
   * undefined where the blocks lie end to end.
   */
  sharedAlltoall(send: Uint8Array | undefined, sendDispls: readonly number[] | undefined, recv: Uint8Array,
    recvDispls: readonly number[] | undefined, block: number): Promise<void> {
    return this.runSharedAlltoall(this.alltoallShape(block), send, sendDispls, recv, recvDispls, block);
  }

  /** {@link sharedAlltoall} of typed arrays whose blocks lie end to end; `send` undefined: in place. */
  sharedAlltoallOf(send: TypedArray | undefined, recv: TypedArray, block: number): Promise<void> {
    const shape = this.alltoallShape(block);
    return this.runSharedAlltoall(shape, send === undefined ? undefined : shape.sendBytes.of(send, send.byteLength),
      undefined, shape.recvBytes.of(recv, recv.byteLength), undefined, block);
  }

  /** {@link sharedAlltoall} with its shape found (the typed-array entry has looked it up for its byte views). */
  private runSharedAlltoall(shape: AlltoallShape, send: Uint8Array | undefined, sendDispls: readonly number[] | undefined,
    recv: Uint8Array, recvDispls: readonly number[] | undefined, block: number): Promise<void> {
    const area = this.sharedArea!;
    const byReference = shape.byReference;
    // The fast paths return at the end (see docs/ARCHITECTURE.md, "Code shaped for V8's tier-up").
    return area.mode === 'shared' && sendDispls === undefined && recvDispls === undefined
      ? this.sequencer.startFast(shape.signature, byReference ? fastReferenceAlltoall : fastSmallAlltoall,
        byReference ? referenceAlltoallBlocks : smallAlltoallBlocks, area, send, recv, block)
      : this.alltoallRun(shape, send, sendDispls, recv, recvDispls, block);
  }

  /** {@link runSharedAlltoall} on an area not attached yet, or with displacements: as a run of the algorithm. */
  private alltoallRun(shape: AlltoallShape, send: Uint8Array | undefined, sendDispls: readonly number[] | undefined,
    recv: Uint8Array, recvDispls: readonly number[] | undefined, block: number): Promise<void> {
    const area = this.sharedArea!;
    const algorithm = shape.byReference ? referenceAlltoall : smallAlltoall;
    return this.sequencer.start(shape.signature, (c) => algorithm(c, area, send, sendDispls, recv, recvDispls, block)).result();
  }

  /** The shape of an Alltoall of `block`-byte blocks on the shared area: the last one's when the same. */
  private alltoallShape(block: number): AlltoallShape {
    // More than a contribution block holds: by reference.
    const byReference = block * this.channel.size > this.sharedArea!.contributionBytes;
    let shape = byReference ? this.lastReferenceAlltoall : this.lastAlltoall;
    if (shape === undefined || shape.bytes !== block * this.channel.size) {
      shape = new AlltoallShape(block * this.channel.size, byReference);
      if (byReference) this.lastReferenceAlltoall = shape;
      else this.lastAlltoall = shape;
    }
    return shape;
  }

  /**
   * Whether a uniform `Allgather` (`kind` 'all'), `Gather` or `Scatter` of
   * `block`-byte blocks runs on the shared area: what a rank contributes
   * fits (a block; all of them from a scatter's root). With more ranks than
   * cores too: in loops of 20,000 calls of 8-byte blocks on 2 cores, a
   * Gather took 8.2-8.5 us a call against 8.8-9.3 over messages at 4 ranks
   * (14.5-15 against 22-25 at 8), a Scatter 8.3-10 against 12-14 (16-19
   * against 27-29). Every rank of a correct program decides alike.
   */
  fitsSmallGather(kind: 'all' | 'gather' | 'scatter', block: number): boolean {
    return fitsShortExchange(this.sharedArea, kind === 'scatter' ? block * this.channel.size : block);
  }

  /** An `Allgather` of `block`-byte blocks end to end in `recv` that {@link fitsSmallGather}; `send` undefined: in place. */
  smallAllgather(send: TypedArray | undefined, recv: TypedArray, block: number): Promise<void> {
    let shape = this.lastAllgather;
    if (shape === undefined || shape.block !== block) this.lastAllgather = shape = this.allgatherShape(block);
    return this.runExchange(shape.signature, shape.plan, send === undefined ? undefined : shape.sendBytes.of(send, block),
      shape.recvBytes.of(recv, block * this.channel.size));
  }

  /**
   * A `Gather` of `block`-byte blocks to `root` that {@link fitsSmallGather}:
   * `recv` at the root (blocks end to end), undefined elsewhere; `send`
   * undefined at the root: in place.
   */
  smallGather(send: TypedArray | undefined, recv: TypedArray | undefined, block: number, root: number): Promise<void> {
    let shape = this.lastGather;
    if (shape === undefined || shape.block !== block || shape.root !== root) this.lastGather = shape = this.gatherShape(block, root);
    return this.runToRoot(shape.signature, shape.plan, send === undefined ? undefined : shape.sendBytes.of(send, block),
      recv === undefined ? undefined : shape.recvBytes.of(recv, block * this.channel.size), root);
  }

  /**
   * A `Scatter` of `block`-byte blocks from `root` that {@link fitsSmallGather}:
   * `send` at the root (blocks end to end), undefined elsewhere; `recv`
   * undefined at the root: in place.
   */
  smallScatter(send: TypedArray | undefined, recv: TypedArray | undefined, block: number, root: number): Promise<void> {
    let shape = this.lastScatter;
    if (shape === undefined || shape.block !== block || shape.root !== root) this.lastScatter = shape = this.scatterShape(block, root);
    const sendBytes = send === undefined ? undefined : shape.sendBytes.of(send, block * this.channel.size);
    const recvBytes = recv === undefined ? undefined : shape.recvBytes.of(recv, block);
    return this.runFromRoot(shape.signature, shape.plan, sendBytes, recvBytes, root);
  }

  // The shapes are made in methods of their own: their closures would cost the hot callers a context per call
  // (docs/ARCHITECTURE.md, "Allocation per call").

  private allgatherShape(block: number): BlockShape {
    const { rank, size } = this.channel;
    const { counts, displs } = this.endToEnd(block);
    return new BlockShape(Code.Allgather, -1, block, [block],
      new BlockCopy(this.sharedArea!, 0, size, 0, block, block, rank * block, block, 'this rank',
        (c, s, r) => allgatherv(c, s, r!, counts, displs)),
      () => `Allgather(${block * size} bytes in all)`);
  }

  private gatherShape(block: number, root: number): BlockShape {
    const { rank, size } = this.channel;
    const atRoot = rank === root;
    const { counts, displs } = this.rootBlocks(root, block);
    return new BlockShape(Code.Gather, root, block, [],
      new BlockCopy(this.sharedArea!, 0, atRoot ? size : 0, 0, block, block, rank * block, block, 'the root',
        (c, s, r) => gatherv(c, s, r, counts, displs, root)),
      () => atRoot ? `Gather(root=${root}, ${block * size} bytes in all)` : `Gather(root=${root}, ${block} bytes from this rank)`);
  }

  private scatterShape(block: number, root: number): BlockShape {
    const { rank, size } = this.channel;
    const atRoot = rank === root;
    const { counts, displs } = this.rootBlocks(root, block);
    // Only the root sends; every rank takes its block of the root's contribution.
    return new BlockShape(Code.Scatter, root, block, [],
      new BlockCopy(this.sharedArea!, root, root + 1, rank * block, block, block * size, 0, 0, 'this rank',
        (c, s, r) => scatterv(c, s, counts, displs, r, root)),
      () => atRoot ? `Scatter(root=${root}, ${block * size} bytes in all)` : `Scatter(root=${root}, ${block} bytes to this rank)`);
  }

  /** The counts and displacements of `block`-byte blocks end to end, as the message algorithms take them. */
  private endToEnd(block: number): { counts: number[]; displs: number[] } {
    const counts = new Array<number>(this.channel.size).fill(block);
    return { counts, displs: counts.map((_, k) => k * block) };
  }

  /** {@link endToEnd} at the root, nothing elsewhere, as Gatherv and Scatterv take them. */
  private rootBlocks(root: number, block: number): { counts: number[] | undefined; displs: number[] | undefined } {
    return this.channel.rank === root ? this.endToEnd(block) : { counts: undefined, displs: undefined };
  }

  reduce(send: TypedArray | undefined, recv: TypedArray | undefined, count: number, datatype: Datatype, op: Op,
    root: number): Promise<void> {
    const bytes = count * datatype.size;
    const area = this.shortReductionArea(bytes, op);
    if (area === undefined) return this.messageReduce(send, recv, count, datatype, op, root);
    let last = this.lastReduce;
    if (last === undefined || !last.matches(count, datatype, op, root)) {
      this.lastReduce = last = this.reduceShape(area, count, datatype, op, root);
    }
    return this.runShortReduction(last, send, this.channel.rank === root ? recv : undefined, bytes, root);
  }

  private reduceShape(area: SharedArea, count: number, datatype: Datatype, op: Op, root: number): ReductionShape {
    const bytes = count * datatype.size;
    const reduction = new Reduction(op, datatype);
    const folds = this.channel.rank === root ? this.channel.size : 0;
    return new ReductionShape(Code.Reduce, root, count, datatype, op, [bytes, datatype.code, opCode(op)],
      new SmallReduction(area, reduction, 0, folds, 0, bytes, (c, s, r) => reduce(c, reduction, s, r, bytes, root)),
      () => `Reduce(root=${root}, ${count} × ${datatype.name}, ${op.name})`);
  }

  /** A Reduce by a user op or of more than a short reduction takes: by messages. */
  private messageReduce(send: TypedArray | undefined, recv: TypedArray | undefined, count: number, datatype: Datatype,
    op: Op, root: number): Promise<void> {
    const bytes = count * datatype.size;
    const sig = signature(Code.Reduce, root, [bytes, datatype.code, opCode(op)],
      () => `Reduce(root=${root}, ${count} × ${datatype.name}, ${op.name})`);
    return this.sequencer.start(sig, withOp(op, datatype, (c, reduction) => reduce(c, reduction, part(send, bytes),
      this.channel.rank === root ? part(recv, bytes) : undefined, bytes, root))).result();
  }

  allreduce(send: TypedArray | undefined, recv: TypedArray, count: number, datatype: Datatype, op: Op): Promise<void> {
    const bytes = count * datatype.size;
    const area = this.shortReductionArea(bytes, op);
    // One return, at the end, each way in a call of its own (see docs/ARCHITECTURE.md, "Code shaped for V8's tier-up").
    return area !== undefined ? this.shortAllreduce(area, send, recv, count, datatype, op)
      : this.longerAllreduce(send, recv, count, datatype, op);
  }

  /** An Allreduce of up to a contribution block on the shared area, by a predefined op. */
  private shortAllreduce(area: SharedArea, send: TypedArray | undefined, recv: TypedArray, count: number,
    datatype: Datatype, op: Op): Promise<void> {
    const bytes = count * datatype.size;
    let last = this.lastAllreduce;
    if (last === undefined || !last.matches(count, datatype, op, -1)) {
      this.lastAllreduce = last = this.allreduceShape(area, count, datatype, op);
    }
    return this.runShortReduction(last, send, recv, bytes);
  }

  private allreduceShape(area: SharedArea, count: number, datatype: Datatype, op: Op): ReductionShape {
    const bytes = count * datatype.size;
    const reduction = new Reduction(op, datatype);
    return new ReductionShape(Code.Allreduce, -1, count, datatype, op, [bytes, datatype.code, opCode(op)],
      new SmallReduction(area, reduction, 0, this.channel.size, 0, bytes, (c, s, r) => allreduce(c, reduction, s, r!)),
      () => `Allreduce(${count} × ${datatype.name}, ${op.name})`);
  }

  /** Any other Allreduce: by reference on the shared area, by a user op on it, or by messages. */
  private longerAllreduce(send: TypedArray | undefined, recv: TypedArray, count: number, datatype: Datatype,
    op: Op): Promise<void> {
    const bytes = count * datatype.size;
    const shared = this.sharedArea;
    const size = this.channel.size;
    const byReference = shared !== undefined && op.predefined !== undefined && bytes > shared.contributionBytes &&
      bytes <= tuning.allreduceReferenceBytes;
    // What the job folds more in one exchange than in two; with ranks above cores, the cores share all of it.
    const excess = bytes * (size - 1) ** 2;
    const sliced = byReference && count >= size &&
      excess >= (shared.oversubscribed ? tuning.allreduceSlicedOversubscribedBytes : tuning.allreduceSlicedBytes);
    // One return, at the end (see docs/ARCHITECTURE.md, "Code shaped for V8's tier-up").
    return byReference ? this.referenceAllreduce(shared, send, recv, count, datatype, op, sliced)
      : this.unsharedAllreduce(send, recv, count, datatype, op);
  }

  /** An Allreduce by a user op on the shared area, or by messages. */
  private unsharedAllreduce(send: TypedArray | undefined, recv: TypedArray, count: number, datatype: Datatype,
    op: Op): Promise<void> {
    const bytes = count * datatype.size;
    const shared = this.sharedArea;
    const sig = signature(Code.Allreduce, -1, [bytes, datatype.code, opCode(op)],
      () => `Allreduce(${count} × ${datatype.name}, ${op.name})`);
    if (shared !== undefined && fitsShortExchange(shared, bytes)) {
      // A user op: the exchange on the area, guarded so that an op that throws fails the call on every rank.
      return this.sequencer.start(sig, withOp(op, datatype, (c, reduction) => smallExchange(c,
        new SmallReduction(shared, reduction, 0, c.size, 0, bytes, (c2, s, r) => allreduce(c2, reduction, s, r!)),
        part(send, bytes), part(recv, bytes)))).result();
    }
    return this.sequencer.start(sig, withOp(op, datatype,
      (c, reduction) => allreduce(c, reduction, part(send, bytes), part(recv, bytes)!))).result();
  }

  /**
   * An Allreduce of more than a contribution block on the shared area, in one exchange by reference
   * ({@link referenceAllreduce}) or, `sliced`, in two ({@link slicedReferenceAllreduce}); `send` undefined: in place.
   */
  private referenceAllreduce(area: SharedArea, send: TypedArray | undefined, recv: TypedArray, count: number,
    datatype: Datatype, op: Op, sliced: boolean): Promise<void> {
    const last = this.referenceShape(count, datatype, op);
    const bytes = count * datatype.size;
    const sendBytes = send === undefined ? undefined : last.sendBytes.of(send, bytes);
    const recvBytes = last.recvBytes.of(recv, bytes);
    const plan = last.plan;
    const fast = sliced ? fastSlicedAllreduce : fastReferenceAllreduce;
    const algorithm = sliced ? slicedReferenceAllreduce : referenceAllreduce;
    return area.mode === 'shared'
      ? this.sequencer.startFast(last.signature, fast, algorithm, area, plan, sendBytes, recvBytes)
      : this.sequencer.start(last.signature, (c) => algorithm(c, area, plan, sendBytes, recvBytes)).result();
  }

  /** The shape of the last Allreduce by reference, made again when this one's differs. */
  private referenceShape(count: number, datatype: Datatype, op: Op): ReductionShape<ReferenceReduction> {
    const last = this.lastReferenceAllreduce;
    if (last !== undefined && last.matches(count, datatype, op, -1)) return last;
    return this.lastReferenceAllreduce = new ReductionShape(Code.Allreduce, -1, count, datatype, op,
      [count * datatype.size, datatype.code, opCode(op)], new ReferenceReduction(new Reduction(op, datatype)),
      () => `Allreduce(${count} × ${datatype.name}, ${op.name})`);
  }

  reduceScatter(send: TypedArray | undefined, recv: TypedArray, counts: readonly number[], datatype: Datatype,
    op: Op): Promise<void> {
    const total = sum(counts);
    const { rank } = this.channel;
    const area = send === undefined ? undefined : this.shortReductionArea(total * datatype.size, op);
    if (area !== undefined) {
      let last = this.lastReduceScatter;
      if (last === undefined || !last.matches(total, datatype, op, -1) || !sameCounts(this.reduceScatterCounts, counts)) {
        const reduction = new Reduction(op, datatype);
        const blocks = counts.slice();
        this.reduceScatterCounts = blocks;
        const offsets = packedBlocks(blocks, datatype.size);
        this.lastReduceScatter = last = new ReductionShape(Code.Reduce_scatter, -1, total, datatype, op,
          [...counts, datatype.code, opCode(op)],
          new SmallReduction(area, reduction, 0, this.channel.size, offsets[rank]!, offsets[rank + 1]! - offsets[rank]!,
            (c, s, r) => reduceScatter(c, reduction, s, r!, blocks)),
          () => `Reduce_scatter(${total} × ${datatype.name} in all, ${op.name})`);
      }
      return this.runShortReduction(last, send, recv, last.plan.bytes);
    }
    const sig = signature(Code.Reduce_scatter, -1, [...counts, datatype.code, opCode(op)],
      () => `Reduce_scatter(${total} × ${datatype.name} in all, ${op.name})`);
    return this.sequencer.start(sig, withOp(op, datatype, (c, reduction) => reduceScatter(c, reduction,
      part(send, total * datatype.size), bytesOf(recv), counts))).result();
  }

  scan(send: TypedArray | undefined, recv: TypedArray, count: number, datatype: Datatype, op: Op,
    exclusive: boolean): Promise<void> {
    const code = exclusive ? Code.Exscan : Code.Scan;
    const bytes = count * datatype.size;
    const area = this.shortReductionArea(bytes, op);
    if (area === undefined) return this.messageScan(send, recv, count, datatype, op, exclusive);
    let last = this.lastScan;
    if (last === undefined || last.code !== code || !last.matches(count, datatype, op, -1)) {
      this.lastScan = last = this.scanShape(area, count, datatype, op, exclusive);
    }
    const sendBytes = send === undefined ? undefined : last.sendBytes.of(send, bytes);
    const recvBytes = last.recvBytes.of(recv, bytes);
    return area.mode === 'shared'
      ? this.sequencer.startFast(last.signature, fastChainScan, chainScan, last.plan, sendBytes, recvBytes, undefined)
      : this.sequencer.startWith(last.signature, chainScan, last.plan, sendBytes, recvBytes, undefined);
  }

  private scanShape(area: SharedArea, count: number, datatype: Datatype, op: Op,
    exclusive: boolean): ReductionShape<ScanChain> {
    const bytes = count * datatype.size;
    const reduction = new Reduction(op, datatype);
    return new ReductionShape(exclusive ? Code.Exscan : Code.Scan, -1, count, datatype, op,
      [bytes, datatype.code, opCode(op)],
      new ScanChain(area, reduction, bytes, exclusive, (c, s, r) => scan(c, reduction, s, r, exclusive)),
      () => `${exclusive ? 'Exscan' : 'Scan'}(${count} × ${datatype.name}, ${op.name})`);
  }

  /** A Scan or Exscan by a user op or of more than a short reduction takes: by messages. */
  private messageScan(send: TypedArray | undefined, recv: TypedArray, count: number, datatype: Datatype, op: Op,
    exclusive: boolean): Promise<void> {
    const bytes = count * datatype.size;
    const sig = signature(exclusive ? Code.Exscan : Code.Scan, -1, [bytes, datatype.code, opCode(op)],
      () => `${exclusive ? 'Exscan' : 'Scan'}(${count} × ${datatype.name}, ${op.name})`);
    return this.sequencer.start(sig, withOp(op, datatype,
      (c, reduction) => scan(c, reduction, part(send, bytes), part(recv, bytes)!, exclusive))).result();
  }

  /**
   * The shared area when a reduction of `bytes` per rank with `op` takes it
   * ({@link SmallReduction}): the vector is short ({@link fitsShortExchange})
   * and the op predefined (it cannot throw, so no agreement on its outcome
   * is needed). Every rank of a correct program decides alike.
   */
  private shortReductionArea(bytes: number, op: Op): SharedArea | undefined {
    return op.predefined !== undefined && fitsShortExchange(this.sharedArea, bytes) ? this.sharedArea : undefined;
  }

  /** Runs a short reduction: synchronously as far as it goes on an attached area, else as an algorithm. */
  private runShortReduction(shape: ReductionShape, send: TypedArray | undefined, recv: TypedArray | undefined,
    recvBytes: number, root?: number): Promise<void> {
    const sendBytes = send === undefined ? undefined : shape.sendBytes.of(send, shape.count * shape.datatype.size);
    const recvView = recv === undefined ? undefined : shape.recvBytes.of(recv, recvBytes);
    if (root !== undefined) return this.runToRoot(shape.signature, shape.plan, sendBytes, recvView, root);
    return this.runExchange(shape.signature, shape.plan, sendBytes, recvView);
  }

  /** Runs a short collective on the shared area: synchronously as far as it goes once attached, else as an algorithm. */
  private runExchange(sig: Signature, plan: ExchangePlan, send: Uint8Array | undefined, recv: Uint8Array | undefined): Promise<void> {
    return plan.area.mode === 'shared'
      ? this.sequencer.startFast(sig, fastSmallExchange, smallExchange, plan, send, recv, undefined)
      : this.sequencer.startWith(sig, smallExchange, plan, send, recv, undefined);
  }

  /** A short collective to `root` on the shared area (see {@link smallToRoot}). */
  private runToRoot(sig: Signature, plan: ExchangePlan, send: Uint8Array | undefined, recv: Uint8Array | undefined,
    root: number): Promise<void> {
    return plan.area.mode === 'shared' ? this.sequencer.startFast(sig, fastSmallToRoot, smallToRoot, plan, send, recv, root)
      : this.sequencer.startWith(sig, smallToRoot, plan, send, recv, root);
  }

  /** A short collective from `root` on the shared area (see {@link smallFromRoot}). */
  private runFromRoot(sig: Signature, plan: BlockCopy, send: Uint8Array | undefined, recv: Uint8Array | undefined,
    root: number): Promise<void> {
    return plan.area.mode === 'shared' ? this.sequencer.startFast(sig, fastSmallFromRoot, smallFromRoot, plan, send, recv, root)
      : this.sequencer.startWith(sig, smallFromRoot, plan, send, recv, root);
  }
}

/** Whether a short collective that contributes `bytes` per rank runs on `area` (see `tuning.shortExchangeBytes`). */
function fitsShortExchange(area: SharedArea | undefined, bytes: number): area is SharedArea {
  return area !== undefined && bytes > 0 && bytes <= Math.min(tuning.shortExchangeBytes, area.contributionBytes);
}

/** Whether two lists of counts are the same. */
function sameCounts(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The algorithm of a reduction over `op`: with a user op, guarded so that an
 * op that throws fails the call on every rank and leaves the communicator
 * usable (`user_op.ts`).
 */
function withOp(op: Op, datatype: Datatype,
  algorithm: (call: Call, reduction: Reduction) => Algorithm<void>): (call: Call) => Algorithm<void> {
  if (op.predefined !== undefined) {
    const reduction = new Reduction(op, datatype);
    return (call) => algorithm(call, reduction);
  }
  return (call) => {
    const reduction = new GuardedReduction(op, datatype);
    return agreeOnOp(call, reduction, algorithm(call, reduction));
  };
}

/**
 * The byte view of the typed array seen last, made again only for another
 * array or length: a loop passes the same arrays again, and a view made per
 * call is garbage. It keeps that array alive until the next one.
 */
class ByteViewMemo {
  private view: TypedArray | undefined = undefined;
  private bytes: Uint8Array = new Uint8Array(0);

  /** The first `length` bytes of `view`. */
  of(view: TypedArray, length: number): Uint8Array {
    if (view !== this.view || this.bytes.byteLength !== length) {
      this.bytes = part(view, length)!;
      this.view = view;
    }
    return this.bytes;
  }
}

/** The first `bytes` bytes of a typed array. */
function part(view: TypedArray | undefined, bytes: number): Uint8Array | undefined {
  if (view === undefined) return undefined;
  if (view instanceof Uint8Array && view.byteLength === bytes) return view;
  return new Uint8Array(view.buffer, view.byteOffset, bytes);
}

/**
 * The gathers, scatters and all-to-alls of blocks of any length (segmented
 * bytes past the longest byte view), on the algorithms above over a
 * collective channel: one point-to-point message per block wherever a block
 * is long, so that no rank needs to know more than its own blocks.
 */
export interface BlockCollectives {
  gatherv(send: Bytes | undefined, recv: Bytes | undefined, counts: readonly number[] | undefined,
    displs: readonly number[] | undefined, root: number): Promise<void>;
  scatterv(send: Bytes | undefined, counts: readonly number[] | undefined, displs: readonly number[] | undefined,
    recv: Bytes | undefined, root: number): Promise<void>;
  alltoallv(send: Bytes | undefined, sendCounts: readonly number[], sendDispls: readonly number[],
    recv: Bytes, recvCounts: readonly number[], recvDispls: readonly number[]): Promise<void>;
}

const blockCollectives = new WeakMap<Collectives, PointToPointCollectives>();

/**
 * Where the v-forms of gather, scatter and all-to-all of a communicator run
 * when a buffer may be past what one call takes. `own` true: these are the
 * transport's own collectives (shm), so a rank may take them for its long
 * buffers alone, the messages being the same; false (the mpi transport's
 * collectives are MPI's, whose counts are C ints): every rank must take them
 * for every such call, since no rank knows the others' blocks.
 */
export function blockCollectivesOf(collectives: Collectives, scratchPool: ScratchPool): { blocks: BlockCollectives; own: boolean } {
  if (collectives instanceof PointToPointCollectives) return { blocks: collectives, own: true };
  let made = blockCollectives.get(collectives);
  if (made === undefined) blockCollectives.set(collectives, made = new PointToPointCollectives(collectives.channel, scratchPool));
  return { blocks: made, own: false };
}
