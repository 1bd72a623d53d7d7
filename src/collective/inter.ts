/**
 * Intercommunicator collectives, built on point-to-point across the two
 * groups and within each, whatever the transport.
 *
 * MPI-4.1 §6.2.2 (collectives over an intercommunicator: the root group
 * passes `MPI.ROOT` at the root and `MPI.PROC_NULL` elsewhere, the other
 * group passes the root's rank), §6.3 to §6.10.2 for each call, §6.14
 * (correctness: the same collectives in the same order).
 *
 * Data movement (gathers, scatters, all-to-all) goes straight between the
 * ranks concerned; a broadcast crosses once, to the other group's leader
 * (local rank 0), then fans out; reductions reduce within the contributing
 * group to its leader (in rank order, so non-commutative ops hold), then
 * cross. Every call runs in the intercommunicator's {@link Sequencer}, like
 * the intracommunicator collectives: messages across carry the call's
 * signature, so two groups that call different collectives get an error
 * naming both, and a rank that waits for a remote rank in another call
 * learns so (`Call.stalled`). The steps within a group run on the
 * intercommunicator's `localChannel` with the same tag; their waits name no
 * remote rank (see {@link withinGroup}).
 *
 * The API layer (`api/intercomm.ts`) has parsed and checked the arguments.
 * A message across of another length than its block, shorter or longer, is
 * `ERR_COUNT` naming the remote rank (the groups disagree on counts, which no
 * signature of the receiving side can know).
 *
 * Where a group waits for its leader after the leader's exchange across (the
 * fan-out of a `Bcast`, `Allreduce`, `Reduce_scatter` or object `bcast`, the
 * end of a `Barrier`), the leader first broadcasts how that exchange went
 * ({@link leaderThenGroup}): when it failed, every rank of the group fails
 * with the leader's error class, instead of waiting for data that never
 * comes.
 *
 * Buffers may be longer than the longest byte view (segmented bytes, Node
 * 20): a block across is one point-to-point message of any length, and the
 * steps within a group (the broadcast of a `Bcast` or `Allreduce` result,
 * the reduction to the leader) run piece by piece, {@link ROUND_BYTES} at a
 * time, inside the one call.
 *
 * The nonblocking forms (`Ibcast`, `Iallreduce`, ... in `api/intercomm.ts`)
 * run these same calls: every call here gives a Promise, which their
 * `Request` holds.
 *
 * Unfinished: members of one group that disagree on counts among themselves
 * can still wait forever in the reduction to their leader (the leader has
 * nothing to tell them).
 *
 * @module
 */

import { allocateBytes, type Bytes, singleView, sliceBytes } from '../buffer.js';
import { decode, encode } from '../codec/index.js';
import { ErrorClass, type ErrorClassCode, errors, MPIError } from '../errors.js';
import type { Op } from '../op/op.js';
import { Reduction } from '../op/reduction.js';
import type { Datatype } from '../datatype/index.js';
import type { InterEndpoint, Operation } from '../transport/transport.js';
import { barrier } from './barrier.js';
import { bcast } from './broadcast.js';
import { Call, WrappedOperation } from './call.js';
import { scatterv } from './gather.js';
import { reduce } from './reduce.js';
import { ROUND_BYTES } from './segmented.js';
import { type Algorithm, type Sequencer, type Waitable, sequencerOf } from './run.js';
import type { ScratchPool } from './scratch.js';
import { Code, type CodeValue, opCode, signature } from './signature.js';
import { absolute, childrenOf, parentOf, relative } from './tree.js';

/**
 * This rank's part in a rooted intercommunicator collective: the root
 * (`MPI.ROOT`), another rank of the root's group (`MPI.PROC_NULL`), or a rank
 * of the other group, which names the root's rank in the remote group.
 */
export type InterRole = { readonly kind: 'root' } | { readonly kind: 'idle' } | { readonly kind: 'receiver'; readonly root: number };

const ANY_TAG = -1;
const EMPTY = new Uint8Array(0);

/** A wait within the local group: the same operation, without the awaited rank, which would name a remote rank. */
class LocalStep extends WrappedOperation {}

/**
 * Runs steps within the local group inside an intercommunicator call. The
 * call's stall check looks at the remote rank an operation waits for; a
 * local operation's awaited rank is a local rank, so it is hidden.
 */
function* withinGroup<T>(steps: Algorithm<T>): Algorithm<T> {
  for (;;) {
    const step = steps.next();
    if (step.done === true) return step.value;
    const waitable: Waitable = step.value;
    yield Array.isArray(waitable) ? (waitable as readonly Operation[]).map((op) => new LocalStep(op))
      : new LocalStep(waitable as Operation);
  }
}

/**
 * The verdict on a completed receive across into a block from remote rank
 * `source`, posted with `ANY_TAG`: a message of this call that does not fill
 * the block exactly is `ERR_COUNT`. A longer one was truncated, whose length
 * the mpi transport does not learn, so both transports word it without one.
 * Anything else is as `Call.verify` says.
 */
function blockVerdict(call: Call, inner: Operation, into: Bytes, source: number, name: string): Error | undefined {
  const envelope = inner.envelope;
  if (envelope === undefined || envelope.tag !== call.tag) return call.verify(inner, -1, source);
  const truncated = inner.error instanceof MPIError && inner.error.error_class === ErrorClass.ERR_TRUNCATE;
  if (truncated) return errors.count(name, `remote rank ${source} sent more than the ${into.byteLength} bytes expected`);
  if (envelope.byteLength !== into.byteLength) {
    return errors.count(name, `remote rank ${source} sent ${envelope.byteLength} bytes where ${into.byteLength} ` +
      'were expected');
  }
  return inner.error;
}

/** Receives `blocks[r]` from remote rank `r` and sends `sends[r]` to remote rank `r`, all at once; checks the lengths. */
function* swap(call: Call, sends: readonly (Bytes | undefined)[], blocks: readonly (Bytes | undefined)[],
  name: string): Algorithm<void> {
  const ops: Operation[] = [];
  blocks.forEach((into, r) => {
    if (into === undefined) return;
    const receive = call.channel.irecv(into, r, ANY_TAG);
    ops.push(call.checked(receive, -1, r, (inner) => blockVerdict(call, inner, into, r, name)));
  });
  sends.forEach((data, r) => { if (data !== undefined) ops.push(call.send(data, r)); });
  if (ops.length > 0) yield ops;
}

/**
 * Runs `leaderPart` on the group's leader (undefined elsewhere), then
 * broadcasts within the group a word saying how it went: 0, or the error
 * class it failed with, followed by the error's text. So a failure of the
 * leader's exchange across fails every rank of the group with that class,
 * where the group would otherwise wait for the leader's fan-out forever.
 * Gives the leader's result on the leader.
 */
function* leaderThenGroup<T>(local: Call, leaderPart: Algorithm<T> | undefined, name: string): Algorithm<T | undefined> {
  let result: T | undefined;
  let failure: unknown;
  if (leaderPart !== undefined) {
    try {
      result = yield* leaderPart;
    } catch (error) {
      failure = error;
    }
  }
  const word = new Int32Array(1);
  if (failure !== undefined) word[0] = failure instanceof MPIError ? failure.error_class : ErrorClass.ERR_OTHER;
  yield* withinGroup(bcast(local, new Uint8Array(word.buffer), 0));
  if (word[0] === ErrorClass.SUCCESS) return result;
  const text = failure === undefined ? undefined
    : new TextEncoder().encode(failure instanceof MPIError ? failure.detail : String(failure));
  const told = yield* withinGroup(fanOutBytes(local, text));
  if (failure !== undefined) throw failure;
  throw errors.leaderFailed(name, word[0] as ErrorClassCode, new TextDecoder().decode(told));
}

/** A whole message (an object encoding) from remote rank `source`. */
function* receiveWhole(call: Call, source: number, name: string): Algorithm<Uint8Array> {
  const op = call.recv(undefined, source);
  yield op;
  return singleView(op.data!, name);
}

/** The leaders' step of an intercommunicator `Barrier`: an empty message each way. */
function* meetLeader(across: Call): Algorithm<void> {
  yield [across.send(EMPTY, 0), across.recv(EMPTY, 0)];
}

/** Whole messages (object encodings) from every remote rank, in rank order. */
function* receiveAll(call: Call, remoteSize: number): Algorithm<Uint8Array[]> {
  const ops = Array.from({ length: remoteSize }, (_, r) => call.recv(undefined, r));
  if (ops.length > 0) yield ops;
  return ops.map((op) => singleView(op.data!, call.name));
}

/** Broadcast within the local group from its leader of a message whose length only the leader knows. */
function* fanOutBytes(local: Call, data: Uint8Array | undefined): Algorithm<Uint8Array> {
  const { rank, size } = local;
  let bytes = data;
  if (rank !== 0) {
    const op = local.recv(undefined, absolute(parentOf(relative(rank, 0, size)), 0, size));
    yield op;
    bytes = singleView(op.data!, local.name);
  }
  const children = childrenOf(rank, size);
  if (children.length > 0) yield children.map((c) => local.send(bytes!, c));
  return bytes!;
}

function reduceInOrder(values: readonly unknown[], op: Op): unknown {
  let acc = op.prepareObject(values[0], 0);
  for (let r = 1; r < values.length; r++) acc = op.applyObject(acc, op.prepareObject(values[r], r));
  return acc;
}

/** The collectives of one intercommunicator. */
export class InterCollectives {
  private readonly sequencer: Sequencer;

  /** @param scratchPool - scratch memory of the calls */
  constructor(private readonly endpoint: InterEndpoint, scratchPool: ScratchPool) {
    this.sequencer = sequencerOf(endpoint.channel, scratchPool);
    this.sequencer.useCallPrefix('Intercomm');
  }

  /** The communicator's name in deadlock reports. */
  set communicatorName(name: string) {
    this.sequencer.communicatorName = name;
  }

  /**
   * Runs `algorithm` as the next call, with a {@link Call} on the local
   * group that shares the call's tag; the local call's scratch goes back once
   * the algorithm is done.
   */
  private run<T>(code: CodeValue, root: number, agreed: readonly number[], text: string | (() => string),
    algorithm: (across: Call, local: Call) => Algorithm<T>): Promise<T> {
    const { localChannel } = this.endpoint;
    const sequencer = this.sequencer;
    const run = sequencer.start(signature(code, root, agreed, text), function* (across) {
      const local = new Call(localChannel, across.sig, across.seq, sequencer);
      const result = yield* algorithm(across, local);
      local.release();
      return result;
    });
    // The sequencer keeps the channel across for the call; its steps within the group need the local one too.
    if (!run.done) localChannel.keepFor?.(run.whenDone());
    return run.result();
  }

  /** The root's local rank in a signature (the same on both sides of a rooted call), -1 on idle ranks. */
  private rootOf(role: InterRole): number {
    return role.kind === 'root' ? this.endpoint.rank : role.kind === 'receiver' ? role.root : -1;
  }

  private static rootText(role: InterRole): string {
    return role.kind === 'root' ? 'ROOT' : role.kind === 'idle' ? 'PROC_NULL' : String(role.root);
  }

  /** `MPI_Barrier` over both groups (§6.3): every rank of both has called it. */
  barrier(): Promise<void> {
    return this.run(Code.Barrier, -1, [], 'Barrier()', function* (across, local) {
      yield* withinGroup(barrier(local));
      // Once the leader has met the other leader, both groups are all there: the leader's word lets its group go.
      yield* leaderThenGroup(local, across.rank === 0 ? meetLeader(across) : undefined, across.name);
    });
  }

  /** `MPI_Bcast` (§6.4): `buf` is the root's data at the root, the landing place in the other group. */
  bcast(buf: Bytes, role: InterRole, name: string): Promise<void> {
    return this.run(Code.Bcast, this.rootOf(role), [],
      () => `Bcast(root=${InterCollectives.rootText(role)}, ${buf.byteLength} bytes)`, function* (across, local) {
        if (role.kind === 'root') yield across.send(buf, 0);
        if (role.kind !== 'receiver') return;
        yield* leaderThenGroup(local, across.rank === 0 ? swap(across, [], blockAt(role.root, buf), name) : undefined,
          name);
        yield* fanOut(local, buf, name);
      });
  }

  /** `MPI_Gather(v)` (§6.5): `blocks[r]` at the root receives remote rank `r`'s `send`. */
  gatherv(send: Bytes | undefined, blocks: readonly Bytes[] | undefined, role: InterRole,
    name: string): Promise<void> {
    return this.run(Code.Gather, this.rootOf(role), [], () => `Gather(root=${InterCollectives.rootText(role)})`,
      function* (across) {
        if (role.kind === 'root') yield* swap(across, [], blocks!, name);
        else if (role.kind === 'receiver') yield across.send(send!, role.root);
      });
  }

  /** `MPI_Scatter(v)` (§6.6): remote rank `r` receives `blocks[r]` of the root into `recv`. */
  scatterv(blocks: readonly Bytes[] | undefined, recv: Bytes | undefined, role: InterRole,
    name: string): Promise<void> {
    return this.run(Code.Scatter, this.rootOf(role), [], () => `Scatter(root=${InterCollectives.rootText(role)})`,
      function* (across) {
        if (role.kind === 'root') yield* swap(across, blocks!, [], name);
        else if (role.kind === 'receiver') yield* swap(across, [], blockAt(role.root, recv!), name);
      });
  }

  /** `MPI_Allgather(v)` (§6.7): `send` to every remote rank; `blocks[r]` from remote rank `r`. */
  allgatherv(send: Bytes, blocks: readonly Bytes[], name: string): Promise<void> {
    return this.run(Code.Allgather, -1, [], 'Allgather()', function* (across) {
      yield* swap(across, blocks.map(() => send), blocks, name);
    });
  }

  /** `MPI_Alltoall(v)` (§6.8): `out[j]` to remote rank `j`, `into[i]` from remote rank `i`. */
  alltoallv(out: readonly Bytes[], into: readonly Bytes[], name: string): Promise<void> {
    return this.run(Code.Alltoall, -1, [], 'Alltoall()', function* (across) {
      yield* swap(across, out, into, name);
    });
  }

  /**
   * `MPI_Reduce` (§6.9.1): the other group reduces its `send`s to its leader,
   * which sends the result to the root's `recv`.
   */
  reduce(send: Bytes | undefined, recv: Bytes | undefined, datatype: Datatype | undefined, op: Op | undefined,
    role: InterRole, name: string): Promise<void> {
    const agreed = datatype === undefined || op === undefined ? [] : [datatype.code, opCode(op)];
    return this.run(Code.Reduce, this.rootOf(role), agreed,
      () => `Reduce(root=${InterCollectives.rootText(role)}${op === undefined ? '' : `, ${op.name}`})`,
      function* (across, local) {
        if (role.kind === 'root') yield* swap(across, [], [recv!], name);
        if (role.kind !== 'receiver') return;
        const reduced = yield* toLeader(local, new Reduction(op!, datatype!), send!, name);
        if (reduced !== undefined) yield across.send(reduced, role.root);
      });
  }

  /**
   * `MPI_Allreduce` (§6.9.6): each group reduces to its leader, the leaders
   * swap, and each hands the other group's result (`into`) to its group.
   */
  allreduce(send: Bytes, into: Bytes, datatype: Datatype, op: Op, name: string): Promise<void> {
    return this.run(Code.Allreduce, -1, [datatype.code, opCode(op)], () => `Allreduce(${datatype.name}, ${op.name})`,
      function* (across, local) {
        const reduced = yield* toLeader(local, new Reduction(op, datatype), send, name);
        yield* leaderThenGroup(local, reduced === undefined ? undefined : swap(across, [reduced], [into], name), name);
        yield* fanOut(local, into, name);
      });
  }

  /**
   * `MPI_Reduce_scatter_block` (§6.10.2): each group reduces to its leader,
   * which scatters the result over the other group in `remoteSize` equal
   * blocks; `recv` takes this rank's.
   */
  reduceScatterBlock(send: Bytes, recv: Bytes, datatype: Datatype, op: Op, name: string): Promise<void> {
    const remoteSize = this.endpoint.remoteSize;
    return this.run(Code.Reduce_scatter, -1, [datatype.code, opCode(op)],
      () => `Reduce_scatter_block(${datatype.name}, ${op.name})`, function* (across, local) {
        const reduced = yield* toLeader(local, new Reduction(op, datatype), send, name);
        const block = send.byteLength / remoteSize;
        const blocks = reduced === undefined ? []
          : Array.from({ length: remoteSize }, (_, j) => sliceBytes(reduced, j * block, (j + 1) * block));
        yield* swap(across, blocks, [recv], name);
      });
  }

  /**
   * `MPI_Reduce_scatter` (§6.10.1): each group reduces to its leader, the
   * leaders swap their results (of one length in both groups, which the
   * signature carries), and each scatters the other group's over its own
   * group, `counts[i]` bytes to local rank `i`; `recv` takes this rank's.
   */
  reduceScatter(send: Bytes, recv: Bytes, counts: readonly number[], datatype: Datatype, op: Op,
    name: string): Promise<void> {
    const elements = send.byteLength / datatype.size;
    let end = 0;
    const displs = counts.map((c) => (end += c) - c);
    return this.run(Code.Reduce_scatter, -1, [elements, datatype.code, opCode(op)],
      () => `Reduce_scatter(${elements} × ${datatype.name} in all, ${op.name})`, function* (across, local) {
        const reduced = yield* toLeader(local, new Reduction(op, datatype), send, name);
        const theirs = reduced === undefined ? undefined : allocateBytes(send.byteLength);
        yield* leaderThenGroup(local, reduced === undefined ? undefined : swap(across, [reduced], [theirs], name), name);
        yield* withinGroup(scatterv(local, theirs, theirs && counts, theirs && displs, recv, 0));
      });
  }

  // ------------------------------------------------------------ objects

  /** Object `bcast`: the root's value on the other group; undefined on idle ranks. */
  bcastObject<T>(obj: T, role: InterRole, name: string): Promise<T | undefined> {
    return this.run(Code.bcast, this.rootOf(role), [], () => `bcast(root=${InterCollectives.rootText(role)})`,
      function* (across, local): Algorithm<T | undefined> {
        if (role.kind === 'root') {
          yield across.send(encode(obj, name), 0);
          return obj;
        }
        if (role.kind === 'idle') return undefined;
        const data = yield* leaderThenGroup(local, across.rank === 0 ? receiveWhole(across, role.root, name) : undefined, name);
        return decode(yield* withinGroup(fanOutBytes(local, data)), name) as T;
      });
  }

  /** Object `gather`: the root gets the other group's values in rank order; undefined elsewhere. */
  gatherObject<T>(obj: T, role: InterRole, name: string): Promise<unknown[] | undefined> {
    const remoteSize = this.endpoint.remoteSize;
    return this.run(Code.gather, this.rootOf(role), [], () => `gather(root=${InterCollectives.rootText(role)})`,
      function* (across): Algorithm<unknown[] | undefined> {
        if (role.kind === 'root') return (yield* receiveAll(across, remoteSize)).map((bytes) => decode(bytes, name));
        if (role.kind === 'receiver') yield across.send(encode(obj, name), role.root);
        return undefined;
      });
  }

  /** Object `scatter`: remote rank `r` gets `items[r]` of the root; undefined in the root's group. */
  scatterObject<T>(items: readonly T[] | undefined, role: InterRole, name: string): Promise<T | undefined> {
    return this.run(Code.scatter, this.rootOf(role), [], () => `scatter(root=${InterCollectives.rootText(role)})`,
      function* (across): Algorithm<T | undefined> {
        if (role.kind === 'root') {
          yield items!.map((v, r) => across.send(encode(v, name), r));
          return undefined;
        }
        if (role.kind === 'idle') return undefined;
        const op = across.recv(undefined, role.root);
        yield op;
        return decode(op.data!, name) as T;
      });
  }

  /** Object `allgather`: every rank gets the remote group's values in rank order. */
  allgatherObject<T>(obj: T, name: string): Promise<unknown[]> {
    const remoteSize = this.endpoint.remoteSize;
    return this.run(Code.allgather, -1, [], 'allgather()', function* (across): Algorithm<unknown[]> {
      const bytes = encode(obj, name);
      const sends = Array.from({ length: remoteSize }, (_, r) => across.send(bytes, r));
      const all = yield* receiveAll(across, remoteSize);
      if (sends.length > 0) yield sends;
      return all.map((b) => decode(b, name));
    });
  }

  /** Object `alltoall`: `items[j]` to remote rank `j`; position `i` of the result from remote rank `i`. */
  alltoallObject<T>(items: readonly T[], name: string): Promise<unknown[]> {
    const remoteSize = this.endpoint.remoteSize;
    return this.run(Code.alltoall, -1, [], 'alltoall()', function* (across): Algorithm<unknown[]> {
      const sends = items.map((v, r) => across.send(encode(v, name), r));
      const all = yield* receiveAll(across, remoteSize);
      if (sends.length > 0) yield sends;
      return all.map((b) => decode(b, name));
    });
  }

  /** Object `allreduce`: the reduction of the remote group's values, in its rank order. */
  async allreduceObject(obj: unknown, op: Op, name: string): Promise<unknown> {
    return reduceInOrder(await this.allgatherObject(obj, name), op);
  }

  /** Object `reduce`: at the root, the reduction of the other group's values in rank order. */
  async reduceObject(obj: unknown, op: Op, role: InterRole, name: string): Promise<unknown> {
    const values = await this.gatherObject(obj, role, name);
    return values === undefined ? undefined : reduceInOrder(values, op);
  }
}

/** One receive block from remote rank `source`, for {@link swap}. */
function blockAt(source: number, into: Bytes): (Bytes | undefined)[] {
  const blocks = new Array<Bytes | undefined>(source + 1);
  blocks[source] = into;
  return blocks;
}

/**
 * The reduction of the local group's `send`s in rank order, on the leader (a
 * buffer of its own); undefined elsewhere. Piece by piece of whole elements
 * past the longest byte view.
 */
function* toLeader(local: Call, reduction: Reduction, send: Bytes, name: string): Algorithm<Bytes | undefined> {
  const result = local.rank === 0 ? allocateBytes(send.byteLength) : undefined;
  const step = Math.max(1, Math.floor(ROUND_BYTES / reduction.datatype.size)) * reduction.datatype.size;
  for (let at = 0; at === 0 || at < send.byteLength; at += step) {
    const end = Math.min(at + step, send.byteLength);
    const piece = send instanceof Uint8Array && at === 0 && end === send.byteLength ? send : singleView(sliceBytes(send, at, end), name);
    yield* withinGroup(reduce(local, reduction, piece, result && singleView(sliceBytes(result, at, end), name), end - at, 0));
  }
  return result;
}

/** The broadcast within the local group from its leader of `buf`, piece by piece past the longest byte view. */
function* fanOut(local: Call, buf: Bytes, name: string): Algorithm<void> {
  if (buf instanceof Uint8Array) {
    yield* withinGroup(bcast(local, buf, 0));
    return;
  }
  for (let at = 0; at < buf.byteLength; at += ROUND_BYTES) {
    yield* withinGroup(bcast(local, singleView(sliceBytes(buf, at, Math.min(at + ROUND_BYTES, buf.byteLength)), name), 0));
  }
}
