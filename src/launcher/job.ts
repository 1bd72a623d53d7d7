/**
 * A job on the shm transport: N ranks as worker threads of this process.
 *
 * The launcher allocates the job's shared memory, starts the ranks, forwards
 * their output line by line, and ends the job as a whole: when every rank has
 * finished cleanly it exits 0; when one throws, rejects unhandled, calls
 * `Abort` or exits non-zero, it stops the others and exits non-zero with a
 * message naming the rank; when every live rank is blocked in MPI calls that
 * no other rank can satisfy, it reports the deadlock (who waits for what) and
 * exits non-zero. A rank whose script is over stays until the messages it
 * queued are received; if their receivers never take them, that is a
 * deadlock too, and the report says what the rank still holds. The one
 * exception to "a failing rank ends the job": a worker that an
 * `mpi4ts/futures` pool spawned is reported to the rank that spawned it
 * (`pool-worker-exit`), whose pool fails that worker's tasks and goes on.
 *
 * Spawned ranks run in the free slots of the job's shared memory. The slot of
 * a spawned rank that has exited is free again once the messages it sent are
 * received (the rings into it are emptied), so a program may spawn and
 * disconnect for as long as it likes. A `Spawn` that finds too few free
 * slots grows the universe (`--universe-size` slots at first, default the
 * ranks plus 16): the launcher allocates a ring segment and the heaps of
 * the new slots and posts them to every live rank's growth port, then
 * starts the children (layout.ts). Only at the job's largest size (992
 * ranks) does a `Spawn` wait, up to {@link SPAWN_WAIT_MS}, for spawned ranks to exit before it
 * fails. The launcher keeps the count of live ranks in the control block,
 * so that ranks stop spinning in their waits once spawned ranks outnumber
 * the cores.
 *
 * The launcher also brokers client/server connections between groups of the
 * job (`Open_port`, `Accept`, `Connect`, the name service: ports.ts).
 *
 * Unfinished: the universe never shrinks (the slots of exited ranks are
 * reused instead).
 *
 * @module
 */

import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { MessageChannel, type MessagePort, Worker, type WorkerOptions } from 'node:worker_threads';
import type { RankMessage, RunNotice, SpawnReply, SpawnRequest } from '../transport/shm/launcher_link.js';
import type { GroupBoot, RankBoot } from '../transport/shm/transport.js';
import {
  Context, DEFAULT_EAGER_LIMIT, Global, type JobMemory, RankState, Slot, allocateJobMemory, defaultHeapBytes, maskBase,
  type RingSegment, discardRing, growUniverse, maskWords, rankBase, ringIsEmpty, waitTextOffset,
} from '../transport/shm/layout.js';
import type { LaunchOptions } from './cli.js';
import { LineForwarder } from './output.js';
import { DEADLOCK_EXIT_CODE } from '../transport/transport.js';
import type { ScriptBoot } from './script.js';
import type { Observation } from './observe.js';
import { OBSERVE_LABEL_ENV } from '../observe/events.js';
import { STATE_BYTES, StateSlot, type WatchdogOptions, rollCallEntry, watchdogFires } from '../observe/state.js';
import { WorkerStacks } from './stacks.js';
import { describeFailure, exitCodeMeaning } from './failure.js';
import { PortBroker } from './ports.js';
import { STDIN_KEY, StdinForwarder } from './stdin.js';
import type { WorkerExitNotice } from '../futures/protocol.js';
import { TranspileService } from '../typescript/service.js';
import { TRANSPILER_KEY } from '../typescript/register.js';
import { loadedFlag, nodeMajor, nodeOptionsWords, rankDefaultsApply, rankLoadFlags, rankV8Flags } from './v8flags.js';

const MONITOR_INTERVAL_MS = 100;
/** Free slots a job keeps for `Spawn` unless --universe-size says otherwise. */
const DEFAULT_SPAWN_ROOM = 16;
/** How long stopped ranks get before the launcher exits regardless. */
const STOP_GRACE_MS = 2000;
/** How long a `Spawn` that finds too few free slots waits for spawned ranks to exit. */
const SPAWN_WAIT_MS = 10_000;
/**
 * How long a rank's wait may sleep with its thread blocked before it parks
 * in the event loop: short enough not to hold up microtasks for long, long
 * enough for most exchanges (see ShmEngine.waitUntil).
 */
const BLOCK_MICROS = 20_000;

interface Rank {
  /** Slot in the job's shared memory. */
  readonly slot: number;
  /** How reports name it: `rank 3`, or `spawned rank 1 (slot 5)`. */
  readonly label: string;
  readonly worker: Worker;
  /** The launcher's end of the rank's growth port: the heaps of new slots go there. */
  readonly growth: MessagePort;
  readonly output: Promise<void>[];
  exited: boolean;
  /** Still loading the library: V8's compilers are off meanwhile (v8flags.ts). */
  loading: boolean;
  /**
   * For a worker of an `mpi4ts/futures` pool, the rank that spawned it: its
   * abnormal end is reported to that rank, whose pool fails the worker's
   * tasks, instead of ending the job.
   */
  poolManager?: Worker;
  /** The uncaught error that ended it, if one did. */
  failure?: string;
  /** Started by `Spawn`: its slot is reused once it has exited. */
  readonly spawned: boolean;
}

/** A `Spawn` waiting for free slots. */
interface PendingSpawn {
  readonly requester: Worker;
  readonly request: SpawnRequest;
  readonly deadline: number;
}

/** The script `MPIPoolExecutor` spawns its workers with. */
const POOL_WORKER = fileURLToPath(new URL('../futures/spawned.js', import.meta.url));

/** Runs a job to its end; resolves with the exit status for the launcher. */
export function runJob(options: LaunchOptions, observation?: Observation): Promise<number> {
  return new Job(options, observation).run();
}

class Job {
  private readonly memory: JobMemory & { heaps: SharedArrayBuffer[]; rings: RingSegment[] };
  /** Live ranks, and the ranks of the world that have exited (spawned ones are dropped once they exit). */
  private ranks: Rank[] = [];
  /** Output of exited spawned ranks still being forwarded. */
  private readonly finishingOutput = new Set<Promise<void>>();
  /** Per slot: taken (by a live rank, a rank of the world, or an exited spawned rank whose rings are not yet empty). */
  private readonly taken: boolean[];
  /** Slots of exited spawned ranks, free once the messages they sent are received. */
  private readonly vacated = new Set<number>();
  private readonly pendingSpawns: PendingSpawn[] = [];
  /** Ports, published names and the `Accept`/`Connect` calls waiting on ports (ports.ts). */
  private readonly ports = new PortBroker();
  private readonly control: Int32Array;
  private readonly cores = availableParallelism();
  /** Whether the ranks' young generation is settled at start-up: with the V8 defaults (v8flags.ts, young_generation.ts). */
  private readonly settleHeap: boolean;
  /** Every Node/V8 flag the user gave: `--node-options`, the launcher's own, `NODE_OPTIONS`. */
  private readonly userFlags: string[];
  /** The V8 flags that turn the compilers off while ranks load (`rankLoadFlags`, v8flags.ts); empty without the defaults. */
  private readonly loadFlags: string[];
  /** Ranks that have loaded and wait for the others that load beside them, to run their scripts. */
  private readonly loadedRanks: Rank[] = [];
  /** Compiles TypeScript for every thread of the job (one esbuild per job). */
  private readonly transpiler = new TranspileService();
  private failed = false;
  private failCode = 1;
  private finish!: (code: number) => void;
  private monitor: NodeJS.Timeout | undefined;

  constructor(private readonly options: LaunchOptions, private readonly observation?: Observation) {
    const capacity = Math.max(options.universeSize ?? options.ranks + DEFAULT_SPAWN_ROOM, options.ranks);
    this.settleHeap = rankDefaultsApply(process.env);
    this.userFlags = [...(options.nodeOptions ?? []), ...process.execArgv, ...nodeOptionsWords(process.env)];
    this.loadFlags = rankLoadFlags(this.userFlags, process.env);
    // A test hook: the largest universe, so that a test can reach it with a few ranks.
    const limit = Number(process.env['MPI4TS_TEST_MAX_UNIVERSE'] ?? Infinity);
    this.memory = allocateJobMemory(capacity, {
      eagerLimit: options.eagerLimit ?? DEFAULT_EAGER_LIMIT,
      heapBytes: options.heapSize ?? defaultHeapBytes(capacity),
    }, limit > 0 ? limit : undefined);
    this.control = new Int32Array(this.memory.control);
    this.taken = Array.from({ length: capacity }, (_, slot) => slot < options.ranks);
    if (options.watchdog !== undefined) {
      this.watch = { options: options.watchdog, buffer: new SharedArrayBuffer(capacity * STATE_BYTES), stacks: new WorkerStacks(), fired: false };
    }
  }

  /** `--watchdog`: the ranks' current calls (shared memory they write), sessions to their threads, and whether it has fired. */
  private readonly watch: { options: WatchdogOptions; buffer: SharedArrayBuffer; stacks: WorkerStacks; fired: boolean } | undefined;

  run(): Promise<number> {
    const done = new Promise<number>((resolveExit) => { this.finish = resolveExit; });
    const world = { context: Context.WORLD, group: Array.from({ length: this.options.ranks }, (_, r) => r) };
    const script: ScriptBoot = { script: resolve(this.options.script), args: this.options.args, module: this.options.module,
      settleHeap: this.settleHeap };
    // The launcher's stdin goes to rank 0 of the world, as mpiexec's does (stdin.ts).
    const stdin = new MessageChannel();
    const forwarder = new StdinForwarder(stdin.port1, () => process.stdin);
    for (let slot = 0; slot < this.options.ranks; slot++) {
      this.start(slot, `rank ${slot}`, world, undefined, script, undefined, undefined, slot === 0 ? stdin.port2 : undefined);
    }
    this.monitor = setInterval(() => this.watchForDeadlock(), MONITOR_INTERVAL_MS);
    return done.finally(() => forwarder.close());
  }

  private start(slot: number, label: string, world: GroupBoot, parent: GroupBoot | undefined, script: ScriptBoot,
    poolManager?: Worker, appnum?: number, stdin?: MessagePort): void {
    // Spinning helps latency only when every rank has a core of its own; then a wait spins up to a
    // millisecond, since a wake-up costs tens of microseconds. The engines compare the live ranks
    // (this count, spawned ranks included) with the cores at every wait. The choice of collective
    // algorithms must be the same on every rank of a communicator: it follows the job's size alone.
    Atomics.add(this.control, Global.LIVE_RANKS, 1);
    // V8's flags are the process's: the compilers stay off until every rank that loads has loaded.
    if (!this.ranks.some((r) => r.loading)) for (const flag of this.loadFlags) setFlagsFromString(flag);
    const channel = new MessageChannel();
    const transpiler = this.transpiler.connect();
    const mpi4ts: RankBoot = { rank: slot, memory: this.memory, tuning: {
      spinMicros: 1000, blockMicros: BLOCK_MICROS, oversubscribed: this.options.ranks > this.cores, cores: this.cores,
    }, world, parent, growth: channel.port2, ...(appnum === undefined ? {} : { appnum }) };
    const worker = this.newWorker({
      workerData: { mpi4ts, script, [TRANSPILER_KEY]: transpiler,
        ...(this.watch === undefined ? {} : { mpi4tsWatch: { buffer: this.watch.buffer, index: slot } }),
        ...(stdin === undefined ? {} : { [STDIN_KEY]: stdin }) },
      transferList: [channel.port2, transpiler, ...(stdin === undefined ? [] : [stdin])],
      // Inspectors, heap snapshots and CPU profiles show the thread by this name.
      name: label,
      ...(this.observation === undefined ? {} : { env: { ...process.env, ...this.observation.env, [OBSERVE_LABEL_ENV]: label } }),
      stdout: true,
      stderr: true,
      stdin: false,
    });
    const prefix = this.options.tagOutput ? `[${slot}] ` : '';
    const output = [
      new LineForwarder(worker.stdout, process.stdout, prefix).done,
      new LineForwarder(worker.stderr, process.stderr, prefix).done,
    ];
    const entry: Rank = { slot, label, worker, growth: channel.port1, output, exited: false, loading: true, poolManager,
      spawned: parent !== undefined };
    this.ranks.push(entry);
    worker.on('error', (error) => {
      if (poolManager === undefined) this.fail(entry, `${label} failed: ${describeFailure(error)}`, 1);
      else entry.failure = describeFailure(error);
    });
    worker.on('message', (message: RankMessage) => {
      if (message?.type === 'abort') {
        this.fail(entry, `${label} called Abort(${message.code}): ${message.reason}`, message.code || 1);
      } else if (message?.type === 'spawn') {
        this.spawn(worker, message);
      } else if (message?.type === 'port') {
        this.ports.meet(worker, message);
      } else if (message?.type === 'names') {
        this.ports.names(message);
      } else if (message?.type === 'loaded') {
        this.loaded(entry);
      }
    });
    worker.on('exit', (code) => this.exited(entry, code));
  }

  /** Node flags of the ranks' threads (`--node-options`); V8's flags, which a thread cannot take, go to V8 itself. */
  private execArgv: string[] | undefined;

  /**
   * A rank's worker thread with the `--node-options` flags. A worker takes
   * Node's per-thread options only: V8's flags (`--stack-size`,
   * `--expose-gc`, ...) are set in this process with `v8.setFlagsFromString`
   * instead, before the thread starts, and apply to its isolate too. Before
   * the first rank, mpi4ts's own V8 flags (`rankV8Flags`, v8flags.ts) are set
   * the same way, so the user's come after them and win.
   */
  private newWorker(options: WorkerOptions): Worker {
    const script = new URL('./worker.js', import.meta.url);
    if (this.execArgv === undefined) {
      // mpi4ts's V8 flags for the ranks (v8flags.ts), once, before the first rank and the user's own V8 flags.
      for (const flag of rankV8Flags(this.userFlags, process.env, nodeMajor())) setFlagsFromString(flag);
    }
    this.execArgv ??= [...(this.options.nodeOptions ?? [])];
    if (this.execArgv.length === 0) return new Worker(script, options);
    try {
      return new Worker(script, { ...options, execArgv: this.execArgv });
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw error;
      const invalid = /flags: (.*)$/.exec((error as Error).message)?.[1]?.split(', ') ?? [];
      for (const flag of invalid) setFlagsFromString(flag);
      this.execArgv = this.execArgv.filter((flag) => !invalid.includes(flag));
      if (invalid.length === 0) throw error;
      return this.newWorker(options);
    }
  }

  /**
   * Starts the ranks a `Spawn` asks for, in free slots, and answers with
   * their slots; waits for spawned ranks to exit when too few slots are free.
   */
  private spawn(requester: Worker, request: SpawnRequest): void {
    const answer = (reply: Omit<SpawnReply, 'type' | 'id'>): void => {
      const message: SpawnReply = { type: 'spawned', id: request.id, ...reply };
      requester.postMessage(message);
    };
    if (!Number.isInteger(request.maxprocs) || request.maxprocs < 1) {
      answer({ error: `maxprocs must be a positive integer, got ${request.maxprocs}` });
      return;
    }
    const bad = request.apps?.find((app) => !Number.isInteger(app.maxprocs) || app.maxprocs < 1);
    if (bad !== undefined) {
      answer({ error: `maxprocs must be a positive integer, got ${bad.maxprocs}` });
      return;
    }
    const world = this.options.ranks;
    if (world + request.maxprocs > this.memory.size) {
      // Past the largest universe: it can never fit.
      answer({ error: `the job has room for ${this.memory.size} ranks and ${world} are taken; ` +
        `start it with a larger --universe-size to spawn ${request.maxprocs} more` });
      return;
    }
    this.pendingSpawns.push({ requester, request, deadline: Date.now() + SPAWN_WAIT_MS });
    this.startPendingSpawns();
  }

  /** Starts the waiting `Spawn`s, in order, while there are slots for them; fails those that waited too long. */
  private startPendingSpawns(): void {
    while (this.pendingSpawns.length > 0) {
      const { requester, request, deadline } = this.pendingSpawns[0]!;
      const answer = (reply: Omit<SpawnReply, 'type' | 'id'>): void => {
        const message: SpawnReply = { type: 'spawned', id: request.id, ...reply };
        requester.postMessage(message);
      };
      if (!this.ranks.some((r) => r.worker === requester && !r.exited)) {
        this.pendingSpawns.shift();
        continue;
      }
      this.reclaimSlots();
      let free = this.freeSlots(request.maxprocs);
      if (free === undefined && this.taken.length < this.memory.size) {
        this.grow(request.maxprocs);
        free = this.freeSlots(request.maxprocs);
      }
      if (free === undefined) {
        if (Date.now() < deadline) return;
        this.pendingSpawns.shift();
        const taken = this.taken.filter(Boolean).length;
        answer({ error: `the job has room for ${this.memory.size} ranks and ${taken} are taken; ` +
          `start it with a larger --universe-size to spawn ${request.maxprocs} more` });
        continue;
      }
      this.pendingSpawns.shift();
      for (const slot of free) this.prepareSlot(slot);
      const world = { context: request.childContext, group: free };
      const parent = { context: request.context, group: request.parents };
      // Spawn_multiple: child i runs the program that its index falls in, with that program's index as MPI_APPNUM.
      const apps = request.apps ?? [{ command: request.command, args: request.args, maxprocs: request.maxprocs }];
      const programs = apps.flatMap((app, appnum) => Array.from({ length: app.maxprocs }, () => ({
        script: { script: resolve(app.command), args: app.args, settleHeap: this.settleHeap } satisfies ScriptBoot, appnum })));
      free.forEach((slot, i) => {
        const { script, appnum } = programs[i]!;
        const poolManager = script.script === POOL_WORKER ? requester : undefined;
        this.start(slot, `spawned rank ${i} (slot ${slot})`, world, parent, script, poolManager, appnum);
      });
      answer({ ranks: free });
    }
  }

  /**
   * Adds slots to the universe so that `count` are free (at least doubling
   * it, so that a growing pool grows it rarely; at most to the job's largest
   * size), and hands the new heaps to every live rank before any rank of a
   * new slot starts.
   */
  private grow(count: number): void {
    const free = this.taken.filter((t) => !t).length;
    const slots = Math.min(this.memory.size, Math.max(this.taken.length + count - free, 2 * this.taken.length));
    const first = this.taken.length;
    const growth = growUniverse(this.memory, slots);
    if (growth === undefined) return;
    for (let slot = first; slot < slots; slot++) this.taken.push(false);
    for (const r of this.ranks) if (!r.exited) r.growth.postMessage(growth);
  }

  /** The lowest `count` free slots, or undefined when there are fewer. */
  private freeSlots(count: number): number[] | undefined {
    const free: number[] = [];
    for (let slot = 0; slot < this.taken.length && free.length < count; slot++) if (!this.taken[slot]) free.push(slot);
    return free.length === count ? free : undefined;
  }

  /**
   * Frees the slots of exited spawned ranks whose messages have all been
   * received (by live ranks; those to ranks that are gone are dropped), and
   * drops the messages sent to them that they never received.
   */
  private reclaimSlots(): void {
    const live = new Set(this.ranks.filter((r) => !r.exited).map((r) => r.slot));
    for (const slot of this.vacated) {
      let drained = true;
      for (let peer = 0; peer < this.taken.length && drained; peer++) {
        if (live.has(peer)) drained = ringIsEmpty(this.memory, slot, peer);
      }
      if (!drained) continue;
      for (let peer = 0; peer < this.taken.length; peer++) {
        if (!live.has(peer)) discardRing(this.memory, slot, peer);
        discardRing(this.memory, peer, slot);
      }
      this.vacated.delete(slot);
      this.taken[slot] = false;
    }
  }

  /** Clears the control words of a slot before a new rank takes it. */
  private prepareSlot(slot: number): void {
    this.taken[slot] = true;
    const base = rankBase(slot);
    for (const word of [Slot.SIGNAL, Slot.STATE, Slot.WAIT_TEXT_LENGTH, Slot.ANNOUNCED_CONTEXT, Slot.ANNOUNCED_TAG]) {
      Atomics.store(this.control, base + word, word === Slot.STATE ? RankState.RUNNING : 0);
    }
    const mask = maskBase(this.memory.size, slot);
    for (let i = 0; i < maskWords(this.memory.size); i++) Atomics.store(this.control, mask + i, 0);
  }

  private exited(entry: Rank, code: number): void {
    entry.exited = true;
    this.loaded(entry);
    this.ports.forget(entry.worker);
    entry.growth.close();
    Atomics.sub(this.control, Global.LIVE_RANKS, 1);
    if (code !== 0 && entry.poolManager !== undefined) {
      const notice: WorkerExitNotice = { type: 'pool-worker-exit', slot: entry.slot,
        reason: entry.failure === undefined ? `exited with code ${code}` : `failed: ${entry.failure}` };
      if (!this.ranks.find((r) => r.worker === entry.poolManager)?.exited) entry.poolManager.postMessage(notice);
    } else if (code !== 0 && !this.failed) {
      this.fail(entry, `${entry.label} exited with code ${code}${exitCodeMeaning(code)}`, code);
    }
    if (entry.spawned && !this.failed) {
      // Forget it (a job may spawn for hours); its slot is free once the messages it sent are received.
      this.ranks = this.ranks.filter((r) => r !== entry);
      const output = Promise.all(entry.output).then(() => { this.finishingOutput.delete(output); });
      this.finishingOutput.add(output);
      this.vacated.add(entry.slot);
      this.startPendingSpawns();
    }
    if (this.ranks.every((r) => r.exited)) {
      clearInterval(this.monitor);
      this.watch?.stacks.close();
      void this.afterOutput().then(() => this.finish(this.failed ? this.failCode : 0));
    }
  }

  /**
   * `entry` has loaded (or exited): once no rank is loading, the compilers
   * come back on and the ranks that have loaded run their scripts (without
   * load flags, each runs at once).
   */
  private loaded(entry: Rank): void {
    if (!entry.loading) return;
    entry.loading = false;
    if (!entry.exited) this.loadedRanks.push(entry);
    if (this.loadFlags.length > 0 && this.ranks.some((r) => r.loading)) return;
    for (const flag of this.loadFlags) setFlagsFromString(loadedFlag(flag));
    const run: RunNotice = { type: 'run' };
    for (const rank of this.loadedRanks.splice(0)) if (!rank.exited) rank.worker.postMessage(run);
  }

  /**
   * Ends the job because of `culprit` (or, with `because`, of what it says):
   * reports why and stops every other rank.
   */
  private fail(culprit: Rank, why: string, code: number, because = `${culprit.label} failed`): void {
    if (this.failed) return;
    this.failed = true;
    this.failCode = code;
    clearInterval(this.monitor);
    // Let the failing rank's last lines of output arrive before the report.
    setTimeout(() => {
      process.stderr.write(`mpi4ts: ${why}\nmpi4ts: stopping the job (${this.ranks.length} ranks) because ${because}\n`);
      this.watch?.stacks.close();
      for (const r of this.ranks) if (!r.exited) void r.worker.terminate();
    }, 50);
    setTimeout(() => this.finish(code), STOP_GRACE_MS).unref();
  }

  private async afterOutput(): Promise<void> {
    await Promise.all([...this.ranks.flatMap((r) => r.output), ...this.finishingOutput]);
  }

  // ------------------------------------------------------- deadlock watch

  private quietSince = 0;
  private lastActivity = -1;

  /**
   * A deadlock: every rank still running is parked on MPI operations alone
   * (it published BLOCKED, or DRAINING once its script is over, and has no
   * timers or I/O of its own), and no message has moved for the whole timeout.
   */
  private watchForDeadlock(): void {
    if (this.pendingSpawns.length > 0) this.startPendingSpawns();
    const live = this.ranks.filter((r) => !r.exited);
    if (live.length === 0) return;
    if (this.watch !== undefined) this.watchdog(live, this.watch);
    let activity = 0;
    for (const r of this.ranks) {
      activity += Atomics.load(this.control, rankBase(r.slot) + Slot.PROGRESS);
    }
    const blocked = live.every((r) => {
      const state = Atomics.load(this.control, rankBase(r.slot) + Slot.STATE);
      return state === RankState.BLOCKED || state === RankState.DRAINING;
    });
    const now = Date.now();
    if (!blocked || activity !== this.lastActivity) {
      this.lastActivity = activity;
      this.quietSince = now;
      return;
    }
    if (now - this.quietSince < this.options.deadlockTimeout * 1000) return;
    this.reportDeadlock();
  }

  /**
   * `--watchdog`: when no rank has ended a call for the time given (or one
   * rank has been in one call that long), prints a roll-call of the live
   * ranks with their stacks, once until calls end again; ends the job with
   * `--watchdog-abort`.
   */
  private watchdog(live: readonly Rank[], watch: NonNullable<Job['watch']>): void {
    const now = Date.now();
    const states = live.map((r) => new StateSlot(watch.buffer, r.slot).read());
    if (!watchdogFires(states, now, watch.options)) {
      watch.fired = false;
      return;
    }
    if (watch.fired) return;
    watch.fired = true;
    const { seconds, any, abort } = watch.options;
    void Promise.all(live.map((r, i) => (states[i]!.call === undefined ? watch.stacks.stack(r.label, 2000) : Promise.resolve(undefined))))
      .then((stacks) => {
        if (this.failed) return;
        const at = Date.now();
        const report = `watchdog: ${any ? `a rank has been in one MPI call for ${seconds} s` : `no rank has ended an MPI call for ${seconds} s`}\n` +
          live.map((r, i) => rollCallEntry(r.label, states[i]!, at, stacks[i])).join('\n');
        if (abort) this.fail(live[0]!, `${report}\nmpi4ts: watchdog: ending the job (--watchdog-abort)`, DEADLOCK_EXIT_CODE, 'of --watchdog-abort');
        else process.stderr.write(`mpi4ts: ${report}\n`);
      });
  }

  private reportDeadlock(): void {
    const text = new TextDecoder();
    const bytes = new Uint8Array(this.memory.control);
    let draining = false;
    const lines = this.ranks.map((r) => {
      if (r.exited) return `  ${r.label}: finished`;
      const at = waitTextOffset(this.memory.size, r.slot);
      const length = Atomics.load(this.control, rankBase(r.slot) + Slot.WAIT_TEXT_LENGTH);
      const what = text.decode(bytes.slice(at, at + length));
      const state = Atomics.load(this.control, rankBase(r.slot) + Slot.STATE);
      if (state !== RankState.DRAINING) {
        // With --watchdog, the ranks publish the user's frames of their current call: the report shows them.
        const frames = this.watch === undefined ? [] : new StateSlot(this.watch.buffer, r.slot).read().frames;
        return [`  ${r.label}: blocked in ${what}`, ...frames.map((f) => `      at ${f}`)].join('\n');
      }
      draining = true;
      return `  ${r.label}: finished, still holding ${what}`;
    });
    const sendsWaiting = lines.some((line) => /blocked in S?send\(/i.test(line));
    const report = `deadlock: every rank is blocked in a call that no other rank can satisfy\n${lines.join('\n')}` +
      (sendsWaiting ? '\nmpi4ts: hint: a blocking Send above the eager limit waits for its matching receive; ' +
        'order sends and receives, or use Sendrecv or Isend/Irecv' : '') +
      (draining ? '\nmpi4ts: hint: a rank whose script is over stays until the messages it sent are received; ' +
        'post the matching receives' : '');
    this.fail(this.ranks.find((r) => !r.exited)!, report, DEADLOCK_EXIT_CODE, 'of the deadlock');
  }
}

