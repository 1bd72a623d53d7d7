// Checks of what --trace and --profile write, shared by the shm tests (test/observe.test.ts)
// and the mpi ones (test/mpi/observe.test.ts).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Trace, TraceEvent } from '../../src/observe/trace.js';

/** Reads a trace file and checks the shape every trace has: named rank tracks and X events. */
export function readTrace(path: string): Trace {
  const trace = JSON.parse(readFileSync(path, 'utf8')) as Trace;
  assert.ok(Array.isArray(trace.traceEvents));
  return trace;
}

/** The track id of each rank, from the thread_name metadata (`rank N`). */
export function rankTracks(trace: Trace): Map<number, number> {
  const tracks = new Map<number, number>();
  for (const e of trace.traceEvents) {
    if (e.ph === 'M' && e.name === 'thread_name') {
      const match = /^rank (\d+)$/.exec(String(e.args?.name));
      assert.ok(match !== null, `track named ${String(e.args?.name)}`);
      tracks.set(Number(match[1]), e.tid);
    }
  }
  return tracks;
}

/**
 * The trace of examples/ring4.ts on 4 ranks: 4 tracks, one Sendrecv slice each,
 * and a flow from each rank's Sendrecv to its right neighbour's, ending inside it.
 */
export function checkRingTrace(trace: Trace): void {
  const tracks = rankTracks(trace);
  assert.deepEqual([...tracks.keys()].sort(), [0, 1, 2, 3]);
  const rankOf = new Map([...tracks].map(([rank, tid]) => [tid, rank]));
  const slices = trace.traceEvents.filter((e) => e.ph === 'X' && e.name === 'Comm.Sendrecv');
  assert.deepEqual(slices.map((e) => rankOf.get(e.tid)).sort(), [0, 1, 2, 3]);
  for (const slice of slices) {
    assert.equal(slice.args?.comm, 'MPI_COMM_WORLD');
    assert.equal(slice.args?.peer, (rankOf.get(slice.tid)! + 1) % 4);
    assert.equal(slice.args?.bytes, 2 * 8 * 100);
  }
  const starts = trace.traceEvents.filter((e) => e.ph === 's');
  const ends = new Map(trace.traceEvents.filter((e) => e.ph === 'f').map((e) => [e.id, e]));
  assert.equal(starts.length, 4);
  assert.equal(ends.size, 4);
  const pairs = starts.map((s) => {
    const f = ends.get(s.id)!;
    assert.ok(f !== undefined, `flow ${String(s.id)} has an end`);
    assert.ok(s.ts! <= f.ts!, 'a message is received after it was sent');
    const slice = slices.find((e) => e.tid === f.tid)!;
    assert.ok(f.ts! >= slice.ts! && f.ts! <= slice.ts! + slice.dur!, 'the flow ends inside the receiving Sendrecv');
    assert.equal(f.args?.bytes, 800);
    return [rankOf.get(s.tid), rankOf.get(f.tid)];
  });
  assert.deepEqual(pairs.sort(), [[0, 1], [1, 2], [2, 3], [3, 0]]);
}

/** The Count column of a profile table, per call. */
export function profileCounts(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  const start = text.indexOf('\nCall ');
  assert.ok(start >= 0, `a profile table in:\n${text}`);
  for (const line of text.slice(start + 1).split('\n').slice(1)) {
    if (line.trim() === '') break;
    const [name, count] = line.trim().split(/\s+/);
    counts.set(name!, Number(count));
  }
  return counts;
}

/** What test/programs/observe_calls.ts does on `ranks` ranks, per call. */
export function expectedCalls(ranks: number): Map<string, number> {
  return new Map([
    ['Comm.Barrier', 3 * ranks], ['Comm.Send', 2], ['Comm.Recv', 2], ['Comm.Isend', ranks], ['Comm.Irecv', ranks],
    ['Request.Waitall', ranks], ['Comm.Bcast', ranks], ['Comm.allreduce', ranks],
  ]);
}

/** The flows of a trace as [from rank, to rank, tag, bytes], sorted. */
export function flows(trace: Trace): [number, number, number, number][] {
  const rankOf = new Map([...rankTracks(trace)].map(([rank, tid]) => [tid, rank]));
  const ends = new Map(trace.traceEvents.filter((e) => e.ph === 'f').map((e): [number | undefined, TraceEvent] => [e.id, e]));
  return trace.traceEvents.filter((e) => e.ph === 's').map((s): [number, number, number, number] => {
    const f = ends.get(s.id)!;
    return [rankOf.get(s.tid)!, rankOf.get(f.tid)!, Number(f.args?.tag), Number(f.args?.bytes)];
  }).sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[3] - b[3]);
}

/**
 * The roll-call of test/programs/observe_stuck.ts: rank 0 named as computing in
 * computeForever, ranks 1..3 in their Recv from rank 0, each with the user's line.
 */
export function checkRollCall(stderr: string): void {
  assert.match(stderr, /watchdog: .*1 s/);
  assert.match(stderr, /rank 0: not in an MPI call \(running JavaScript for \d+\.\d s/);
  for (const rank of [1, 2, 3]) {
    const line = new RegExp(`rank ${rank}: in Comm\\.Recv\\(source=0, tag=4, comm=MPI_COMM_WORLD\\) for (\\d+\\.\\d) s\\n +at test/programs/observe_stuck\\.ts:19`).exec(stderr);
    assert.ok(line !== null, `rank ${rank}'s Recv in the roll-call:\n${stderr}`);
    // The bound: the roll-call comes within the watchdog's 1 s + 2 s. This is the watchdog's own
    // measure (how long the rank had been in its Recv when the roll-call was made), not the test's clock.
    assert.ok(Number(line[1]) <= 3, `rank ${rank} had been in Recv for ${line[1]} s at the roll-call`);
  }
}
