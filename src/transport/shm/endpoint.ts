/**
 * Communicators on the shm transport: a context id and groups of world ranks.
 *
 * MPI-4.1 §7.1 (contexts separate the traffic of communicators), §7.4.2
 * (`MPI_Comm_split`, `MPI_Comm_create_group`), §7.6 (intercommunicators:
 * `MPI_Intercomm_create`, `MPI_Intercomm_merge`), §11.8.2 (`MPI_Comm_spawn`),
 * §11.8.3 (`MPI_Comm_spawn_multiple`), §11.9.2-3 (`MPI_Comm_accept`,
 * `MPI_Comm_connect`: the launcher brokers the meeting, launcher/ports.ts).
 *
 * Each communicator owns consecutive contexts: one for point-to-point, the
 * next for its collectives, the third for the library's own protocols, so
 * user messages never match anything else. Context ids come from a counter
 * in shared memory and are never reused. Groups made by one split are
 * disjoint, so they share one fresh context.
 *
 * @module
 */

import type { Bytes } from '../../buffer.js';
import { UNDEFINED } from '../../constants.js';
import { errors } from '../../errors.js';
import {
  type Collectives, type CollectivesFactory, type Endpoint, type SpawnApp, type Envelope, type InterEndpoint, type Operation, type PointToPoint, type Window,
  type WindowRequest, completeAll,
} from '../transport.js';
import type { ShmEngine } from './engine.js';
import { hasLauncher, requestPort, requestSpawn } from './launcher_link.js';
import { ShmSharedArea } from './shared_area.js';
import { createShmWindow } from './window.js';

/** The API call of each window flavor, for error messages. */
const windowCall = { create: 'Win.Create', allocate: 'Win.Allocate', shared: 'Win.Allocate_shared',
  dynamic: 'Win.Create_dynamic' } as const;

const ANY = -1;
/** Tag of the library's own messages on auxiliary contexts. */
const PROTOCOL_TAG = 0x3ffffff0;

function inverse(engine: ShmEngine, group: Int32Array): Int32Array {
  const rankOf = new Int32Array(engine.size).fill(-1);
  group.forEach((world, rank) => { rankOf[world] = rank; });
  return rankOf;
}

function int32Bytes(values: Int32Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/** Receives a whole message of Int32 values. */
async function receiveInts(channel: PointToPoint, source: number, tag: number): Promise<Int32Array> {
  const op = channel.irecv(undefined, source, tag);
  await completeAll([op]);
  const data = op.data!;
  return new Int32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
}

/** Point-to-point from a local group to an addressed group under one context. */
class ShmPointToPoint implements PointToPoint {
  readonly rank: number;
  readonly size: number;
  readonly remoteSize: number;
  /** Eager messages are copied into the ring; longer ones stream from the caller's memory (pipeline.ts). */
  readonly sendCopyLimit: number;
  /** World rank to rank in the addressed group, -1 for ranks outside it. */
  private readonly remoteRankOf: Int32Array;

  constructor(protected readonly engine: ShmEngine, readonly context: number, protected readonly group: Int32Array,
    protected readonly remoteGroup: Int32Array) {
    this.size = group.length;
    this.remoteSize = remoteGroup.length;
    this.sendCopyLimit = engine.eagerLimit;
    this.rank = group.indexOf(engine.rank);
    this.remoteRankOf = inverse(engine, remoteGroup);
  }

  isend(data: Bytes, dest: number, tag: number, sync: boolean): Operation {
    return this.engine.isend(this.context, this.remoteGroup[dest]!, tag, data, sync, dest);
  }

  irecv(into: Bytes | undefined, source: number, tag: number): Operation {
    return this.engine.irecv(this.context, source === ANY ? ANY : this.remoteGroup[source]!, tag, into, this.remoteRankOf,
      source);
  }

  iprobe(source: number, tag: number): Envelope | undefined {
    const found = this.engine.iprobe(this.context, source === ANY ? ANY : this.remoteGroup[source]!, tag);
    return found === undefined ? undefined
      : { source: this.remoteRankOf[found.source]!, tag: found.tag, byteLength: found.bytes };
  }

  async probe(source: number, tag: number): Promise<Envelope> {
    let found = this.iprobe(source, tag);
    if (found === undefined) {
      const label = `Probe(source=${source === ANY ? 'ANY_SOURCE' : source}, tag=${tag === ANY ? 'ANY_TAG' : tag})`;
      await this.engine.waitUntil({
        isReady: () => (found = this.iprobe(source, tag)) !== undefined,
        describe: () => label,
      });
    }
    return found!;
  }

  announce(tag: number, call: number): void {
    this.engine.announce(this.context, tag, call);
  }

  peerCall(rank: number, call: number): number | undefined {
    return this.engine.announcement(this.remoteGroup[rank]!, this.context, call);
  }

  worldRankOf(rank: number): number {
    return this.group[rank]!;
  }

  remoteWorldRankOf(rank: number): number {
    return this.remoteGroup[rank]!;
  }

  free(): void {
    // Context ids are never reused, so there is nothing to release.
  }
}

/**
 * The world ranks of `group` whose entry in `table` (rank `r`'s at `stride * r`:
 * color, then key) has `color`, ordered by key, then by rank: the members of
 * one communicator of an `MPI_Comm_split` (MPI-4.1 §7.4.2).
 */
function splitMembers(table: Int32Array, stride: number, color: number, group: Int32Array): Int32Array {
  const ranks: number[] = [];
  for (let r = 0; r < group.length; r++) if (table[stride * r] === color) ranks.push(r);
  ranks.sort((a, b) => table[stride * a + 1]! - table[stride * b + 1]! || a - b);
  return Int32Array.from(ranks, (r) => group[r]!);
}

/** The shm side of one intracommunicator. */
export class ShmEndpoint extends ShmPointToPoint implements Endpoint {
  private collectiveEndpoint: Collectives | undefined;
  private auxiliaryEndpoint: ShmEndpoint | undefined;
  private sharedArea: ShmSharedArea | undefined;

  /**
   * @param group - world ranks of the members, in rank order
   * @param collectivesOf - builds the collectives over the collective context
   */
  constructor(engine: ShmEngine, context: number, group: Int32Array, private readonly collectivesOf: CollectivesFactory) {
    super(engine, context, group, group);
  }

  get collectives(): Collectives {
    if (this.collectiveEndpoint === undefined) {
      if (this.size > 1) this.sharedArea = new ShmSharedArea(this.engine, this.group, this.rank);
      this.collectiveEndpoint = this.collectivesOf(
        new ShmEndpoint(this.engine, this.context + 1, this.group, this.collectivesOf), this.sharedArea);
    }
    return this.collectiveEndpoint;
  }

  override free(): void {
    const area = this.sharedArea;
    if (area === undefined) return;
    // Collectives called before the Free complete (MPI-4.1 §7.4.3), and they may still use the shared area.
    const pending = this.collectiveEndpoint?.settled?.();
    if (pending === undefined) area.release();
    else void pending.then(() => area.release());
  }

  get auxiliary(): ShmEndpoint {
    this.auxiliaryEndpoint ??= new ShmEndpoint(this.engine, this.context + 2, this.group, this.collectivesOf);
    return this.auxiliaryEndpoint;
  }

  /** A window over this endpoint's ranks (`window.ts`). */
  createWindow(request: WindowRequest): Promise<Window> {
    return createShmWindow(this, request, windowCall[request.flavor], this.engine.heaps);
  }

  async split(color: number, key: number): Promise<Endpoint | undefined> {
    // Everybody learns everybody's (color, key); rank 0 adds a fresh context
    // for all the new communicators (their groups are disjoint, so they can share it).
    const mine = Int32Array.of(color, key, this.rank === 0 ? this.engine.allocateContext() : 0);
    const all = new Int32Array(3 * this.size);
    const counts = new Array<number>(this.size).fill(12);
    await this.collectives.allgatherv(int32Bytes(mine), int32Bytes(all), counts, counts.map((_, i) => 12 * i));
    if (color === UNDEFINED) return undefined;
    return new ShmEndpoint(this.engine, all[2]!, splitMembers(all, 3, color, this.group), this.collectivesOf);
  }

  async createGroup(members: readonly number[], tag: number): Promise<Endpoint> {
    // The first member allocates the context and hands it to the others.
    const channel = this.auxiliary;
    const protocolTag = PROTOCOL_TAG - 1 - (tag & 0xffff);
    let context: number;
    if (members[0] === this.rank) {
      context = this.engine.allocateContext();
      await completeAll(members.slice(1).map((r) => channel.isend(int32Bytes(Int32Array.of(context)), r, protocolTag, false)));
    } else {
      context = (await receiveInts(channel, members[0]!, protocolTag))[0]!;
    }
    return new ShmEndpoint(this.engine, context, Int32Array.from(members, (r) => this.group[r]!), this.collectivesOf);
  }

  async createIntercomm(localLeader: number, peer: PointToPoint, remoteLeader: number, tag: number): Promise<InterEndpoint> {
    // The leaders swap their groups and a context each through the peer
    // communicator; the smaller context wins. Then each leader tells its group.
    let message: Int32Array;
    if (this.rank === localLeader) {
      const offer = Int32Array.of(this.engine.allocateContext(), ...this.group);
      const send = peer.isend(int32Bytes(offer), remoteLeader, tag, false);
      const theirs = await receiveInts(peer, remoteLeader, tag);
      await completeAll([send]);
      message = Int32Array.of(Math.min(offer[0]!, theirs[0]!), ...theirs.subarray(1));
      const channel = this.auxiliary;
      await completeAll(this.others(localLeader).map((r) => channel.isend(int32Bytes(message), r, PROTOCOL_TAG, false)));
    } else {
      message = await receiveInts(this.auxiliary, localLeader, PROTOCOL_TAG);
    }
    return new ShmInterEndpoint(this.engine, message[0]!, this.group, message.slice(1), this.collectivesOf);
  }

  spawn(command: string, args: readonly string[], maxprocs: number, root: number): Promise<InterEndpoint> {
    return this.spawnApps('Comm.Spawn', [{ command, args, maxprocs }], root);
  }

  spawnMultiple(apps: readonly SpawnApp[], root: number): Promise<InterEndpoint> {
    return this.spawnApps('Comm.Spawn_multiple', apps, root);
  }

  private async spawnApps(call: string, apps: readonly SpawnApp[], root: number): Promise<InterEndpoint> {
    // The root asks the launcher; everybody learns the children's ranks, or the failure.
    const answer = await this.fromRoot(root, async () => {
      const context = this.engine.allocateContext();
      if (!hasLauncher()) throw new Error(`${call.slice(5)} needs the mpi4ts launcher: start the job with npx mpi4ts`);
      const first = apps[0]!;
      const ranks = await requestSpawn({ command: first.command, args: first.args,
        maxprocs: apps.reduce((n, app) => n + app.maxprocs, 0), parents: Array.from(this.group), context,
        childContext: this.engine.allocateContext(), ...(apps.length > 1 || call !== 'Comm.Spawn' ? { apps } : {}) });
      return [context, ...ranks];
    });
    if (typeof answer === 'string') throw errors.spawn(call, answer);
    return new ShmInterEndpoint(this.engine, answer[0]!, this.group, answer.slice(1), this.collectivesOf);
  }

  accept(port: string, root: number): Promise<InterEndpoint> {
    return this.meet('accept', port, root);
  }

  connect(port: string, root: number): Promise<InterEndpoint> {
    return this.meet('connect', port, root);
  }

  /** `Accept`/`Connect`: the root meets the other group's root through the launcher, then tells its group. */
  private async meet(op: 'accept' | 'connect', port: string, root: number): Promise<InterEndpoint> {
    const call = op === 'accept' ? 'Comm.Accept' : 'Comm.Connect';
    const answer = await this.fromRoot(root, async () => {
      if (!hasLauncher()) throw new Error(`${call.slice(5)} needs the mpi4ts launcher: start the job with npx mpi4ts`);
      const met = await requestPort({ op, port, group: Array.from(this.group),
        context: op === 'accept' ? this.engine.allocateContext() : 0 });
      return [met.context, ...met.group];
    });
    if (typeof answer === 'string') throw errors.port(call, answer);
    return new ShmInterEndpoint(this.engine, answer[0]!, this.group, answer.slice(1), this.collectivesOf);
  }

  /**
   * Runs `work` at `root` and sends every other rank its numbers, or the
   * message of its failure (as negative bytes); resolves with the one or the
   * other on every rank.
   */
  private async fromRoot(root: number, work: () => Promise<number[]>): Promise<Int32Array | string> {
    let answer: Int32Array;
    if (this.rank === root) {
      let failure = '';
      let values: number[] = [];
      try {
        values = await work();
      } catch (error) {
        failure = error instanceof Error ? error.message : String(error);
      }
      answer = failure === '' ? Int32Array.from(values) : Int32Array.from(Buffer.from(failure, 'utf8'), (b) => -1 - b);
      const channel = this.auxiliary;
      await completeAll(this.others(root).map((r) => channel.isend(int32Bytes(answer), r, PROTOCOL_TAG, false)));
    } else {
      answer = await receiveInts(this.auxiliary, root, PROTOCOL_TAG);
    }
    if (answer.length === 0 || answer[0]! < 0) return Buffer.from(Array.from(answer, (v) => -1 - v)).toString('utf8');
    return answer;
  }

  private others(rank: number): number[] {
    return Array.from({ length: this.size }, (_, r) => r).filter((r) => r !== rank);
  }
}

/** The shm side of an intercommunicator: sends address the remote group. */
export class ShmInterEndpoint extends ShmPointToPoint implements InterEndpoint {
  private localEndpoint: ShmEndpoint | undefined;
  private channelEndpoint: ShmPointToPoint | undefined;

  /**
   * @param group - world ranks of the local group
   * @param remoteGroup - world ranks of the remote group
   * @param collectivesOf - builds the collectives of the communicators made from this one
   */
  constructor(engine: ShmEngine, context: number, group: Int32Array, remoteGroup: Int32Array,
    private readonly collectivesOf: CollectivesFactory) {
    super(engine, context, group, remoteGroup);
  }

  /** The local group on the third context: both groups use it, and they are disjoint. */
  get local(): ShmEndpoint {
    this.localEndpoint ??= new ShmEndpoint(this.engine, this.context + 2, this.group, this.collectivesOf);
    return this.localEndpoint;
  }

  override free(): void {
    this.localEndpoint?.free();
  }

  get channel(): PointToPoint {
    this.channelEndpoint ??= new ShmPointToPoint(this.engine, this.context + 1, this.group, this.remoteGroup);
    return this.channelEndpoint;
  }

  /** The local group's endpoint itself (third context): nothing else sends on it; its protocols use the contexts after it. */
  get localChannel(): PointToPoint {
    return this.local;
  }

  async merge(high: boolean): Promise<Endpoint> {
    // Leaders swap (high, context offer); the smaller offer wins. Equal flags: the group whose leader has the
    // lower world rank goes first.
    const decision = await this.leadersDecide(() => Int32Array.of(high ? 1 : 0, this.engine.allocateContext(), this.group[0]!),
      (offer, theirs) => {
        const mineFirst = offer[0]! !== theirs[0]! ? offer[0] === 0 : offer[2]! < theirs[2]!;
        return Int32Array.of(mineFirst ? 1 : 0, Math.min(offer[1]!, theirs[1]!));
      });
    const merged = decision[0] === 1 ? [...this.group, ...this.remoteGroup] : [...this.remoteGroup, ...this.group];
    return new ShmEndpoint(this.engine, decision[1]!, Int32Array.from(merged), this.collectivesOf);
  }

  async dup(): Promise<InterEndpoint> {
    // Leaders swap context offers; the smaller wins.
    const decision = await this.leadersDecide(() => Int32Array.of(this.engine.allocateContext()),
      (offer, theirs) => Int32Array.of(Math.min(offer[0]!, theirs[0]!)));
    return new ShmInterEndpoint(this.engine, decision[0]!, this.group, this.remoteGroup, this.collectivesOf);
  }

  async split(color: number, key: number): Promise<InterEndpoint | undefined> {
    // The leader gathers its group's (color, key) pairs; the leaders swap them with a context offer, the smaller
    // wins (the new intercommunicators are disjoint, so they share it), and every rank learns both tables.
    const local = this.local.auxiliary;
    const pair = Int32Array.of(color, key);
    let table: Int32Array | undefined;
    if (this.rank === 0) {
      const pairs = await Promise.all(Array.from({ length: this.size - 1 }, (_, i) => receiveInts(local, i + 1, PROTOCOL_TAG)));
      table = Int32Array.from([pair, ...pairs].flatMap((p) => Array.from(p)));
    } else {
      await completeAll([local.isend(int32Bytes(pair), 0, PROTOCOL_TAG, false)]);
    }
    const decision = await this.leadersDecide(() => Int32Array.of(this.engine.allocateContext(), ...table!),
      (offer, theirs) => Int32Array.of(Math.min(offer[0]!, theirs[0]!), ...offer.subarray(1), ...theirs.subarray(1)));
    if (color === UNDEFINED) return undefined;
    const remote = splitMembers(decision.subarray(1 + 2 * this.size), 2, color, this.remoteGroup);
    if (remote.length === 0) return undefined;
    return new ShmInterEndpoint(this.engine, decision[0]!, splitMembers(decision.subarray(1, 1 + 2 * this.size), 2, color,
      this.group), remote, this.collectivesOf);
  }

  /**
   * The two leaders (rank 0 of each group) swap offers over the channel
   * (`makeOffer` runs on the leaders only: it may allocate a context) and
   * `decide` from their own and the other's; each tells its group, which gets
   * the decision. Collective over both groups.
   */
  private async leadersDecide(makeOffer: () => Int32Array,
    decide: (offer: Int32Array, theirs: Int32Array) => Int32Array): Promise<Int32Array> {
    const local = this.local.auxiliary;
    if (this.rank !== 0) return receiveInts(local, 0, PROTOCOL_TAG);
    const offer = makeOffer();
    const send = this.channel.isend(int32Bytes(offer), 0, PROTOCOL_TAG, false);
    const theirs = await receiveInts(this.channel, 0, PROTOCOL_TAG);
    await completeAll([send]);
    const decision = decide(offer, theirs);
    await completeAll(Array.from({ length: this.size - 1 }, (_, i) =>
      local.isend(int32Bytes(decision), i + 1, PROTOCOL_TAG, false)));
    return decision;
  }
}
