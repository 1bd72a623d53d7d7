// The 1,000-round Spawn + Disconnect loop on the shm transport, with flat memory: a few
// minutes, so a heavy test (test/helpers/heavy.ts) that CI runs once, on its first Node.js.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { heavyOff } from './helpers/heavy.js';
import { launch, linesStartingWith } from './helpers/launch.js';

describe('dynamic processes in a loop', () => {
  it('spawns and disconnects 1,000 times in a loop (slots reused) with flat memory', { skip: heavyOff }, async () => {
    // Each round starts a worker thread that loads mpi4ts: 0.1-0.2 s of CPU, far more wall time on a loaded
    // machine, hence the generous timeout.
    const result = await launch('test/programs/spawn_loop.ts', 2, ['1000'], { timeoutMs: 1_200_000 });
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    assert.deepEqual(linesStartingWith(result.stdout, 'loop ok'), ['loop ok 1000 on rank 0', 'loop ok 1000 on rank 1']);
    const memory = /^memory ([\d.]+) ([\d.]+) -> ([\d.]+) ([\d.]+)$/m.exec(result.stdout);
    assert.ok(memory !== null, result.stdout);
    const [heapBefore, rssBefore, heapAfter, rssAfter] = memory.slice(1).map(Number) as [number, number, number, number];
    // Measured after the first 100 rounds and at the end, after a GC: rank 0's heap, and the RSS of the
    // whole job (every rank is a thread of one process). A leak of one worker per round would be 900 of them.
    assert.ok(heapAfter - heapBefore < 4, `rank 0's heap grew from ${heapBefore} to ${heapAfter} MiB`);
    assert.ok(rssAfter - rssBefore < 64, `the job's RSS grew from ${rssBefore} to ${rssAfter} MiB`);
  });
});
