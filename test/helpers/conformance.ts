// Reads what a conformance chapter (test/conformance/*.ts, run by cases.ts)
// printed, and asserts that every case passed, naming the ones that did not.
import assert from 'node:assert/strict';
import type { Summary } from '../conformance/cases.js';
import type { JobResult } from './launch.js';

/** The chapter's summary, or undefined when the job ended before printing it. */
export function summaryOf(result: JobResult): Summary | undefined {
  const line = result.stdout.split('\n').find((l) => l.startsWith('summary {'));
  return line === undefined ? undefined : JSON.parse(line.slice('summary '.length)) as Summary;
}

/** The case the job was in when it stopped printing: the last `case` line. */
function lastCase(stdout: string): string {
  return stdout.split('\n').filter((l) => l.startsWith('case ')).pop()?.slice('case '.length) ?? '(none started)';
}

/** The `FAILED` reports the ranks printed, each with the error's stack that follows it. */
function failureReports(stdout: string): string {
  const reports: string[] = [];
  let inReport = false;
  for (const line of stdout.split('\n')) {
    if (line.startsWith('FAILED ')) inReport = true;
    else if (line.startsWith('case ') || line.startsWith('summary ') || /^\w+: \d+ passed/.test(line)) inReport = false;
    if (inReport) reports.push(line);
  }
  return reports.join('\n');
}

/** For a job killed at the test's timeout, what its processes were then; else ''. */
function killedAt(result: JobResult): string {
  return result.timedOut ? `\nkilled at the test's timeout; its processes then:\n${result.processes}` : '';
}

/**
 * Asserts that the chapter ran at `ranks` ranks, every case passed, and exactly
 * `skipped` (names with the reason, as the summary gives them) were skipped.
 * A failure's message names the failing cases and says how each failed.
 */
export function assertAllPassed(result: JobResult, chapter: string, ranks: number, skipped: readonly string[] = []): Summary {
  const summary = summaryOf(result);
  const failures = failureReports(result.stdout);
  assert.ok(summary !== undefined, `${chapter} with ${ranks} ranks stopped (exit ${result.code}, signal ${result.signal}) ` +
    `without a summary, in case "${lastCase(result.stdout)}"\n${failures.slice(0, 6000)}\n` +
    `the last lines printed:\n${result.stdout.split('\n').slice(-12).join('\n')}\n${result.stderr.slice(-6000)}${killedAt(result)}`);
  assert.deepEqual(summary.failed, [], `${chapter} with ${ranks} ranks: ${summary.failed.length} failed: ` +
    `${summary.failed.join('; ')}\n${failures}`.slice(0, 12000));
  assert.equal(summary.chapter, chapter);
  assert.equal(summary.ranks, ranks);
  assert.deepEqual(summary.skipped, skipped, `${chapter} with ${ranks} ranks skipped other cases than expected`);
  assert.ok(summary.passed.length > 0, `${chapter} with ${ranks} ranks passed no case`);
  assert.equal(result.code, 0,
    `${chapter} with ${ranks} ranks: every case passed, but the job exited ${result.code}\n${result.stderr}${killedAt(result)}`);
  return summary;
}
