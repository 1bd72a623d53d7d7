/**
 * The transport interface: what the API layer needs from a way of moving bytes
 * between ranks. Two implementations sit behind it: `shm` (worker threads of one
 * process, SharedArrayBuffer rings) and `mpi` (a native binding over Open MPI or
 * MPICH). The API layer never knows which one it runs on.
 *
 * MPI-4.1 §3 (point-to-point: envelopes, matching, modes), §3.7 (nonblocking
 * requests). Collectives (§6) are given by {@link Collectives}: the shm transport
 * builds them from point-to-point with the {@link CollectivesFactory} that the
 * composition root (`src/environment.ts`) hands it (the collective layer's), the
 * mpi transport hands them to the MPI library.
 * A transport whose ranks share memory may also offer a {@link SharedArea}
 * per communicator, on which the collective layer runs small collectives.
 *
 * @module
 */

import type { Bytes } from '../buffer.js';
import type { Datatype, TypedArray } from '../datatype/index.js';
import type { Op } from '../op/op.js';

/** Exit status of a job that deadlocked, on every transport. */
export const DEADLOCK_EXIT_CODE = 3;

/** What a matched or probed message looks like from the receiving side (MPI-4.1 §3.2.3). */
export interface Envelope {
  /** Rank of the sender in the communicator. */
  readonly source: number;
  readonly tag: number;
  /** Length of the message in bytes. */
  readonly byteLength: number;
}

/**
 * One pending send or receive at the transport level (MPI-4.1 §3.7.3).
 * `test` and `wait` both drive progress; neither throws: a failed operation
 * completes with {@link error} set.
 */
export interface Operation {
  /** Makes progress; true once the operation is complete. Never waits. */
  test(): boolean;
  /** Settles once the operation is complete (an already-resolved Promise when it is). */
  wait(): Promise<void>;
  /** For a receive, once complete: who sent it, with which tag and how many bytes. */
  readonly envelope: Envelope | undefined;
  /** For a receive posted without a buffer, once complete: the whole message (segmented past the longest byte view). */
  readonly data: Bytes | undefined;
  /** Set when the operation failed, such as a truncated receive. */
  readonly error: Error | undefined;
  /** Optional: the one rank whose message or signal completes this operation (a receive from a named source). */
  readonly awaitedRank?: number;
  /**
   * What this operation is, for deadlock reports: `Send(dest=1, tag=0, 8000000 bytes)`.
   */
  describe(): string;
  /**
   * Optional: the larger call this operation is part of, set by the collective layer before it waits for it,
   * so that a transport that reports waits names that call (`Bcast(root=0, 4 bytes) on MPI_COMM_WORLD`)
   * rather than the message under it.
   */
  within?: { readonly text: string } | undefined;
  /**
   * Optional: cancels the operation if it can still be (MPI-4.1 §3.8.4: a
   * receive that has not matched a message yet). True when it was cancelled:
   * it is then complete, with {@link cancelled} set and no envelope or error.
   * False when it has matched (or cannot be cancelled): it completes as usual.
   */
  cancel?(): boolean;
  /** Optional: true once {@link cancel} has cancelled it. */
  readonly cancelled?: boolean;
  /**
   * Optional: the caller no longer waits for this operation (a collective
   * that found the awaited rank in another call): the Promises of its
   * pending waits resolve, complete or not, and those waits neither keep the
   * rank alive nor show in a deadlock report. The operation itself stays as
   * it is (a posted receive stays posted).
   */
  abandon?(): void;
}

/**
 * Point-to-point within one communicator, intra or inter: one group of ranks
 * that sends (the local group) and one that ranks in `dest` and `source`
 * address (the same group for an intracommunicator, the remote group for an
 * intercommunicator), under one context so that messages of two
 * communicators never match.
 */
export interface PointToPoint {
  /** Rank of this process in the local group. */
  readonly rank: number;
  /** Size of the local group. */
  readonly size: number;
  /** Size of the group that `dest` and `source` address. */
  readonly remoteSize: number;
  /**
   * The longest data (in bytes) that `isend` copies before it returns, when
   * it is not transport memory: up to this length the caller may reuse a
   * scratch buffer at once; a longer message is read until the send
   * completes. 0 when nothing is copied.
   */
  readonly sendCopyLimit: number;
  /**
   * Starts a send of `data` (MPI-4.1 §3.7.2). `sync` makes it synchronous
   * (completes only once matched: `Ssend`). The transport may read `data`
   * until the operation completes. Segmented bytes come only past the
   * longest byte view.
   */
  isend(data: Bytes, dest: number, tag: number, sync: boolean): Operation;
  /**
   * Starts a receive (MPI-4.1 §3.7.2). With `into`, the message lands there and
   * a longer message fails with `ERR_TRUNCATE` (shm leaves it queued for a
   * receive that fits; an MPI library consumes it). Without it, the whole
   * message is delivered as {@link Operation.data} (object messages).
   */
  irecv(into: Bytes | undefined, source: number, tag: number): Operation;
  /** The envelope of the first message that a receive would match now, if any (§3.8.1). */
  iprobe(source: number, tag: number): Envelope | undefined;
  /** Waits for a message that a receive would match (§3.8.1). */
  probe(source: number, tag: number): Promise<Envelope>;
  /**
   * Optional, for transports whose ranks can see each other's state: records
   * that this rank called, as its call number `call` on this context, the
   * collective whose messages carry `tag`, for {@link peerCall}.
   */
  announce?(tag: number, call: number): void;
  /**
   * Optional: the tag of the collective that `rank` announced as its call
   * number `call` on this context, if that is the call it announced last.
   * The full number, not the tag's (modulo 128), tells a peer in this call
   * from one 128 calls behind.
   */
  peerCall?(rank: number, call: number): number | undefined;
  /** Translates a rank of the local group to the transport's world rank. */
  worldRankOf(rank: number): number;
  /** Translates a rank of the addressed group to the transport's world rank. */
  remoteWorldRankOf(rank: number): number;
  /**
   * Optional: keeps the communicator for `work`, a collective called on it,
   * until `work` settles, even past a Free: what is pending at a Free
   * completes (MPI-4.1 §7.4.3). The mpi transport frees the MPI communicator
   * only then, and one of its own (a collective channel) takes the library's
   * sends and receives for that work until then; shm reuses no context.
   */
  keepFor?(work: Promise<unknown>): void;
  /** Releases the context (MPI-4.1 §7.4.3). */
  free(): void;
}

/**
 * Waits for every operation in turn and throws the first one's error;
 * `undefined` entries (operations on `MPI.PROC_NULL`) are skipped.
 */
export async function completeAll(ops: readonly (Operation | undefined)[]): Promise<void> {
  for (const op of ops) {
    if (op === undefined) continue;
    await op.wait();
    if (op.error !== undefined) throw op.error;
  }
}

/** The transport side of one intracommunicator. Ranks are ranks of this communicator. */
export interface Endpoint extends PointToPoint {
  /** Collective operations over this communicator (MPI-4.1 §6). */
  readonly collectives: Collectives;
  /**
   * Point-to-point over the same group on a context of its own, for the
   * library's protocols (neighbour exchanges, group creation), so they never
   * match user or collective messages.
   */
  readonly auxiliary: Endpoint;
  /**
   * A new endpoint over the ranks of this one that `color` selects, ordered by
   * `key` then by rank (MPI-4.1 §7.4.2 `MPI_Comm_split`); undefined for
   * `MPI.UNDEFINED`. Collective. `Dup` is `split(0, rank)`.
   */
  split(color: number, key: number): Promise<Endpoint | undefined>;
  /**
   * The ranks of this endpoint that can share memory, ordered by `key` then by
   * rank (MPI-4.1 §7.4.2 `MPI_Comm_split_type` with `MPI_COMM_TYPE_SHARED`),
   * where the transport knows better than host names (mpi: MPI's own answer).
   * Collective.
   */
  splitShared?(key: number): Promise<Endpoint>;
  /**
   * A new endpoint over the ranks of this one listed in `members`, in that
   * order; only they call it (MPI-4.1 §7.4.2 `MPI_Comm_create_group`).
   */
  createGroup(members: readonly number[], tag: number): Promise<Endpoint>;
  /**
   * Joins this group and another through their leaders, who reach each other
   * through `peer` with `tag` (MPI-4.1 §7.6.2 `MPI_Intercomm_create`). Collective.
   */
  createIntercomm(localLeader: number, peer: PointToPoint, remoteLeader: number, tag: number): Promise<InterEndpoint>;
  /**
   * Starts `maxprocs` new ranks running `command` with `args`, as a group of
   * their own, and returns the intercommunicator to them (MPI-4.1 §11.8.2
   * `MPI_Comm_spawn`). Collective; `root` supplies the arguments.
   */
  spawn(command: string, args: readonly string[], maxprocs: number, root: number): Promise<InterEndpoint>;
  /**
   * Starts the programs of `apps` (each `maxprocs` ranks of its `command`
   * with its `args`) as one group, ranks in the order of `apps`, and returns
   * the intercommunicator to them; each child's `MPI_APPNUM` is the index of
   * its program (MPI-4.1 §11.8.3 `MPI_Comm_spawn_multiple`). Collective;
   * `root` supplies the arguments.
   */
  spawnMultiple(apps: readonly SpawnApp[], root: number): Promise<InterEndpoint>;
  /**
   * The server side of a client/server connection (MPI-4.1 §11.9.2
   * `MPI_Comm_accept`): waits for a group that connects to `port` (an
   * {@link PortService.openPort} name, significant at `root`) and returns the
   * intercommunicator to it. Collective.
   */
  accept(port: string, root: number): Promise<InterEndpoint>;
  /** The client side (MPI-4.1 §11.9.3 `MPI_Comm_connect`): joins the group that accepts on `port`. Collective. */
  connect(port: string, root: number): Promise<InterEndpoint>;
  /**
   * Optional (mpi): the MPI library's own neighbourhood collectives (MPI-4.1
   * §8.6) over a topology communicator made from this one, with every rank of
   * it: a grid (`MPI_Cart_create`) or a distributed graph
   * (`MPI_Dist_graph_create_adjacent`). Collective.
   */
  neighborhood?(topology: NeighborhoodSpec): Promise<Neighborhood>;

  /**
   * A window over the ranks of this endpoint (MPI-4.1 §12.2): collective.
   * The API layer calls it on a duplicate of the user's communicator, so the
   * window's synchronization never meets the user's messages.
   */
  createWindow?(request: WindowRequest): Promise<Window>;

  /**
   * Optional (mpi): opens a file on the ranks of this endpoint through the
   * MPI library's own parallel I/O (MPI-4.1 §14.2.1 `MPI_File_open`):
   * collective. The API layer calls it on a duplicate of the user's
   * communicator, after checking the arguments; a transport without it gets
   * the API layer's file engine over Node's `fs`.
   */
  openFile?(request: FileOpenRequest): Promise<FileHandle>;
}

/** What {@link Endpoint.openFile} is asked for. */
export interface FileOpenRequest {
  readonly path: string;
  /** `MPI.MODE_*` bits, checked by the API layer. */
  readonly amode: number;
  /** Info hints (key, value), passed to the MPI library. */
  readonly hints: readonly (readonly [string, string])[];
}

/**
 * The kinds of data access of a {@link FileHandle} (MPI-4.1 §14.4.1):
 * explicit offset (`at`), individual file pointer, shared file pointer,
 * each blocking or nonblocking; `_all` collective forms and `ordered`.
 */
export type FileAccessKind = 'at' | 'at_all' | 'individual' | 'all' | 'shared' | 'ordered';

/** The kinds of access that have split collective forms (MPI-4.1 §14.4.5). */
export type SplitAccessKind = 'at_all' | 'all' | 'ordered';

/**
 * An open file of a transport with parallel I/O of its own (MPI-4.1 chapter
 * 14). Memory is bytes (the API layer packs and unpacks derived memory
 * types); offsets and positions count etypes of the current view, as MPI's
 * do. Blocking calls throw or reject with an {@link MPIError}-like error
 * naming `call`. Collective calls (`close`, `setSize`, `setView`,
 * `setAtomicity`, `sync`, `seekShared`, `_all` and `ordered` accesses) are made
 * by every rank in the same order.
 */
export interface FileHandle {
  /** `MPI_File_close` (collective; `MODE_DELETE_ON_CLOSE` deletes the file). */
  close(call: string): Promise<void>;
  /** `MPI_File_set_size`, or `MPI_File_preallocate` (collective). */
  setSize(size: number, preallocate: boolean, call: string): Promise<void>;
  /** `MPI_File_get_size`, in bytes. */
  getSize(call: string): number;
  /** `MPI_File_sync` (collective). */
  sync(call: string): Promise<void>;
  /** `MPI_File_set_atomicity` (collective). */
  setAtomicity(flag: boolean, call: string): Promise<void>;
  /** `MPI_File_get_atomicity`. */
  getAtomicity(call: string): boolean;
  /** `MPI_File_set_view` with the `'native'` data representation (collective). */
  setView(disp: number, etype: Datatype, filetype: Datatype, call: string): Promise<void>;
  /** A blocking read (`write` false) or write of `bytes` (`offset` for `at` kinds): resolves to the bytes moved. */
  access(kind: FileAccessKind, write: boolean, offset: number, bytes: Uint8Array, call: string): Promise<number>;
  /**
   * Starts a nonblocking access (every kind but `ordered`): a real request of
   * the library, whose envelope's `byteLength` is the bytes moved.
   */
  start(kind: Exclude<FileAccessKind, 'ordered'>, write: boolean, offset: number, bytes: Uint8Array,
    call: string): Operation;
  /**
   * Begins a split collective (MPI-4.1 §14.4.5, `MPI_File_*_begin`; kind
   * `at_all`, `all` or `ordered`), collective. `bytes` is asked for when the
   * library's begin is made; it must stay unchanged and alive until
   * {@link end}. Resolves to those bytes once begun.
   */
  begin(kind: SplitAccessKind, write: boolean, offset: number, bytes: () => Uint8Array, call: string): Promise<Uint8Array>;
  /** Ends the split collective begun with `bytes` (`MPI_File_*_end`), collective: resolves to the bytes moved. */
  end(kind: SplitAccessKind, write: boolean, bytes: Uint8Array, call: string): Promise<number>;
  /** `MPI_File_seek` to `offset` etypes (`MPI_SEEK_SET`). */
  seek(offset: number, call: string): void;
  /** `MPI_File_seek_shared` to `offset` etypes (`MPI_SEEK_SET`; collective). */
  seekShared(offset: number, call: string): Promise<void>;
  /** `MPI_File_get_position`, in etypes. */
  position(call: string): number;
  /** `MPI_File_get_position_shared`, in etypes. */
  positionShared(call: string): number;
  /** `MPI_File_get_byte_offset` of `offset` etypes of the view. */
  byteOffset(offset: number, call: string): number;
}

/** One program of {@link Endpoint.spawnMultiple}. */
export interface SpawnApp {
  readonly command: string;
  readonly args: readonly string[];
  readonly maxprocs: number;
}

/**
 * Port names and the name service of client/server connections (MPI-4.1
 * §11.9), and `MPI_Comm_join` (§11.10.5). Local calls; errors are MPIErrors
 * naming `call`.
 */
export interface PortService {
  /** `MPI_Open_port`: a new port name. */
  openPort(call: string): string;
  /** `MPI_Close_port`. */
  closePort(port: string, call: string): void;
  /** `MPI_Publish_name`: `service` names `port` for `lookupName`. */
  publishName(service: string, port: string, call: string): void;
  /** `MPI_Unpublish_name`. */
  unpublishName(service: string, port: string, call: string): void;
  /** `MPI_Lookup_name`: the port published under `service`; `ERR_NAME` when none is. */
  lookupName(service: string, call: string): string;
  /** `MPI_Comm_join`: the intercommunicator to the process at the other end of the connected socket `fd`. */
  join(fd: number, call: string): Promise<InterEndpoint>;
}

/** The topology of {@link Endpoint.neighborhood}. */
export type NeighborhoodSpec =
  | { readonly kind: 'cart'; readonly dims: readonly number[]; readonly periods: readonly boolean[] }
  | { readonly kind: 'graph'; readonly sources: readonly number[]; readonly destinations: readonly number[] };

/** A transport's own neighbourhood collectives on one topology (MPI-4.1 §8.6). */
export interface Neighborhood {
  /**
   * `MPI_Neighbor_alltoallv` in bytes: block `k` of `send` (`sendCounts[k]`
   * bytes at `sendDispls[k]`) to destination `k`, source `k`'s block into
   * `recv`. Blocks of `MPI_PROC_NULL` neighbours move nothing.
   */
  alltoallv(send: Uint8Array, sendCounts: readonly number[], sendDispls: readonly number[],
    recv: Uint8Array, recvCounts: readonly number[], recvDispls: readonly number[]): Promise<void>;
  /** Releases the topology communicator. */
  free(): void;
}

/** How a window's memory comes about (MPI-4.1 §12.2.1-§12.2.4). */
export type WindowFlavor = 'create' | 'allocate' | 'shared' | 'dynamic';

/** What {@link Endpoint.createWindow} is asked for. */
export interface WindowRequest {
  readonly flavor: WindowFlavor;
  /** `create`: the user's memory (the window is over exactly these bytes). */
  readonly memory?: Uint8Array;
  /** `allocate` and `shared`: bytes this rank contributes (`dynamic`: 0). */
  readonly bytes: number;
  /** The displacement unit of this rank's memory (kept by the API; the transport addresses bytes). */
  readonly dispUnit: number;
}

/** Lock types of `Win.Lock` (MPI-4.1 §12.5.3). */
export type LockType = 'exclusive' | 'shared';

/**
 * The transport side of one window (MPI-4.1 §12). Targets are ranks of the
 * window's group; offsets are bytes from the start of the target's memory,
 * already checked against its size by the API layer, which also checks the
 * epochs (`ERR_RMA_SYNC`): the transport trusts its input.
 * Communication calls start the transfer and return; it is complete at the
 * synchronization call that ends it (shm: at once).
 */
export interface Window {
  /** This rank's memory. */
  readonly memory: Uint8Array;
  /** Bytes of every rank's memory, by rank. */
  readonly sizes: readonly number[];
  /** Every rank's displacement unit, by rank. */
  readonly dispUnits: readonly number[];
  /** `MPI_Put`: `data` to `target` at byte `offset`. */
  put(data: Uint8Array, target: number, offset: number): void;
  /** `MPI_Get`: `into.byteLength` bytes of `target` at byte `offset` into `into`. */
  get(into: Uint8Array, target: number, offset: number): void;
  /**
   * `MPI_Accumulate` (no `result`) or `MPI_Get_accumulate`: `count` elements of the
   * predefined `datatype`, combined element by element atomically with `op`
   * (a predefined op, `MPI_REPLACE` or `MPI_NO_OP`, by `op.name`); `result`
   * receives the target's elements before. `origin` is unused for `MPI_NO_OP`.
   */
  accumulate(origin: TypedArray, result: TypedArray | undefined, count: number, datatype: Datatype, op: Op,
    target: number, offset: number): void;
  /** `MPI_Compare_and_swap` of one element: `result` gets the old value; `origin` is stored where it equaled `compare`. */
  compareAndSwap(origin: TypedArray, compare: TypedArray, result: TypedArray, datatype: Datatype, target: number,
    offset: number): void;
  /** `MPI_Win_fence` (MPI-4.1 §12.5.1). Collective. */
  fence(assertion: number): Promise<void>;
  /** `MPI_Win_post` to the origins `ranks` (§12.5.2). */
  post(ranks: readonly number[], assertion: number): Promise<void>;
  /** `MPI_Win_start` of an access epoch to the targets `ranks`. */
  start(ranks: readonly number[], assertion: number): Promise<void>;
  /** `MPI_Win_complete` of the access epoch opened by {@link start}. */
  complete(): Promise<void>;
  /** `MPI_Win_wait` for the end of the exposure epoch opened by {@link post}. */
  wait(): Promise<void>;
  /** `MPI_Win_test`: true (and the exposure epoch over) once every origin has completed. */
  test(): boolean;
  /** `MPI_Win_lock` of `target` (§12.5.3). */
  lock(target: number, type: LockType, assertion: number): Promise<void>;
  /** `MPI_Win_unlock`: completes the calls to `target` and releases its lock. */
  unlock(target: number): Promise<void>;
  /** `MPI_Win_lock_all`: a shared lock on every rank. */
  lockAll(assertion: number): Promise<void>;
  unlockAll(): Promise<void>;
  /** `MPI_Win_flush` (`local` false) or `MPI_Win_flush_local` of `target`, or of every rank when undefined (§12.5.4). */
  flush(target: number | undefined, local: boolean): Promise<void>;
  /** `MPI_Win_sync`: synchronizes this rank's public and private copies (§12.5.4). */
  sync(): void;
  /** `MPI_Win_shared_query` (§12.2.3): `rank`'s memory as this rank can load and store it. */
  sharedQuery(rank: number): Uint8Array;
  /** `MPI_Win_free` (§12.2.5). Collective. */
  free(): Promise<void>;
  /**
   * Dynamic windows (§12.2.4): `MPI_Win_attach` (`attach` true) or
   * `MPI_Win_detach` of `memory`, which the API has checked (no overlap with
   * attached memory; detach: attached before). Offsets of a dynamic window are
   * addresses (`Transport.address`).
   */
  attach?(memory: Uint8Array, attach: boolean): void;
  /**
   * Dynamic windows: true when `bytes` bytes at `address` lie in one region
   * `target` has attached, as far as this rank can know (it learns of attaches
   * and detaches that happened before the synchronization that lets it
   * access the target).
   */
  attached?(target: number, address: number, bytes: number): boolean;
  /**
   * Optional: the request-based calls (§12.3.7) as operations of their own
   * that complete later (mpi: `MPI_Rput`, ...); without them the API completes
   * the request with a flush. `raccumulate` is `MPI_Raccumulate` without
   * `result`, else `MPI_Rget_accumulate`.
   */
  rput?(data: Uint8Array, target: number, offset: number): Operation;
  rget?(into: Uint8Array, target: number, offset: number): Operation;
  raccumulate?(origin: TypedArray, result: TypedArray | undefined, count: number, datatype: Datatype, op: Op,
    target: number, offset: number): Operation;
}

/**
 * The transport side of an intercommunicator (MPI-4.1 §7.6): point-to-point
 * addresses the remote group.
 */
export interface InterEndpoint extends PointToPoint {
  /** The local group as an intracommunicator of its own (MPI-4.1 §7.6.1). */
  readonly local: Endpoint;
  /** Point-to-point to the remote group on a context of its own, for intercommunicator collectives. */
  readonly channel: PointToPoint;
  /**
   * Point-to-point within the local group on a context that only the
   * intercommunicator collectives use, for their steps within a group
   * (fan-out from the leader, reduction to it).
   */
  readonly localChannel: PointToPoint;
  /**
   * The union of both groups as an intracommunicator, the group that passed
   * `high` false first (MPI-4.1 §7.6.2 `MPI_Intercomm_merge`). Collective.
   */
  merge(high: boolean): Promise<Endpoint>;
  /** The same two groups on a context of their own (MPI-4.1 §7.4.2 `MPI_Comm_dup`). Collective over both groups. */
  dup(): Promise<InterEndpoint>;
  /**
   * `MPI_Comm_split` of an intercommunicator (MPI-4.1 §7.4.2): the local and
   * remote ranks of this rank's `color`, each side ordered by `key` then rank;
   * undefined for `UNDEFINED` or a color that no remote rank chose.
   * Collective over both groups.
   */
  split(color: number, key: number): Promise<InterEndpoint | undefined>;
  /**
   * Waits for the communication pending on this intercommunicator, then frees
   * it (MPI-4.1 §11.8.2 `MPI_Comm_disconnect`). Collective over both groups.
   * A transport without it frees at once (`free`).
   */
  disconnect?(): Promise<void>;
}

/**
 * The collectives at the transport level (MPI-4.1 §6): buffers are byte views
 * for data movement and typed arrays with their datatype for reductions. The
 * API layer has already parsed buffer specs, checked roots and counts, and
 * resolved `IN_PLACE` to `undefined` send buffers.
 */
export interface Collectives {
  /**
   * Point-to-point on a context of its own, separate from the user's
   * messages: what the object collectives (`bcast`, `gather`, ... of any
   * value) are built on.
   */
  readonly channel: PointToPoint;
  /** Words in shared memory for small collectives, on transports whose ranks share memory (shm). */
  readonly sharedArea?: SharedArea;
  /**
   * The most bytes one call below may move or address on a rank: its data,
   * each count and each displacement (mpi: 2^31-1, MPI's counts being C ints);
   * undefined: no limit but the longest byte view. Callers split what is
   * longer into rounds (`collective/segmented.ts`), or move it point to point
   * on {@link channel}. The same on every rank of a job.
   */
  readonly maxCallBytes?: number;
  /**
   * Settles once every collective called so far on this communicator has
   * (failed or not); undefined when none is pending. shm's Free releases the
   * shared area only then: what is pending at a Free completes (MPI-4.1 §7.4.3).
   */
  settled?(): Promise<void> | undefined;
  barrier(): Promise<void>;
  /** `buf` is the root's data on the root and the landing place elsewhere. */
  bcast(buf: Uint8Array, root: number): Promise<void>;
  /**
   * Block `i` (bytes `displs[i]` to `displs[i] + counts[i]` of `recv`) comes from rank `i`.
   * `send` undefined means in place: the root's own block is already in `recv`.
   * `recv`, `counts` and `displs` matter on the root only; off it, `counts`
   * are given for a call of equal blocks alone (`Gather`, not `Gatherv`),
   * so that a transport can take its uniform call on every rank alike.
   */
  gatherv(send: Uint8Array | undefined, recv: Uint8Array | undefined, counts: readonly number[] | undefined,
    displs: readonly number[] | undefined, root: number): Promise<void>;
  /**
   * The root sends block `i` of `send` to rank `i`; `recv` undefined means
   * in place at the root. `counts` off the root as in {@link gatherv}.
   */
  scatterv(send: Uint8Array | undefined, counts: readonly number[] | undefined, displs: readonly number[] | undefined,
    recv: Uint8Array | undefined, root: number): Promise<void>;
  /** Everybody gathers block `i` from rank `i`; `send` undefined: own block already in place. */
  allgatherv(send: Uint8Array | undefined, recv: Uint8Array, counts: readonly number[], displs: readonly number[]): Promise<void>;
  /** Rank `i` sends block `j` of its `send` to rank `j`, who puts it at block `i` of `recv`. */
  alltoallv(send: Uint8Array | undefined, sendCounts: readonly number[], sendDispls: readonly number[],
    recv: Uint8Array, recvCounts: readonly number[], recvDispls: readonly number[]): Promise<void>;
  /** Reduces `count` elements; `send` undefined means in place (data in `recv`). `recv` is the root's. */
  reduce(send: TypedArray | undefined, recv: TypedArray | undefined, count: number, datatype: Datatype, op: Op,
    root: number): Promise<void>;
  allreduce(send: TypedArray | undefined, recv: TypedArray, count: number, datatype: Datatype, op: Op): Promise<void>;
  /** Reduces `sum(counts)` elements and leaves block `i` of the result on rank `i`. */
  reduceScatter(send: TypedArray | undefined, recv: TypedArray, counts: readonly number[], datatype: Datatype,
    op: Op): Promise<void>;
  /** Inclusive (`exclusive` false) or exclusive prefix reduction in rank order. */
  scan(send: TypedArray | undefined, recv: TypedArray, count: number, datatype: Datatype, op: Op,
    exclusive: boolean): Promise<void>;
}

/**
 * The shared area of one communicator, as one rank sees it: words in shared
 * memory on which the collective layer runs barriers and collectives of small
 * data (`collective/shared_area.ts`), offered where ranks share memory (shm:
 * `shm/shared_area.ts`).
 */
export interface SharedArea {
  /** `unset` until the first call that can use it; then `shared`, or `messages` when none was left. */
  readonly mode: 'unset' | 'shared' | 'messages';
  /** On rank 0 at the first call: takes an area for the communicator and says which (-1: none left). */
  claim(): number;
  /** On every rank at the first call: uses the area rank 0 took (-1: messages). */
  attach(slot: number): void;
  /** Raises member `rank`'s barrier flag of `round` to `epoch`, waking that rank if it sleeps. */
  raise(rank: number, round: number, epoch: number): void;
  /** An operation that completes once this rank's barrier flag of `round` reaches `epoch`, raised by member `from`. */
  arrival(round: number, epoch: number, from: number): Operation;
  /**
   * Arrives at this rank's next central-counter barrier on the area (one
   * `Atomics.add` on a counter every member adds to; the last to arrive
   * wakes all sleeping members at once) and returns the operation that
   * completes once every member has arrived. Every member of a communicator
   * must use the same kind of barrier (the choice depends only on what all
   * know alike).
   */
  arrive(): Operation;
  /** Bytes a contribution to a small reduction may have. */
  readonly contributionBytes: number;
  /**
   * Contribution blocks per member, used in turn: a member writes the block
   * of small reduction `n` again for `n + blocks`, once every member has read
   * `n`; so far can a rank run ahead of the slowest.
   */
  readonly blocks: number;
  /**
   * More ranks than cores, the same on every rank: the waits of a fast path
   * yield the core between looks (see `yieldCore`), and barriers take the
   * central counter.
   */
  readonly oversubscribed: boolean;
  /**
   * With more ranks than cores, where the transport can: gives this rank's
   * core to another runnable rank (the system's `sched_yield`). A fast path
   * calls it between looks at what it waits for (`spinUntil`): the rank it
   * waits for most likely waits for a core. Undefined otherwise.
   */
  readonly yieldCore: (() => unknown) | undefined;
  /**
   * True when the last exchange this rank finished on the area had a
   * contribution from every member: then every member has read all earlier
   * ones (each reads before it contributes again). Kept by the algorithms.
   */
  settled: boolean;
  /**
   * An exchange that every member has read, and all before it: the lowest
   * read mark this rank saw at its last look at them all ({@link lowestRead}).
   * Read marks only grow, so it stays true. Kept by the algorithms. At first
   * `-blocks`, below what the first exchange asks for (`1 - blocks`): the
   * first call looks, and V8 has seen that look by the time it optimizes
   * the fast paths, however many blocks there are.
   */
  readFloor: number;
  /**
   * The lowest read mark of the members, when every member has read
   * exchange `since` (at least `since`).
   */
  lowestRead(since: number): number;
  /**
   * The broadcast on the area this rank was last the root of, until its next
   * call on the area checks that no member wrote its own block for it (0:
   * none). Kept by the algorithms.
   */
  rootedBroadcast: number;
  /** Numbers this rank's next small reduction on the communicator (1, 2, ...: the same on every rank). */
  nextReduction(): number;
  /**
   * Publishes this rank's contribution to reduction `number` of the call with
   * tag `tag` (undefined: one too large for the area). `wake` says whom it
   * wakes if asleep: `'all'` for the only contribution (a broadcast's root);
   * a member's rank for a gather's root, which reads each contribution as
   * it comes; by default (an exchange, where every member contributes)
   * everyone, from the contribution that completes the set. With a `wake`,
   * this rank reads nothing of the reduction (a broadcast's root, a
   * gather's member): its read mark goes with the contribution, and it
   * calls no {@link markRead}.
   */
  contribute(number: number, tag: number, data: Uint8Array | undefined, wake?: 'all' | number): void;
  /**
   * A contribution of more than a block, by reference: publishes where
   * `data` lies, when it lies in memory every member can read (on shm, the
   * shared heap of `MPI.alloc`); false, publishing nothing, otherwise. The
   * members read it in place ({@link contributionData}), so its writer must
   * not change it before every member has read it ({@link readBy}). `wake`
   * as in {@link contribute}: `'all'` for a broadcast's root, which reads
   * nothing; none for an exchange's.
   */
  contributeReference(number: number, tag: number, data: Uint8Array, wake?: 'all'): boolean;
  /**
   * An operation that completes once member `from` has published its
   * contribution to reduction `number`; `alone`: the contribution is a
   * broadcast's, the only one (the waits of an exchange need every member,
   * and may sleep at once).
   */
  contributed(from: number, number: number, alone?: boolean): Operation;
  /** Whether member `from`'s block for reduction `number` holds that very reduction's contribution. */
  holds(from: number, number: number): boolean;
  /** The tag of the call of member `from`'s contribution to reduction `number`. */
  contributionTag(from: number, number: number): number;
  /**
   * The length of member `from`'s contribution to reduction `number`, or -1 when it was too large;
   * more than {@link contributionBytes} for one by reference ({@link contributeReference}).
   */
  contributionLength(from: number, number: number): number;
  /** The first `bytes` bytes of member `from`'s contribution to reduction `number` (where its writer keeps it, by reference). */
  contributionData(from: number, number: number, bytes: number): Uint8Array;
  /** Says that this rank has read all it reads of reduction `number`; the last member to do so wakes sleeping members. */
  markRead(number: number): void;
  /** An operation that completes once member `from` has read all it reads of reduction `number`. */
  readBy(from: number, number: number): Operation;
}

/**
 * Collectives built over point-to-point: given an endpoint on a context of
 * its own and, where ranks share memory, the communicator's shared area. A
 * transport without collectives of its own is handed one at start-up.
 */
export type CollectivesFactory = (channel: Endpoint, sharedArea: SharedArea | undefined) => Collectives;

/** A way of running ranks: what the environment picks at start-up. */
export interface Transport {
  /** `'shm'` (embedded, worker threads) or `'mpi'` (native MPI library). */
  readonly name: 'shm' | 'mpi';
  /** Rank of this process or thread in `COMM_WORLD`. */
  readonly worldRank: number;
  readonly worldSize: number;
  /** Endpoint of `MPI.COMM_WORLD`. */
  readonly world: Endpoint;
  /** Endpoint of `MPI.COMM_SELF`. */
  readonly self: Endpoint;
  /** The intercommunicator to the ranks that spawned this one, if any (`MPI_Comm_get_parent`). */
  readonly parent: InterEndpoint | undefined;
  /**
   * A typed array of `length` elements in memory this transport moves with
   * fewest copies (`MPI.alloc`): the shared heap on shm, plain memory on mpi.
   */
  alloc<T extends TypedArray>(arrayType: { new (buffer: ArrayBufferLike, byteOffset: number, length: number): T;
    readonly BYTES_PER_ELEMENT: number }, length: number): T;
  /** Ends the whole job with `code` (MPI-4.1 §9.5 `MPI_Abort`). Never returns. */
  abort(code: number, reason: string): never;
  /** `MPI_Get_processor_name`. */
  processorName(): string;
  /** `MPI_Get_library_version`. */
  libraryVersion(): string;
  /** `MPI_Wtick`: resolution of `MPI.Wtime` in seconds. */
  wtick(): number;
  /**
   * Optional: a predefined attribute of `COMM_WORLD` as the MPI library sets it
   * (MPI-4.1 §7.7.2, §11.10.1: `'UNIVERSE_SIZE'`, `'APPNUM'`,
   * `'WTIME_IS_GLOBAL'`, `'HOST'`, `'IO'`); undefined when unset. A transport
   * without it leaves the API its own answers.
   */
  worldAttribute?(name: string): number | undefined;
  /** Optional: `MPI_Is_thread_main` (MPI-4.1 §11.2.1); without it, the main thread of the rank is. */
  isThreadMain?(): boolean;
  /**
   * `MPI_Get_address` (MPI-4.1 §5.1.5) of the first byte of `view`: an address
   * in this rank's address space, the displacement that names the byte in a
   * dynamic window (§12.2.4). Views of one buffer differ by their byte offsets.
   */
  address(view: ArrayBufferView): number;
  /**
   * Optional: microseconds by which this rank's clock (`monotonicMicros`,
   * src/observe/clock.ts) runs ahead of world rank 0's, estimated when the
   * transport started if {@link CLOCK_SYNC_ENV} asked for it (ranks on other
   * hosts). Absent or 0: one clock.
   */
  readonly clockOffset?: number;
  /** Port names, the name service and `Comm.Join` (MPI-4.1 §11.9, §11.10.5). */
  readonly ports: PortService;
  /** Optional (mpi): `MPI_File_delete` (MPI-4.1 §14.2.3); without it, the API layer unlinks the file itself. */
  deleteFile?(path: string, call: string): void;
}

/** `1`: a transport whose ranks may have clocks of their own estimates {@link Transport.clockOffset} as it starts. */
export const CLOCK_SYNC_ENV = 'MPI4TS_CLOCK_SYNC';

/** Work to run once this rank's transport has started ({@link afterTransportStart}). */
const startWork: (() => void)[] = [];
let transportHasStarted = false;

/**
 * Runs `work` once this rank's transport has started (at once if it has):
 * when the user's script first touches MPI, so after it has loaded. The
 * launcher settles the young generation there (`launcher/young_generation.ts`),
 * so that the objects that loading the script left are promoted before the
 * script's first loop rather than in it. No MPI-4.1 section: launcher support.
 *
 * @example
 * ```ts
 * afterTransportStart(() => settleYoungGeneration());
 * ```
 */
export function afterTransportStart(work: () => void): void {
  if (transportHasStarted) work();
  else startWork.push(work);
}

/** Called by the composition root (`src/environment.ts`) once the transport has started: runs {@link afterTransportStart}'s work. */
export function transportStarted(): void {
  transportHasStarted = true;
  for (const work of startWork.splice(0)) work();
}
