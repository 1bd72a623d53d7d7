/**
 * Recording a rank's MPI calls for `--trace` and `--profile`: installed once,
 * when the rank starts with `MPI4TS_OBSERVE_DIR` set, by wrapping the
 * communication calls of the API classes' prototypes (`Comm`, `Intracomm`,
 * `Intercomm`, the topology communicators, `Request`). A job that is not
 * observed runs the classes untouched: recording costs nothing when off.
 * With it on, a call costs a clock read before and after and a row of
 * numbers in a fixed buffer (no object per call: objects are made once, when
 * the rank writes its part). A call's site (`--profile`) needs a stack capture,
 * which costs tens of microseconds: the first {@link EXACT_SITES} calls of
 * each kind record theirs, and after that one call in {@link SITE_SAMPLING},
 * drawn at random (a loop alternating two sites must not alias), whose
 * record then stands for that many calls (`weight`).
 *
 * Each call gives a {@link CallRecord}; sends and receives also give a
 * {@link MessageRecord} each (world ranks, the order of posting), which the
 * launcher matches into flows after the run (`observe/trace.ts`). The
 * receive of a nonblocking `Irecv` is recorded when a wait or test
 * completes it, with the source and tag of its status. A call made inside
 * another recorded call is part of the outer one: a call made in the outer
 * call's synchronous part (`Probe` calling `probe`), and the waits of single
 * requests while a `Waitall` (`Waitany`, `Waitsome`) is under way (an
 * `AsyncLocalStorage` would tell async nesting apart in general, but slows
 * every Promise of the program).
 *
 * MPI-4.1 sections: none of its own; the calls recorded are those of
 * §3 (point-to-point), §6 (collectives) and §7 (communicators).
 *
 * Unfinished: `Win` (one-sided) calls, matched receives (`Message.Recv`),
 * persistent requests' `Start`, and `Test`/`Testall` (a polling loop would
 * flood the trace; their completions still record the receive).
 *
 * @module
 */

import { closeSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Worker, threadId, workerData } from 'node:worker_threads';
import { Comm } from '../api/comm.js';
import type { Group } from '../api/group.js';
import { Intercomm } from '../api/intercomm.js';
import { Intracomm } from '../api/intracomm.js';
import { Request } from '../api/request.js';
import { Status } from '../api/status.js';
import { Cartcomm, Topocomm } from '../api/topology.js';
import { Distgraphcomm, Graphcomm } from '../api/graph.js';
import {
  type CallRecord, EXACT_SITES, type MessageRecord, OBSERVE_DIR_ENV, OBSERVE_LABEL_ENV, OBSERVE_PROFILE_ENV, OBSERVE_SITES_ENV, OBSERVE_TRACE_ENV,
  type RankPart, SITE_SAMPLING, partFileName,
} from './events.js';
import { monotonicMicros } from './clock.js';
import { finishObservation, isPartFile, readParts } from './finish.js';
import { userFrames } from './frames.js';
import { STATE_BYTES, StateSlot, type WatchdogOptions, publishOwnState, watchdogFromEnv } from './state.js';

/** Where a call's arguments are: indices into its argument list. */
interface Shape {
  readonly kind: 'send' | 'recv' | 'sendrecv' | 'isend' | 'irecv' | 'call' | 'wait' | 'waits';
  /** The buffer spec (capitals) or value (lower case) sent. */
  readonly buf?: number;
  /** Destination (sends) or source (receives). */
  readonly peer?: number;
  readonly tag?: number;
  /** Source and tag of the receive of a sendrecv. */
  readonly source?: number;
  readonly recvtag?: number;
  /** The optional Status argument, supplied when the program gave none. */
  readonly status?: number;
}

const SEND: Shape = { kind: 'send', buf: 0, peer: 1, tag: 2 };
const ISEND: Shape = { kind: 'isend', buf: 0, peer: 1, tag: 2 };
const POINT_TO_POINT: Readonly<Record<string, Shape>> = {
  Send: SEND, Ssend: SEND, Bsend: SEND, Rsend: SEND, send: SEND, ssend: SEND, bsend: SEND,
  Isend: ISEND, Issend: ISEND, Ibsend: ISEND, Irsend: ISEND, isend: ISEND, issend: ISEND, ibsend: ISEND,
  Recv: { kind: 'recv', peer: 1, tag: 2, status: 3 },
  recv: { kind: 'recv', peer: 0, tag: 1, status: 2 },
  Irecv: { kind: 'irecv', peer: 1, tag: 2 },
  irecv: { kind: 'irecv', peer: 0, tag: 1 },
  Sendrecv: { kind: 'sendrecv', buf: 0, peer: 1, tag: 2, source: 4, recvtag: 5, status: 6 },
  Sendrecv_replace: { kind: 'sendrecv', buf: 0, peer: 1, tag: 2, source: 3, recvtag: 4, status: 5 },
  sendrecv: { kind: 'sendrecv', buf: 0, peer: 1, tag: 2, source: 3, recvtag: 4, status: 5 },
  probe: { kind: 'call', peer: 0, tag: 1 }, Probe: { kind: 'call', peer: 0, tag: 1 },
  iprobe: { kind: 'call', peer: 0, tag: 1 }, Iprobe: { kind: 'call', peer: 0, tag: 1 },
  mprobe: { kind: 'call', peer: 0, tag: 1 }, Mprobe: { kind: 'call', peer: 0, tag: 1 },
  improbe: { kind: 'call', peer: 0, tag: 1 }, Improbe: { kind: 'call', peer: 0, tag: 1 },
};
/** Collectives and communicator constructors, recorded with their communicator. */
const COLLECTIVE = new RegExp('^(i?barrier|i?bcast|i?gatherv?|i?scatterv?|i?allgatherv?|i?alltoall[vw]?|i?reduce|i?allreduce|' +
  'i?reduce_scatter(_block)?|i?scan|i?exscan|i?neighbor_\\w+|dup|dup_with_info|idup|split|split_type|create|create_group|' +
  'create_intercomm|create_cart|create_graph|create_dist_graph(_adjacent)?|merge|disconnect|spawn|spawn_multiple|' +
  'accept|connect|abort)$', 'i');
const WAITS = ['Wait', 'wait'];
const STATIC_WAITS = ['Waitall', 'waitall', 'Waitany', 'waitany', 'Waitsome', 'waitsome'];

const CLASS_NAMES = new Map<object, string>([
  [Comm.prototype, 'Comm'], [Intracomm.prototype, 'Comm'], [Intercomm.prototype, 'Comm'], [Topocomm.prototype, 'Comm'],
  [Cartcomm.prototype, 'Comm'], [Graphcomm.prototype, 'Comm'], [Distgraphcomm.prototype, 'Comm'],
]);

const clock = monotonicMicros;

/** What the recorder needs of the top layer: this rank's world rank and the world's group. */
export interface RecorderHooks {
  readonly worldRank: () => number;
  readonly worldGroup: () => Group;
  /** The size of the world (asked only once MPI has started). */
  readonly worldSize: () => number;
  /** Microseconds this rank's clock runs ahead of world rank 0's (0 on one clock), asked when the part is written. */
  readonly clockOffset: () => number;
}

/** A receive posted by `Irecv`, waiting for the wait or test that completes it. */
interface PendingReceive {
  readonly comm: string;
  readonly order: number;
  readonly toWorld: (rank: number) => number | undefined;
}

/** The fields of a call's row. */
const enum Call { NAME, COMM, START, END, PEER, TAG, BYTES, SITE, WEIGHT, FIELDS }
/** The fields of a message's row (a send or a receive). */
const enum Message { COMM, PEER, TAG, BYTES, ORDER, AT, FIELDS }
/** Rows a log holds in memory before it writes them to its file. */
const ROWS_IN_MEMORY = 4096;

/**
 * Records as rows of numbers (strings as ids into a {@link StringTable};
 * NaN or -1 for "none"), kept in one fixed Float64Array that is written to a
 * file in the observe directory each time it fills. Fresh memory is what a
 * record costs most (page faults cost more than the rest of a recorded call
 * on virtual machines), so the rows go through the same buffer again and
 * again, and the part is assembled from the file when the rank exits.
 */
class RowLog {
  private readonly rows: Float64Array;
  private used = 0;
  private file: number | undefined;

  constructor(readonly fields: number, private readonly path: string) {
    this.rows = new Float64Array(fields * ROWS_IN_MEMORY);
  }

  /** The offset of a new row in {@link buffer}. */
  add(): number {
    if (this.used === this.rows.length) this.spill();
    const at = this.used;
    this.used += this.fields;
    return at;
  }

  get buffer(): Float64Array {
    return this.rows;
  }

  private spill(): void {
    this.file ??= openSync(this.path, 'w');
    writeSync(this.file, this.rows, 0, this.used * Float64Array.BYTES_PER_ELEMENT);
    this.used = 0;
  }

  /** Every row written so far, in order (once, at the end). */
  all(): Float64Array {
    if (this.file === undefined) return this.rows.subarray(0, this.used);
    this.spill();
    closeSync(this.file);
    this.file = undefined;
    const bytes = readFileSync(this.path);
    rmSync(this.path, { force: true });
    // A Float64Array view needs an offset that is a multiple of 8 (a small read may come from Buffer's pool).
    const aligned = bytes.byteOffset % Float64Array.BYTES_PER_ELEMENT === 0 ? bytes : new Uint8Array(bytes);
    return new Float64Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / Float64Array.BYTES_PER_ELEMENT);
  }
}

/** Strings kept once, referred to by index from the rows. */
class StringTable {
  readonly values: string[] = [];
  private readonly index = new Map<string, number>();

  id(value: string): number {
    let id = this.index.get(value);
    if (id === undefined) {
      id = this.values.length;
      this.values.push(value);
      this.index.set(value, id);
    }
    return id;
  }
}

const numberOrNaN = (value: unknown): number => (typeof value === 'number' ? value : NaN);
const defined = (value: number): number | undefined => (Number.isNaN(value) ? undefined : value);

class Recorder {
  readonly started = clock();
  private readonly callLog: RowLog;
  private readonly sendLog: RowLog;
  private readonly receiveLog: RowLog;
  private readonly strings = new StringTable();
  /** Calls made so far per call name (id), for the sampling of sites. */
  private readonly callsOfName: number[] = [];
  rank = -1;
  order = 0;
  /** Above 0 while a recorded call runs its synchronous part: calls it makes are part of it. */
  depth = 0;
  /** `Waitall`s (and the other static waits) under way: the waits of single requests they make are theirs. */
  staticWaits = 0;
  readonly pending = new WeakMap<object, PendingReceive>();
  private readonly worlds = new WeakMap<object, (rank: number) => number | undefined>();

  /** @param dir - where the logs spill (the observe directory), with `record` */
  constructor(private readonly hooks: RecorderHooks, readonly sites: boolean, readonly record: boolean,
    readonly state: StateSlot | undefined, dir: string) {
    const file = (kind: string): string => join(dir, `${kind}-${process.pid}-${threadId}.bin`);
    this.callLog = new RowLog(Call.FIELDS, file('calls'));
    this.sendLog = new RowLog(Message.FIELDS, file('sends'));
    this.receiveLog = new RowLog(Message.FIELDS, file('receives'));
  }

  /** This rank's world rank, asked once the program has made a call. */
  noteRank(): void {
    if (this.rank < 0) {
      try {
        this.rank = this.hooks.worldRank();
      } catch {
        // Not initialized yet or finalized: asked again at the next call.
      }
    }
  }

  /** The id of a call's name in the part's strings. */
  nameId(name: string): number {
    return this.strings.id(name);
  }

  /** Translates ranks of `comm` (its remote group for an intercommunicator) into world ranks. */
  toWorld(comm: Comm): (rank: number) => number | undefined {
    const cached = this.worlds.get(comm);
    if (cached !== undefined) return cached;
    let table: readonly number[];
    try {
      const group = comm.Is_inter() ? (comm as Intercomm).Get_remote_group() : comm.Get_group();
      table = group.Translate_ranks(Array.from({ length: group.Get_size() }, (_, i) => i), this.hooks.worldGroup());
    } catch {
      table = [];
    }
    const translate = (rank: number): number | undefined => {
      const world = table[rank];
      return world === undefined || world < 0 ? undefined : world;
    };
    this.worlds.set(comm, translate);
    return translate;
  }

  /** The frames of the user's code, innermost first (see `userFrames`). */
  frames(max: number): string[] {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 40;
    const stack = new Error().stack ?? '';
    Error.stackTraceLimit = limit;
    return userFrames(stack, max);
  }

  /**
   * The weight of this call's site: 0 when it is not taken (sites off, or
   * not drawn), else how many calls of its kind the site stands for.
   */
  siteWeight(nameId: number): number {
    if (!this.sites) return 0;
    const made = this.callsOfName[nameId] = (this.callsOfName[nameId] ?? 0) + 1;
    if (made <= EXACT_SITES) return 1;
    return Math.random() * SITE_SAMPLING < 1 ? SITE_SAMPLING : 0;
  }

  /** The id of `file:line` of the first frame of the user's code, or -1. */
  site(): number {
    const frame = this.frames(1)[0];
    const where = frame === undefined ? undefined : /([^ (]+:\d+)\)?$/.exec(frame)?.[1];
    return where === undefined ? -1 : this.strings.id(where);
  }

  /** Keeps one call's record. */
  call(nameId: number, comm: string | undefined, start: number, end: number, peer: number, tag: number, bytes: number,
    site: number, weight: number): void {
    const at = this.callLog.add();
    const row = this.callLog.buffer;
    row[at + Call.NAME] = nameId;
    row[at + Call.COMM] = comm === undefined ? -1 : this.strings.id(comm);
    row[at + Call.START] = start;
    row[at + Call.END] = end;
    row[at + Call.PEER] = peer;
    row[at + Call.TAG] = tag;
    row[at + Call.BYTES] = bytes;
    row[at + Call.SITE] = site;
    row[at + Call.WEIGHT] = weight;
  }

  /** Keeps a message sent to world rank `peer`. */
  send(comm: string, peer: number, tag: number, bytes: number, at: number): void {
    this.message(this.sendLog, comm, peer, tag, bytes, ++this.order, at);
  }

  receive(pending: PendingReceive, status: Status, at: number): void {
    const source = pending.toWorld(status.Get_source());
    if (source === undefined || status.Is_cancelled()) return;
    this.message(this.receiveLog, pending.comm, source, status.Get_tag(), status.Get_count(), pending.order, at);
  }

  private message(log: RowLog, comm: string, peer: number, tag: number, bytes: number, order: number, time: number): void {
    const at = log.add();
    const row = log.buffer;
    row[at + Message.COMM] = this.strings.id(comm);
    row[at + Message.PEER] = peer;
    row[at + Message.TAG] = tag;
    row[at + Message.BYTES] = bytes;
    row[at + Message.ORDER] = order;
    row[at + Message.AT] = time;
  }

  private messages(log: RowLog): MessageRecord[] {
    const rows = log.all();
    const text = this.strings.values;
    return Array.from({ length: rows.length / Message.FIELDS }, (_, i) => {
      const at = i * Message.FIELDS;
      return {
        comm: text[rows[at + Message.COMM]!]!, peer: rows[at + Message.PEER]!, tag: rows[at + Message.TAG]!,
        bytes: rows[at + Message.BYTES]!, order: rows[at + Message.ORDER]!, at: rows[at + Message.AT]!,
      };
    });
  }

  /** The calls as records (made once, when the part is written). */
  calls(): CallRecord[] {
    const rows = this.callLog.all();
    const text = this.strings.values;
    return Array.from({ length: rows.length / Call.FIELDS }, (_, i) => {
      const at = i * Call.FIELDS;
      const comm = rows[at + Call.COMM]!;
      const site = rows[at + Call.SITE]!;
      const weight = rows[at + Call.WEIGHT]!;
      return {
        name: text[rows[at + Call.NAME]!]!, comm: comm < 0 ? undefined : text[comm], start: rows[at + Call.START]!,
        end: rows[at + Call.END]!, peer: defined(rows[at + Call.PEER]!), tag: defined(rows[at + Call.TAG]!),
        bytes: defined(rows[at + Call.BYTES]!), site: site < 0 ? undefined : text[site], weight: weight > 1 ? weight : undefined,
      };
    });
  }

  part(): RankPart {
    const label = process.env[OBSERVE_LABEL_ENV] ?? (this.rank >= 0 ? `rank ${this.rank}` : `process ${process.pid}`);
    // On rank 0's clock: ranks on other hosts have clocks of their own (the transport's estimate).
    const offset = this.hooks.clockOffset();
    const calls = this.calls();
    const sends = this.messages(this.sendLog);
    const receives = this.messages(this.receiveLog);
    if (offset !== 0) {
      for (const call of calls) Object.assign(call, { start: call.start - offset, end: call.end - offset });
      for (const message of [...sends, ...receives]) Object.assign(message, { at: message.at - offset });
    }
    return { rank: this.rank, label, start: this.started - offset, end: clock() - offset, calls, sends, receives };
  }
}

/** Bytes of a buffer spec (`buf`, `[buf, datatype]`, `[buf, count, datatype]`, ...), when it says. */
function bytesOfSpec(spec: unknown): number | undefined {
  if (ArrayBuffer.isView(spec)) return spec.byteLength;
  if (!Array.isArray(spec) || !ArrayBuffer.isView(spec[0])) return undefined;
  const [view, count, datatype] = spec as [ArrayBufferView, unknown, unknown];
  const size = (datatype as { Get_size?: () => number } | undefined)?.Get_size?.();
  if (typeof count === 'number' && typeof size === 'number') return count * size;
  return view.byteLength;
}

function commName(comm: Comm): string {
  try {
    return comm.Get_name();
  } catch {
    return '?';
  }
}

function isThenable(value: unknown): value is Promise<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

type Method = (this: unknown, ...args: unknown[]) => unknown;

function replace(target: object, name: string, make: (original: Method) => Method): void {
  const descriptor = Object.getOwnPropertyDescriptor(target, name);
  if (descriptor === undefined || typeof descriptor.value !== 'function') return;
  Object.defineProperty(target, name, { ...descriptor, value: make(descriptor.value as Method) });
}

/** Wraps a call: records it, and the messages it sends and receives. */
function recordCall(recorder: Recorder, name: string, shape: Shape, original: Method): Method {
  const nameId = recorder.nameId(name);
  return function (this: unknown, ...args: unknown[]): unknown {
    if (recorder.depth > 0 || (shape.kind === 'wait' && recorder.staticWaits > 0)) return original.apply(this, args);
    recorder.noteRank();
    const start = clock();
    const weight = recorder.siteWeight(nameId);
    const site = weight > 0 ? recorder.site() : -1;
    const comm = this instanceof Comm ? this : undefined;
    const name_ = comm === undefined ? undefined : commName(comm);
    const toWorld = comm === undefined ? undefined : recorder.toWorld(comm);
    let status: Status | undefined;
    if (shape.status !== undefined) {
      status = args[shape.status] as Status | undefined;
      if (status === undefined) {
        status = new Status();
        while (args.length < shape.status) args.push(undefined);
        args[shape.status] = status;
      }
    }
    const peer = shape.peer === undefined ? undefined : args[shape.peer] as number | undefined;
    const tag = shape.tag === undefined ? undefined : args[shape.tag] as number | undefined;
    // A collective's bytes are those of its first buffer (a root's send buffer; nothing for IN_PLACE or values).
    const bytes = shape.kind === 'recv' || shape.kind === 'irecv' ? undefined : bytesOfSpec(args[shape.buf ?? 0]);
    if (recorder.record && (shape.kind === 'send' || shape.kind === 'isend' || shape.kind === 'sendrecv') && toWorld !== undefined && typeof peer === 'number') {
      const dest = toWorld(peer);
      if (dest !== undefined) {
        recorder.send(name_!, dest, typeof tag === 'number' ? tag : 0, bytes ?? 0, start);
      }
    }
    if (recorder.state !== undefined) {
      const what = [typeof peer === 'number' ? `${shape.kind === 'recv' || shape.kind === 'irecv' ? 'source' : 'dest'}=${peer}` : undefined,
        typeof tag === 'number' ? `tag=${tag}` : undefined, bytes === undefined ? undefined : `${bytes} bytes`,
        name_ === undefined ? undefined : `comm=${name_}`].filter((w) => w !== undefined).join(', ');
      recorder.state.enter([`${name}(${what})`, ...recorder.frames(8)].join('\n'), Date.now());
    }
    const receiveOrder = shape.kind === 'recv' || shape.kind === 'irecv' || shape.kind === 'sendrecv' ? ++recorder.order : 0;
    const done = (): void => {
      recorder.state?.leave(Date.now());
      if (!recorder.record) return;
      const end = clock();
      let received: number | undefined;
      if (status !== undefined && toWorld !== undefined && (shape.kind === 'recv' || shape.kind === 'sendrecv')) {
        // Just inside the call's end, so that the flow's end binds to this call's slice.
        recorder.receive({ comm: name_!, order: receiveOrder, toWorld }, status, Math.max(start, end - 0.5));
        received = status.Get_count();
      }
      const total = bytes === undefined && received === undefined ? NaN : (bytes ?? 0) + (received ?? 0);
      recorder.call(nameId, name_, start, end, numberOrNaN(peer), numberOrNaN(tag), total, site, weight);
    };
    let result: unknown;
    recorder.depth++;
    try {
      result = original.apply(this, args);
    } catch (error) {
      recorder.depth--;
      done();
      throw error;
    }
    recorder.depth--;
    if (shape.kind === 'waits' && isThenable(result)) {
      recorder.staticWaits++;
      result = result.finally(() => { recorder.staticWaits--; });
    }
    if (recorder.record && shape.kind === 'irecv' && result instanceof Request && toWorld !== undefined) {
      recorder.pending.set(result, { comm: name_!, order: receiveOrder, toWorld });
    }
    if (isThenable(result)) {
      return result.then((value) => {
        done();
        return value;
      }, (error: unknown) => {
        done();
        throw error;
      });
    }
    done();
    return result;
  };
}

let installed: Recorder | undefined;

/**
 * Where this rank publishes its current call for the watchdog: on shm the
 * launcher's shared buffer (in `workerData`), whose monitor reads it; under
 * mpiexec a buffer of its own, read by a watchdog thread it starts, which
 * reports for this rank alone (its timer runs while the rank computes).
 */
function watchState(options: WatchdogOptions): StateSlot {
  const shared = (workerData as { mpi4tsWatch?: { buffer: SharedArrayBuffer; index: number } } | null)?.mpi4tsWatch;
  if (shared !== undefined) return new StateSlot(shared.buffer, shared.index);
  const buffer = new SharedArrayBuffer(STATE_BYTES);
  const env = process.env;
  const label = `rank ${env.OMPI_COMM_WORLD_RANK ?? env.PMIX_RANK ?? env.PMI_RANK ?? env.SLURM_PROCID ?? process.pid}`;
  const thread = new Worker(new URL('./watchdog_thread.js', import.meta.url), { workerData: { buffer, label, options }, name: `${label} watchdog` });
  thread.unref();
  const slot = new StateSlot(buffer, 0);
  publishOwnState(slot);
  return slot;
}

/**
 * Starts recording this rank's calls when the launcher asked for it
 * (`MPI4TS_OBSERVE_DIR`); the rank's part is written there when it exits.
 * Called once by `mpi.ts`; does nothing otherwise.
 */
export function installRecorder(hooks: RecorderHooks): void {
  const dir = process.env[OBSERVE_DIR_ENV];
  const watchdog = watchdogFromEnv(process.env);
  const record = dir !== undefined && dir !== '';
  if ((!record && watchdog === undefined) || installed !== undefined) return;
  const recorder = installed = new Recorder(hooks, process.env[OBSERVE_SITES_ENV] === '1', record, watchdog && watchState(watchdog), dir ?? '');
  for (const [proto, prefix] of CLASS_NAMES) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      const shape = POINT_TO_POINT[name] ?? (COLLECTIVE.test(name) ? { kind: 'call' } satisfies Shape : undefined);
      if (shape !== undefined) replace(proto, name, (original) => recordCall(recorder, `${prefix}.${name}`, shape, original));
    }
  }
  for (const name of WAITS) replace(Request.prototype, name, (original) => recordCall(recorder, `Request.${name}`, { kind: 'wait' }, original));
  for (const name of STATIC_WAITS) replace(Request, name, (original) => recordCall(recorder, `Request.${name}`, { kind: 'waits' }, original));
  // Every completion of a request passes through its `finish`: there an Irecv's receive is recorded.
  replace(Request.prototype, 'finish', (original) => function (this: unknown, ...args: unknown[]): unknown {
    const pending = recorder.pending.get(this as object);
    if (pending === undefined) return original.apply(this, args);
    recorder.pending.delete(this as object);
    const status = (args[0] as Status | undefined) ?? new Status();
    const value = original.call(this, status);
    recorder.receive(pending, status, clock());
    return value;
  });
  if (!record) return;
  process.on('exit', (code) => {
    let part: RankPart;
    try {
      part = recorder.part();
      // Under another name first: world rank 0 of a job that mpiexec started reads the parts as they appear.
      const file = join(dir!, partFileName(part.label));
      writeFileSync(`${file}.${process.pid}.tmp`, JSON.stringify(part));
      renameSync(`${file}.${process.pid}.tmp`, file);
    } catch (error) {
      process.stderr.write(`mpi4ts: could not write the trace part of this rank: ${String(error)}\n`);
      return;
    }
    const trace = process.env[OBSERVE_TRACE_ENV];
    const profile = process.env[OBSERVE_PROFILE_ENV] === '1';
    if (code === 0 && part.rank === 0 && (trace !== undefined || profile)) mergeParts(dir!, hooks.worldSize(), trace, profile);
  });
}

/** How long world rank 0 waits for another rank's part, once none has come for that long, before it writes what it has. */
const PART_WAIT_MS = 60_000;

/**
 * World rank 0 of a job that mpiexec started directly, as it exits: waits
 * until the `size` ranks' parts are in `dir` (the others write theirs as
 * they exit), then writes the trace and prints the profile, and removes the
 * directory. A rank whose part has not come after {@link PART_WAIT_MS}
 * without news is left out, and the report says so.
 */
function mergeParts(dir: string, size: number, trace: string | undefined, profile: boolean): void {
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  let count = 0;
  let since = Date.now();
  let said = false;
  for (;;) {
    const now = readdirSync(dir).filter(isPartFile).length;
    if (now >= size) break;
    if (now > count) {
      count = now;
      since = Date.now();
    }
    if (!said && Date.now() - since > 5000) {
      said = true;
      writeSync(2, `mpi4ts: rank 0 waits for the trace parts of ${size - now} more rank${size - now === 1 ? '' : 's'}\n`);
    }
    if (Date.now() - since > PART_WAIT_MS) {
      writeSync(2, `mpi4ts: ${size - now} rank${size - now === 1 ? '' : 's'} wrote no trace part; the trace and profile leave ${size - now === 1 ? 'it' : 'them'} out\n`);
      break;
    }
    Atomics.wait(sleeper, 0, 0, 20);
  }
  try {
    writeSync(2, finishObservation(readParts(dir), trace, profile));
  } catch (error) {
    writeSync(2, `mpi4ts: could not write the trace: ${String(error)}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
