/**
 * Recording a rank's MPI calls for `--trace` and `--profile`: installed once,
 * when the rank starts with `MPI4TS_OBSERVE_DIR` set, by wrapping the
 * communication calls of the API classes' prototypes (`Comm`, `Intracomm`,
 * `Intercomm`, the topology communicators, `Request`). A job that is not
 * observed runs the classes untouched: recording costs nothing when off.
 * With it on, a call costs a clock read before and after, and a record.
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

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker, workerData } from 'node:worker_threads';
import { Comm } from '../api/comm.js';
import type { Group } from '../api/group.js';
import { Intercomm } from '../api/intercomm.js';
import { Intracomm } from '../api/intracomm.js';
import { Request } from '../api/request.js';
import { Status } from '../api/status.js';
import { Cartcomm, Topocomm } from '../api/topology.js';
import { Distgraphcomm, Graphcomm } from '../api/graph.js';
import {
  type CallRecord, type MessageRecord, OBSERVE_DIR_ENV, OBSERVE_LABEL_ENV, OBSERVE_SITES_ENV, type RankPart, partFileName,
} from './events.js';
import { userFrames } from './frames.js';
import { STATE_BYTES, StateSlot, type WatchdogOptions, watchdogFromEnv } from './state.js';

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

const clock = (): number => (performance.timeOrigin + performance.now()) * 1000;

/** What the recorder needs of the top layer: this rank's world rank and the world's group. */
export interface RecorderHooks {
  readonly worldRank: () => number;
  readonly worldGroup: () => Group;
}

/** A receive posted by `Irecv`, waiting for the wait or test that completes it. */
interface PendingReceive {
  readonly comm: string;
  readonly order: number;
  readonly toWorld: (rank: number) => number | undefined;
}

class Recorder {
  readonly started = clock();
  readonly calls: CallRecord[] = [];
  readonly sends: MessageRecord[] = [];
  readonly receives: MessageRecord[] = [];
  rank = -1;
  order = 0;
  /** Above 0 while a recorded call runs its synchronous part: calls it makes are part of it. */
  depth = 0;
  /** `Waitall`s (and the other static waits) under way: the waits of single requests they make are theirs. */
  staticWaits = 0;
  readonly pending = new WeakMap<object, PendingReceive>();
  private readonly worlds = new WeakMap<object, (rank: number) => number | undefined>();

  constructor(private readonly hooks: RecorderHooks, readonly sites: boolean, readonly record: boolean,
    readonly state: StateSlot | undefined) {
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

  /** `file:line` of the first frame of the user's code. */
  site(): string | undefined {
    const frame = this.frames(1)[0];
    return frame === undefined ? undefined : /([^ (]+:\d+)\)?$/.exec(frame)?.[1];
  }

  receive(pending: PendingReceive, status: Status, at: number): void {
    const source = pending.toWorld(status.Get_source());
    if (source === undefined || status.Is_cancelled()) return;
    this.receives.push({ comm: pending.comm, peer: source, tag: status.Get_tag(), bytes: status.Get_count(), order: pending.order, at });
  }

  part(): RankPart {
    const label = process.env[OBSERVE_LABEL_ENV] ?? (this.rank >= 0 ? `rank ${this.rank}` : `process ${process.pid}`);
    return { rank: this.rank, label, start: this.started, end: clock(), calls: this.calls, sends: this.sends, receives: this.receives };
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
  return function (this: unknown, ...args: unknown[]): unknown {
    if (recorder.depth > 0 || (shape.kind === 'wait' && recorder.staticWaits > 0)) return original.apply(this, args);
    recorder.noteRank();
    const start = clock();
    const site = recorder.sites ? recorder.site() : undefined;
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
        recorder.sends.push({ comm: name_!, peer: dest, tag: typeof tag === 'number' ? tag : 0, bytes: bytes ?? 0, order: ++recorder.order, at: start });
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
      // One shape for every record (monomorphic, and cheap to make); JSON leaves the undefined fields out.
      const total = bytes === undefined && received === undefined ? undefined : (bytes ?? 0) + (received ?? 0);
      const record: CallRecord = {
        name, comm: name_, start, end, peer: typeof peer === 'number' ? peer : undefined, tag: typeof tag === 'number' ? tag : undefined,
        bytes: total, site,
      };
      recorder.calls.push(record);
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
  return new StateSlot(buffer, 0);
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
  const recorder = installed = new Recorder(hooks, process.env[OBSERVE_SITES_ENV] === '1', record, watchdog && watchState(watchdog));
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
  process.on('exit', () => {
    try {
      const part = recorder.part();
      writeFileSync(join(dir!, partFileName(part.label)), JSON.stringify(part));
    } catch (error) {
      process.stderr.write(`mpi4ts: could not write the trace part of this rank: ${String(error)}\n`);
    }
  });
}
