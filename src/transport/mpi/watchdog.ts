/**
 * Deadlock detection on the `mpi` transport: the report the shm launcher
 * gives (who waits for what, exit status 3) for a job run by `mpiexec` or
 * `srun`, where no launcher of ours sees every rank.
 *
 * MPI itself defines no deadlock detection; this uses MPI-4.1 §3.7
 * (nonblocking point-to-point, on a communicator of its own: a duplicate of
 * COMM_WORLD made at start-up, §7.4.2) and §9.5 (MPI_Abort).
 *
 * Each rank's progress engine (progress.ts) decides locally whether the rank
 * is *blocked*: it waits for MPI requests, none has completed and none was
 * started for the timeout (`MPI4TS_DEADLOCK_TIMEOUT` seconds, plus one second
 * per 50 MB still in flight, so that a long transfer over a slow network is
 * not mistaken for a hang), and Node's event loop has nothing else to do (no
 * timer, socket or file operation of the script's own). Only then, and when it
 * stops being blocked, a rank other than 0 sends rank 0 a short message; it
 * also tells rank 0 when it has finished. Rank 0, once it is blocked itself and
 * every other rank has said it is blocked or finished, asks the blocked ones
 * again (a round), and if every answer still says blocked with nobody having
 * moved in between, prints the report and calls MPI_Abort with status 3.
 * A job that never blocks pays one comparison per progress tick.
 *
 * What is not detected, by design or for now:
 * - a deadlock after rank 0 has finished (rank 0 is the one that watches;
 *   it then waits in MPI_Finalize for the others);
 * - ranks blocked inside one of MPI's blocking calls (communicator creation,
 *   the blocking large collectives, Spawn), where JavaScript does not run;
 * - jobs with a parent or spawned children: a rank may wait for another job,
 *   which this one cannot see, so the watch stops there.
 *
 * @module
 */

import { ANY_SOURCE } from '../../constants.js';
import { type NativeMPI, RC_DONE, RC_ERROR, ST_ID, ST_SOURCE } from './native.js';

/** Rank i to rank 0: its state (and answers to rounds). */
const TAG_STATE = 1;
/** Rank 0 to rank i: "are you still blocked?", with the round's number. */
const TAG_QUERY = 2;
/** Longest wait description sent, in characters (the shm transport keeps 1 KiB). */
const MAX_TEXT = 1000;

/** What a rank says about itself. */
type RankReport =
  | { readonly state: 'blocked'; readonly waiting: string; readonly round: number }
  | { readonly state: 'moving' | 'finished'; readonly round: number };

/** The deadlock watch of one rank; see the module comment. */
export class DeadlockWatch {
  /** What rank 0 was last told (ranks other than 0). */
  private reportedBlocked = false;
  /** Rank 0: what each rank said last. */
  private readonly states: (RankReport | undefined)[];
  /** Rank 0: the round under way (0: none) and who has answered it. */
  private round = 0;
  private lastRound = 0;
  private readonly answered = new Set<number>();
  /** Sends not complete yet: they must be tested until they are. */
  private readonly sends: number[] = [];
  private stopped = false;

  /**
   * @param handle - the binding's handle of the watch's own duplicate of COMM_WORLD
   * @param timeoutMs - how long a rank must be blocked before it says so
   * @param abort - prints the report and ends the job (status `DEADLOCK_EXIT_CODE`, transport.ts)
   */
  constructor(private readonly native: NativeMPI, private readonly handle: number, private readonly rank: number,
    size: number, readonly timeoutMs: number, private readonly abort: (report: string) => void) {
    this.states = new Array<RankReport | undefined>(size).fill(undefined);
  }

  /** Stops watching for good (the job now talks to other jobs, which the watch cannot see). */
  stop(): void {
    this.stopped = true;
  }

  /** Something completed or started on this rank: it is not blocked. */
  moved(): void {
    if (this.stopped) return;
    if (this.rank === 0) {
      this.round = 0;
    } else if (this.reportedBlocked) {
      this.reportedBlocked = false;
      this.send(0, TAG_STATE, { state: 'moving', round: 0 });
    }
  }

  /**
   * Called by the progress engine now and then while requests are pending:
   * `waiting` describes them when this rank is blocked, else undefined.
   */
  check(waiting: string | undefined): void {
    if (this.stopped) return;
    this.completeSends();
    const blocked = waiting !== undefined;
    if (this.rank !== 0) {
      if (blocked !== this.reportedBlocked) {
        this.send(0, TAG_STATE, blocked ? { state: 'blocked', waiting: clip(waiting), round: 0 } : { state: 'moving', round: 0 });
        this.reportedBlocked = blocked;
      }
      for (let query = this.receive(TAG_QUERY); query !== undefined; query = this.receive(TAG_QUERY)) {
        const reply: RankReport = blocked ? { state: 'blocked', waiting: clip(waiting), round: query.round }
          : { state: 'moving', round: query.round };
        this.send(0, TAG_STATE, reply);
      }
      return;
    }
    this.states[0] = blocked ? { state: 'blocked', waiting: clip(waiting), round: 0 } : { state: 'moving', round: 0 };
    let newlyFinished = false;
    for (let m = this.receive(TAG_STATE); m !== undefined; m = this.receive(TAG_STATE)) {
      if (m.report.state === 'finished' && this.states[m.source]?.state !== 'finished') newlyFinished = true;
      this.states[m.source] = m.report;
      if (m.report.state === 'moving') this.round = 0;
      else if (m.report.state === 'blocked' && m.report.round === this.round && this.round !== 0) this.answered.add(m.source);
    }
    // A rank that has just finished may have completed this rank's wait on its way out (the last Barrier):
    // decide only after the progress engine has tested this rank's requests once more.
    if (!blocked || newlyFinished) {
      this.round = 0;
      return;
    }
    const others = this.states.slice(1);
    if (!others.every((s) => s?.state === 'blocked' || s?.state === 'finished')) return;
    if (this.round === 0) {
      // Everybody said blocked at some point: ask the blocked ones again, so that no message
      // still on its way from a rank that has moved since can be mistaken for its state.
      this.round = ++this.lastRound;
      this.answered.clear();
      this.states.forEach((s, r) => {
        if (r !== 0 && s?.state === 'blocked') this.send(r, TAG_QUERY, { round: this.round });
      });
    }
    const asked = this.states.filter((s, r) => r !== 0 && s?.state === 'blocked').length;
    if (this.answered.size < asked) return;
    this.stopped = true;
    this.abort(this.report());
  }

  /** A rank other than 0 has finished: tells rank 0 (a short send, completed before MPI_Finalize). */
  finished(): void {
    if (this.stopped || this.rank === 0) return;
    this.stopped = true;
    const id = this.native.isend(this.handle, encode({ state: 'finished', round: 0 }), 0, TAG_STATE, 0);
    if (id >= 0) this.native.testSpin(id, 100_000);
    this.completeSends();
  }

  private report(): string {
    const lines = this.states.map((s, r) => {
      if (s?.state === 'finished') return `  rank ${r}: finished`;
      return `  rank ${r}: blocked in ${s?.state === 'blocked' ? s.waiting : '?'}`;
    });
    const sendsWaiting = lines.some((line) => /blocked in S?send\(/i.test(line));
    return `deadlock: every rank is blocked in a call that no other rank can satisfy (for ${this.timeoutMs / 1000} s)\n` +
      lines.join('\n') +
      (sendsWaiting ? '\nmpi4ts: hint: a blocking Send larger than the MPI library\'s eager limit waits for its matching ' +
        'receive; order sends and receives, or use Sendrecv or Isend/Irecv' : '');
  }

  private send(dest: number, tag: number, message: RankReport | { round: number }): void {
    const id = this.native.isend(this.handle, encode(message), dest, tag, 0);
    if (id >= 0) this.sends.push(id);
  }

  private completeSends(): void {
    for (let i = this.sends.length - 1; i >= 0; i--) {
      if (this.native.test(this.sends[i]!)) this.sends.splice(i, 1);
    }
  }

  /** One message with `tag` if one has come, whole (they are small: MPI delivers them eagerly). */
  private receive(tag: typeof TAG_STATE): { source: number; report: RankReport } | undefined;
  private receive(tag: typeof TAG_QUERY): { round: number } | undefined;
  private receive(tag: number): { source: number; report: RankReport } | { round: number } | undefined {
    const data = this.native.imrecv(this.handle, ANY_SOURCE, tag, 0);
    if (data === undefined) return undefined;
    const status = this.native.statusBuffer;
    const source = status[ST_SOURCE]!;
    const id = status[ST_ID]!;
    if (id === RC_ERROR) return undefined;
    if (id !== RC_DONE) this.native.testSpin(id, 1_000_000);
    const message = JSON.parse(new TextDecoder().decode(data)) as RankReport | { round: number };
    return tag === TAG_QUERY ? message : { source, report: message as RankReport };
  }
}

function clip(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}...` : text;
}

function encode(message: object): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(message));
}
