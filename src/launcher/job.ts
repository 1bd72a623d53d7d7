/**
 * A job on the shm transport: N ranks as worker threads of this process.
 *
 * The launcher allocates the job's shared memory, starts the ranks, forwards
 * their output line by line, and ends the job as a whole: when every rank has
 * finished cleanly it exits 0; when one throws, rejects unhandled, calls
 * `Abort` or exits non-zero, it stops the others and exits non-zero with a
 * message naming the rank; when every live rank is blocked in MPI calls that
 * no other rank can satisfy, it reports the deadlock (who waits for what) and
 * exits non-zero.
 *
 * @module
 */

import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { AbortNotice, RankBoot } from '../transport/shm/transport.js';
import {
  DEFAULT_EAGER_LIMIT, type JobMemory, RankState, Slot, allocateJobMemory, defaultHeapBytes, rankBase, waitTextOffset,
} from '../transport/shm/layout.js';
import type { LaunchOptions } from './cli.js';
import { LineForwarder } from './output.js';
import type { ScriptBoot } from './worker.js';

/** Exit status of a job that deadlocked. */
export const DEADLOCK_EXIT_CODE = 3;
const MONITOR_INTERVAL_MS = 100;
/** How long stopped ranks get before the launcher exits regardless. */
const STOP_GRACE_MS = 2000;

interface Rank {
  readonly rank: number;
  readonly worker: Worker;
  readonly output: Promise<void>[];
  exited: boolean;
}

/** Runs a job to its end; resolves with the exit status for the launcher. */
export function runJob(options: LaunchOptions): Promise<number> {
  return new Job(options).run();
}

class Job {
  private readonly memory: JobMemory;
  private readonly ranks: Rank[] = [];
  private readonly control: Int32Array;
  private failed = false;
  private finish!: (code: number) => void;
  private monitor: NodeJS.Timeout | undefined;

  constructor(private readonly options: LaunchOptions) {
    const size = options.ranks;
    this.memory = allocateJobMemory(size, {
      eagerLimit: options.eagerLimit ?? DEFAULT_EAGER_LIMIT,
      heapBytes: options.heapSize ?? defaultHeapBytes(size),
    });
    this.control = new Int32Array(this.memory.control);
  }

  run(): Promise<number> {
    const done = new Promise<number>((resolveExit) => { this.finish = resolveExit; });
    const size = this.options.ranks;
    // Spinning helps latency only when every rank has a core of its own.
    const spinMicros = size < availableParallelism() + 1 ? 100 : 10;
    const script: ScriptBoot = { script: resolve(this.options.script), args: this.options.args };
    for (let rank = 0; rank < size; rank++) {
      const mpi4ts: RankBoot = { rank, memory: this.memory, tuning: { spinMicros } };
      const worker = new Worker(new URL('./worker.js', import.meta.url), {
        workerData: { mpi4ts, script },
        stdout: true,
        stderr: true,
        stdin: false,
      });
      const prefix = this.options.tagOutput ? `[${rank}] ` : '';
      const output = [
        new LineForwarder(worker.stdout, process.stdout, prefix).done,
        new LineForwarder(worker.stderr, process.stderr, prefix).done,
      ];
      const entry: Rank = { rank, worker, output, exited: false };
      this.ranks.push(entry);
      worker.on('error', (error) => this.fail(rank, `rank ${rank} failed: ${describeError(error)}`, 1));
      worker.on('message', (message: AbortNotice) => {
        if (message?.type === 'abort') {
          this.fail(rank, `rank ${rank} called Abort(${message.code}): ${message.reason}`, message.code || 1);
        }
      });
      worker.on('exit', (code) => this.exited(entry, code));
    }
    this.monitor = setInterval(() => this.watchForDeadlock(), MONITOR_INTERVAL_MS);
    return done;
  }

  private exited(entry: Rank, code: number): void {
    entry.exited = true;
    if (code !== 0 && !this.failed) this.fail(entry.rank, `rank ${entry.rank} exited with code ${code}`, code);
    if (this.ranks.every((r) => r.exited)) {
      clearInterval(this.monitor);
      void this.afterOutput().then(() => this.finish(this.failed ? this.failCode : 0));
    }
  }

  private failCode = 1;

  /** Ends the job because of `rank`: reports why and stops every other rank. */
  private fail(rank: number, why: string, code: number): void {
    if (this.failed) return;
    this.failed = true;
    this.failCode = code;
    clearInterval(this.monitor);
    // Let the failing rank's last lines of output arrive before the report.
    setTimeout(() => {
      process.stderr.write(`mpi4ts: ${why}\nmpi4ts: stopping the job (${this.ranks.length} ranks) because rank ${rank} failed\n`);
      for (const r of this.ranks) if (!r.exited) void r.worker.terminate();
    }, 50);
    setTimeout(() => this.finish(code), STOP_GRACE_MS).unref();
  }

  private async afterOutput(): Promise<void> {
    await Promise.all(this.ranks.flatMap((r) => r.output));
  }

  // ------------------------------------------------------- deadlock watch

  private quietSince = 0;
  private lastActivity = -1;

  /**
   * A deadlock: every rank still running is parked on MPI operations alone
   * (it published BLOCKED and has no timers or I/O of its own), and no
   * message has moved for the whole timeout.
   */
  private watchForDeadlock(): void {
    const live = this.ranks.filter((r) => !r.exited);
    if (live.length === 0) return;
    let activity = 0;
    for (const r of this.ranks) {
      activity += this.control[rankBase(r.rank) + Slot.DOORBELL]! + this.control[rankBase(r.rank) + Slot.PROGRESS]!;
    }
    const blocked = live.every((r) => Atomics.load(this.control, rankBase(r.rank) + Slot.STATE) === RankState.BLOCKED);
    const now = Date.now();
    if (!blocked || activity !== this.lastActivity) {
      this.lastActivity = activity;
      this.quietSince = now;
      return;
    }
    if (now - this.quietSince < this.options.deadlockTimeout * 1000) return;
    this.reportDeadlock();
  }

  private reportDeadlock(): void {
    const text = new TextDecoder();
    const bytes = new Uint8Array(this.memory.control);
    const lines = this.ranks.map((r) => {
      if (r.exited) return `  rank ${r.rank}: finished`;
      const at = waitTextOffset(this.memory.size, r.rank);
      const length = Atomics.load(this.control, rankBase(r.rank) + Slot.WAIT_TEXT_LENGTH);
      return `  rank ${r.rank}: blocked in ${text.decode(bytes.slice(at, at + length))}`;
    });
    const sendsWaiting = lines.some((line) => /blocked in S?send\(/i.test(line));
    const report = `deadlock: every rank is blocked in a call that no other rank can satisfy\n${lines.join('\n')}` +
      (sendsWaiting ? '\nmpi4ts: hint: a blocking Send above the eager limit waits for its matching receive; ' +
        'order sends and receives, or use Sendrecv or Isend/Irecv' : '');
    this.fail(this.ranks.find((r) => !r.exited)!.rank, report, DEADLOCK_EXIT_CODE);
  }
}

function describeError(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return String(error);
}
