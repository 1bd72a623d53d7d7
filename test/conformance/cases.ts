/**
 * The runner of the conformance chapters: named cases, each on a fresh
 * communicator, each reporting its own result, so that one failing case names
 * itself and does not hide the others.
 *
 * A chapter (`p2p.ts`, `collectives.ts`, ...) is an SPMD program that calls
 * {@link runCases} with its cases. For every case, on every rank:
 *
 * 1. rank 0 prints `case <chapter>/<name>` before it starts, so that a job that
 *    ends in a deadlock report or a crash names the case it was in;
 * 2. the case runs on its own `Dup` of `COMM_WORLD`, named after the case (a
 *    deadlock report names the communicator of a blocked collective);
 * 3. each rank that fails prints `FAILED <chapter>/<name> on rank r: <error>`
 *    at once; then every rank sends its outcome to every other rank on a
 *    control communicator and receives theirs: that exchange is the agreement
 *    on the case's result, and the next case starts on a fresh communicator
 *    whatever the last one left behind.
 *
 * What cannot be recovered: a case in which ranks wait for each other forever,
 * because of a bug or because a peer failed while they waited for it. No MPI
 * call can be cancelled, so the job ends with the transport's deadlock report;
 * the last `case` line and the `FAILED` line of the rank that failed say where.
 * (A rank could stop waiting for a case once a peer reports a failure, if it
 * waited for the peers' outcomes while the case ran; on shm such a pending
 * wait can stall the case's own large or many-step collectives, so the
 * outcomes are waited for only after the case.)
 *
 * Rank 0 prints `passed <chapter>/<name>: <n> checks` (over all ranks) for a
 * case that passed; at the end the summary (`<chapter>: N passed, M failed:
 * names`) and the same as JSON (`summary {...}`) for the test harness. The job
 * exits with status 1 if any case failed on any rank.
 *
 * @module
 */
import assert from 'node:assert/strict';
import { type Intracomm, MPI, type MPIError } from 'mpi4ts';

/** One named check of a chapter. */
export interface Case {
  /** What the case pins down, unique within its chapter. */
  readonly name: string;
  /** Fewest ranks the case needs; with fewer it is reported as skipped, never as passed. */
  readonly minRanks?: number;
  /** The case's body, on a communicator of its own (a `Dup` of `COMM_WORLD`). */
  readonly run: (comm: Intracomm) => Promise<void>;
}

/** The checks of the case that runs: `node:assert`'s, counted, so that a case that checks nothing fails. */
export class Checks {
  /** Checks made since the current case started. */
  count = 0;

  ok(value: unknown, message?: string): asserts value {
    assert.ok(value, message);
    this.count++;
  }

  equal<T>(actual: unknown, expected: T, message?: string): asserts actual is T {
    assert.equal(actual, expected, message);
    this.count++;
  }

  notEqual(actual: unknown, expected: unknown, message?: string): void {
    assert.notEqual(actual, expected, message);
    this.count++;
  }

  deepEqual<T>(actual: unknown, expected: T, message?: string): asserts actual is T {
    assert.deepEqual(actual, expected, message);
    this.count++;
  }

  match(value: string, pattern: RegExp, message?: string): void {
    assert.match(value, pattern, message);
    this.count++;
  }

  /** `fn` throws an `MPIError` of `errorClass` whose message matches `pattern`. */
  throwsMPI(fn: () => unknown, errorClass: number, pattern: RegExp = /./): void {
    assert.throws(fn, (error: MPIError) => {
      assert.equal(error.name, 'MPIError', String(error));
      assert.equal(error.error_class, errorClass, `error class of: ${error.message}`);
      assert.match(error.message, pattern);
      return true;
    });
    this.count++;
  }

  /**
   * `promise` rejects with an `MPIError` of `errorClass` whose message matches
   * `pattern` and names this rank of `COMM_WORLD`.
   */
  async rejectsMPI(promise: Promise<unknown>, errorClass: number, pattern: RegExp = /./): Promise<void> {
    await assert.rejects(promise, (error: MPIError) => {
      assert.equal(error.name, 'MPIError', String(error));
      assert.equal(error.error_class, errorClass, `error class of: ${error.message}`);
      assert.match(error.message, pattern);
      assert.match(error.message, new RegExp(`rank ${MPI.COMM_WORLD.rank}\\b`));
      return true;
    });
    this.count++;
  }

  /** `promise` rejects with an error whose message matches `pattern`. */
  async rejects(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
    await assert.rejects(promise, pattern);
    this.count++;
  }
}

/** The checks of the running case; every chapter asserts through it. */
export const check: Checks = new Checks();

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** How a case ended on one rank. */
type Outcome =
  | { readonly status: 'passed'; readonly checks: number }
  | { readonly status: 'failed'; readonly error: string };

/** What the harness reads: the `summary` line's JSON. */
export interface Summary {
  readonly chapter: string;
  readonly ranks: number;
  readonly passed: string[];
  readonly failed: string[];
  readonly skipped: string[];
}

function describeError(error: unknown): string {
  const text = error instanceof Error ? error.stack ?? `${error.name}: ${error.message}` : String(error);
  return text.length > 4000 ? `${text.slice(0, 4000)} ...` : text;
}

/** Runs the body of `c` on `comm`; never rejects. */
async function runBody(c: Case, comm: Intracomm): Promise<Outcome> {
  check.count = 0;
  try {
    await c.run(comm);
    return { status: 'passed', checks: check.count };
  } catch (error) {
    return { status: 'failed', error: describeError(error) };
  }
}

/**
 * Runs `cases` in order on every rank of `COMM_WORLD` (see the module header),
 * prints the summary on rank 0 and ends the process: status 1 if a case
 * failed, else the script ends normally.
 */
export async function runCases(chapter: string, cases: readonly Case[]): Promise<void> {
  const world = MPI.COMM_WORLD;
  const { rank, size } = world;
  const names = new Set<string>();
  for (const c of cases) {
    if (names.has(c.name)) throw new Error(`two cases of ${chapter} are named "${c.name}"`);
    names.add(c.name);
  }
  const control = await world.Dup();
  control.Set_name(`${chapter} outcomes`);
  const peers = Array.from({ length: size }, (_, r) => r).filter((r) => r !== rank);
  const summary: Summary = { chapter, ranks: size, passed: [], failed: [], skipped: [] };

  for (const [index, c] of cases.entries()) {
    if (size < (c.minRanks ?? 1)) {
      summary.skipped.push(`${c.name} (needs ${c.minRanks} ranks)`);
      continue;
    }
    if (rank === 0) console.log(`case ${chapter}/${c.name}`);
    const comm = await world.Dup();
    comm.Set_name(`${chapter}/${c.name}`);
    // The peers' outcomes are posted now and waited for after the body: a wait pending on the shm transport
    // while the case runs can stall the case's own collectives (see the module header).
    const theirs = peers.map((peer) => control.irecv(peer, index));
    const mine = await runBody(c, comm);
    // Said at once by the rank it happened on, in case the peers now wait for this rank forever.
    if (mine.status === 'failed') console.log(`FAILED ${chapter}/${c.name} on rank ${rank}: ${mine.error}`);
    const sends = peers.map((peer) => control.isend(mine, peer, index));
    const outcomes: Outcome[] = [];
    outcomes[rank] = mine;
    (await MPI.Request.waitall(theirs)).forEach((o, i) => { outcomes[peers[i]!] = o as Outcome; });
    await MPI.Request.waitall(sends);

    const failures = outcomes.flatMap((o, r) => (o.status === 'failed' ? [{ rank: r, error: o.error }] : []));
    const checks = outcomes.reduce((total, o) => total + (o.status === 'passed' ? o.checks : 0), 0);
    if (failures.length === 0 && checks === 0) {
      // A case that checks nothing cannot fail: that is a failure of the case itself.
      summary.failed.push(c.name);
      if (rank === 0) console.log(`FAILED ${chapter}/${c.name}: made no checks on any rank`);
    } else if (failures.length > 0) {
      summary.failed.push(c.name);
    } else {
      summary.passed.push(c.name);
      if (rank === 0) console.log(`passed ${chapter}/${c.name}: ${checks} checks`);
      comm.Free();
    }
  }

  if (rank === 0) {
    const failed = summary.failed.length === 0 ? '0 failed' : `${summary.failed.length} failed: ${summary.failed.join(', ')}`;
    const skipped = summary.skipped.length === 0 ? '' : `, ${summary.skipped.length} skipped: ${summary.skipped.join(', ')}`;
    console.log(`${chapter}: ${summary.passed.length} passed, ${failed}${skipped} (${size} ranks)`);
    console.log(`summary ${JSON.stringify(summary)}`);
  }
  await control.Barrier();
  control.Free();
  // Calls abandoned in a failed case may never complete: end the process rather than wait for them.
  if (summary.failed.length > 0) process.exit(1);
}
