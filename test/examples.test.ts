// Every program of examples/ run through the launcher with its rank count,
// checking what it prints. Ranks print concurrently, so lines are compared
// sorted, or picked out by their prefix.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Random } from '../examples/lib/random.js';
import { launch, linesStartingWith, root } from './helpers/launch.js';

const TIMEOUT = 60_000;
const options = { timeout: TIMEOUT };

/** Runs an example that must succeed; returns its non-empty output lines. */
async function run(name: string, ranks: number, args: readonly string[] = []): Promise<string[]> {
  const result = await launch(`examples/${name}.ts`, ranks, args, { timeoutMs: TIMEOUT });
  assert.equal(result.code, 0, `exit ${String(result.code)}: ${result.stderr}`);
  assert.equal(result.stderr, '');
  return result.stdout.split('\n').filter((line) => line !== '');
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const sorted = (lines: readonly string[]): string[] => [...lines].sort();
const sqrts = JSON.stringify(range(20).map(Math.sqrt));

/** The dice the examples roll: rank r draws from stream r of the seed. */
function roll(seed: number, ranks: number): Random[] {
  return range(ranks).map((r) => Random.stream(seed, r));
}

describe('demo programs', () => {
  it('hello: every rank says hello', options, async () => {
    const lines = await run('hello', 4);
    assert.deepEqual(sorted(lines.map((l) => l.replace(/ on .*/, ''))), range(4).map((r) => `Hello from rank ${r} of 4`));
  });

  it('minimal: "R of N" from every rank', options, async () => {
    assert.deepEqual(sorted(await run('minimal', 4)), range(4).map((r) => `${r} of 4`));
  });

  it('sendrecv: rank 1 receives the string with no source or tag given', options, async () => {
    assert.deepEqual(await run('sendrecv', 2), ['rank 1: Hello, world']);
    assert.deepEqual(await run('sendrecv', 3), ['rank 1: Hello, world']);
  });

  it('bcast: every rank gets 0', options, async () => {
    assert.deepEqual(sorted(await run('bcast', 4)), range(4).map((r) => `rank ${r}: bcast gave 0`));
  });

  it('scatter: rank r gets r', options, async () => {
    assert.deepEqual(sorted(await run('scatter', 4)), range(4).map((r) => `rank ${r}: scatter gave ${r}`));
  });

  it('gather: the list on the root only, a barrier, then [rank, size] pairs on root 1', options, async () => {
    const lines = await run('gather', 4);
    assert.deepEqual(sorted(lines.filter((l) => l.includes('gather to 0'))),
      ['rank 0: gather to 0 gave [0,1,2,3]', ...[1, 2, 3].map((r) => `rank ${r}: gather to 0 gave undefined`)]);
    assert.deepEqual(sorted(lines.filter((l) => l.includes('barrier'))), range(4).map((r) => `rank ${r}: passed the barrier`));
    assert.deepEqual(sorted(lines.filter((l) => l.includes('gather to 1'))), [
      'rank 0: gather to 1 gave undefined',
      'rank 1: gather to 1 gave [[0,4],[1,4],[2,4],[3,4]]',
      'rank 2: gather to 1 gave undefined',
      'rank 3: gather to 1 gave undefined',
    ]);
    // Each rank prints in program order.
    for (const r of range(4)) {
      const mine = lines.filter((l) => l.startsWith(`rank ${r}:`)).map((l) => l.split(': ')[1]!.slice(0, 12));
      assert.deepEqual(mine, ['gather to 0 ', 'passed the b', 'gather to 1 ']);
    }
  });

  it('allgather: every rank gets every rank, and gather + bcast agrees', options, async () => {
    const lines = await run('allgather', 4);
    assert.deepEqual(sorted(lines), sorted(range(4).flatMap((r) => [
      `rank ${r}: allgather gave [0,1,2,3]`, `rank ${r}: gather+bcast gave [0,1,2,3]`])));
  });

  it('alltoall: rank i receives i + 10 r from every rank r', options, async () => {
    assert.deepEqual(sorted(await run('alltoall', 4)),
      range(4).map((i) => `rank ${i}: alltoall gave ${JSON.stringify(range(4).map((r) => i + 10 * r))}`));
  });

  it('reduce: the sum of the ranks on root 0, and every predefined op', options, async () => {
    const lines = await run('reduce', 4);
    assert.deepEqual(sorted(lines.filter((l) => l.startsWith('rank'))),
      ['rank 0: reduce gave 6', ...[1, 2, 3].map((r) => `rank ${r}: reduce gave undefined`)]);
    // Values per rank: (3 r + 2) % 7 = [2, 5, 1, 4]; flags: rank !== 1.
    assert.deepEqual(lines.filter((l) => l.startsWith('MPI.')), [
      'MPI.MAX of [2,5,1,4] = 5',
      'MPI.MIN of [2,5,1,4] = 1',
      'MPI.SUM of [2,5,1,4] = 12',
      'MPI.PROD of [2,5,1,4] = 40',
      'MPI.BAND of [2,5,1,4] = 0',
      'MPI.BOR of [2,5,1,4] = 7',
      'MPI.BXOR of [2,5,1,4] = 2',
      'MPI.MAXLOC of [2,5,1,4] = [5,1]',
      'MPI.MINLOC of [2,5,1,4] = [1,2]',
      'MPI.LAND of [true,false,true,true] = false',
      'MPI.LOR of [true,false,true,true] = true',
      'MPI.LXOR of [true,false,true,true] = true',
    ]);
  });

  it('Send: the highest roller sends 30 doubles; each receiver reports the Status', options, async () => {
    for (const seed of [1, 2]) {
      const dice = roll(seed, 4).map((random) => random.randint(1, 1000));
      const sender = dice.indexOf(Math.max(...dice));
      const lines = await run('Send', 4, [String(seed)]);
      const x = [...range(30), ...new Array<number>(70).fill(0)];
      assert.deepEqual(sorted(lines), sorted(range(4).map((r) => r === sender
        ? `rank ${r}: dice ${JSON.stringify(dice)}, I send`
        : `rank ${r}: Bytes 240, Elements 30, Source ${sender}, Tag ${100 + r}, x [${x.join(', ')}]`)));
    }
  });

  it('SendMatrix: row 2 of the sender lands in row 2 of the receiver', options, async () => {
    const seed = 3;
    const streams = roll(seed, 4);
    let dice: number[];
    let retries = 0;
    for (;;) {
      dice = streams.map((random) => random.randint(1, 1000));
      if (dice.indexOf(Math.max(...dice)) !== dice.indexOf(Math.min(...dice))) break;
      retries++;
    }
    const sender = dice.indexOf(Math.max(...dice));
    const receiver = dice.indexOf(Math.min(...dice));
    const lines = await run('SendMatrix', 4, [String(seed)]);
    assert.equal(lines.filter((l) => l.startsWith('Trying again')).length, retries);
    assert.deepEqual(lines.filter((l) => l.startsWith('rank')),
      [`rank ${sender}: dice ${JSON.stringify(dice)}, I send row 2 to rank ${receiver}`]);
    const rows = lines.filter((l) => /^[ [][[]/.test(l)).map((l) => l.replace(/[[\]]/g, '').trim().split(/\s+/).map(Number));
    assert.deepEqual(rows, range(10).map((i) => (i === 2 ? range(10).map((j) => 20 + j) : new Array<number>(10).fill(0))));
  });

  it('column: a vector datatype sends column 1 of rank 0\'s matrix into column r of each rank r\'s zeros', options, async () => {
    const lines = await run('column', 4);
    const column = (j: number): string =>
      range(4).map((i) => range(4).map((k) => (k === j ? String(i * 4 + 1) : '0')).join(' ')).join(' | ');
    assert.deepEqual(sorted(lines), sorted([
      'rank 0: sent column 1 (32 bytes of data, extent 104) to 3 ranks',
      ...[1, 2, 3].map((r) => `rank ${r}: 4 doubles into column ${r}: ${column(r)}`),
    ]));
  });

  it('io_subarray: every rank writes its block through a subarray view; the file is the global field', options, async () => {
    assert.deepEqual(await run('io_subarray', 4), [
      'rank 0: read 48 doubles of a 6 x 8 field written by 4 ranks in 2 x 2 blocks of 3 x 4: the global array in row order',
    ]);
    assert.deepEqual(await run('io_subarray', 3), [
      'rank 0: read 36 doubles of a 9 x 4 field written by 3 ranks in 3 x 1 blocks of 3 x 4: the global array in row order',
    ]);
  });

  it('Probe: each receiver sizes its buffer from the probed Status', options, async () => {
    assert.deepEqual(sorted(await run('Probe', 4)),
      [1, 2, 3].map((r) => `rank ${r}: probed 50 doubles from rank 0 with tag ${100 + r}: [${range(50).join(', ')}]`));
  });

  it('ring1: the small shift works, the large one is reported as a deadlock', options, async () => {
    const result = await launch('examples/ring1.ts', 4, [], { timeoutMs: TIMEOUT });
    assert.equal(result.signal, null, 'the launcher ended by itself');
    assert.equal(result.code, 3, result.stderr);
    assert.deepEqual(linesStartingWith(result.stdout, 'rank'),
      range(4).map((r) => `rank ${r}: small shift got [${new Array<number>(10).fill((r + 3) % 4).join(', ')}]`));
    assert.match(result.stderr, /deadlock: every rank is blocked/);
    for (const r of range(4)) {
      assert.match(result.stderr, new RegExp(`rank ${r}: blocked in Send\\(dest=${(r + 1) % 4}, tag=0, 8000000 bytes\\)`));
    }
    // no rank failed: the deadlock is the reason (it once blamed rank 0)
    assert.match(result.stderr, /stopping the job \(4 ranks\) because of the deadlock\n/);
  });

  for (const name of ['ring2', 'ring3', 'ring4']) {
    it(`${name}: the large ring completes, every rank gets its left neighbour's buffer`, options, async () => {
      assert.deepEqual(sorted(await run(name, 4)), range(4).map((r) =>
        `rank ${r}: got 1000000 doubles from rank ${(r + 3) % 4}: [${new Array<number>(10).fill((r + 3) % 4).join(', ')}]`));
    });
  }

  it('ring2 also completes with an odd number of ranks', options, async () => {
    assert.equal((await run('ring2', 3, ['100000'])).length, 3);
  });

  it('ring_hang: small list and even/odd order work, the naive large send deadlocks', options, async () => {
    const result = await launch('examples/ring_hang.ts', 4, [], { timeoutMs: TIMEOUT });
    assert.equal(result.signal, null, 'the launcher ended by itself');
    assert.equal(result.code, 3, result.stderr);
    const first10 = JSON.stringify(range(10));
    assert.deepEqual(linesStartingWith(result.stdout, 'rank'), sorted(range(4).flatMap((r) => [
      `rank ${r}: small list ${first10}`,
      `rank ${r}: large list in even/odd order, 1000000 items ${first10}`,
    ])));
    assert.doesNotMatch(result.stdout, /naive order/);
    assert.match(result.stderr, /deadlock: every rank is blocked/);
    for (const r of range(4)) {
      assert.match(result.stderr, new RegExp(`rank ${r}: blocked in [Ss]end\\(dest=${(r + 1) % 4}, tag=0, \\d+ bytes\\)`));
    }
  });

  it('typedict: each typed array class and its datatype', options, async () => {
    const lines = await run('typedict', 1);
    assert.equal(lines.length, 11);
    const table = new Map(lines.map((l) => [l.split(/\s+/)[0]!, l.split(/\s+/).slice(1).join(' ')]));
    assert.equal(table.get('Float64Array'), 'MPI.DOUBLE (8 bytes)');
    assert.equal(table.get('Float32Array'), 'MPI.FLOAT (4 bytes)');
    assert.equal(table.get('Int32Array'), 'MPI.INT MPI.SIGNED_INT (4 bytes)'); // mpi4py's alias, the same object
    assert.equal(table.get('Uint8Array'), 'MPI.UNSIGNED_CHAR (1 byte)');
    assert.equal(table.get('BigInt64Array'), 'MPI.INT64_T MPI.SINT64_T (8 bytes)');
  });
});

describe('application programs', () => {
  const matrix = (rows: number[][]): string[] => {
    const width = Math.max(...rows.flat().map((v) => String(v).length));
    return rows.map((row, i) =>
      `${i === 0 ? '[' : ' '}[${row.map((v) => String(v).padStart(width)).join(' ')}]${i === rows.length - 1 ? ']' : ''}`);
  };

  it('inp: Allgatherv with counts and displacements, then with IN_PLACE', options, async () => {
    const expected = matrix(range(4).map((r) => new Array<number>(8).fill(r)));
    assert.deepEqual(await run('inp', 4), [...expected, ...expected]);
  });

  it('inplace: uneven row blocks of a 6x7 matrix, gathered in place', options, async () => {
    assert.deepEqual(await run('inplace', 4), [
      'slices: 0:2 2:4 4:5 5:6',
      'counts: [14,14,7,7]',
      'displs: [0,14,28,35]',
      ...matrix([0, 0, 1, 1, 2, 3].map((r) => new Array<number>(7).fill(r))),
    ]);
  });

  it('mpi_rbind: object allgather and buffer Allgather build the same matrix', options, async () => {
    const lines = await run('mpi_rbind', 4);
    const expected = matrix(range(4).map((r) => range(4).map((i) => i * r)));
    assert.deepEqual(lines.filter((l) => !l.startsWith('rank')), [...expected, ...expected]);
    assert.deepEqual(linesStartingWith(lines.join('\n'), 'rank'), range(4).map((r) => `rank ${r}: rbind and rbind2 agree`));
  });

  it('seq_map: sqrt of 0..19', options, async () => {
    assert.deepEqual(await run('seq_map', 1), [sqrts]);
  });

  it('par_map: gather, reduce and allreduce all give the sequential map', options, async () => {
    const lines = await run('par_map', 4);
    assert.deepEqual(lines.filter((l) => l.startsWith('gather')), [`gather: ${sqrts}`]);
    assert.deepEqual(lines.filter((l) => l.startsWith('reduce')), [`reduce: ${sqrts}`]);
    assert.deepEqual(linesStartingWith(lines.join('\n'), 'allreduce'), range(4).map((r) => `allreduce on rank ${r}: ${sqrts}`));
  });

  it('par_map2: ceil-sized chunks and allreduce give the sequential map', options, async () => {
    assert.deepEqual(sorted(await run('par_map2', 4)), range(4).map((r) => `rank ${r}: ${sqrts}`));
    assert.deepEqual(sorted(await run('par_map2', 3)), range(3).map((r) => `rank ${r}: ${sqrts}`));
  });

  it('lb: the task farm returns every result in task order', options, async () => {
    const seed = 5;
    const random = new Random(seed);
    const adds = range(10).map((i) => i + random.randint(0, 9) + 30 + 70);
    const expected = [`sqrt: ${JSON.stringify(range(10).map(Math.sqrt))}`, `add: ${JSON.stringify(adds)}`];
    assert.deepEqual(await run('lb', 4, [String(seed)]), expected);
    assert.deepEqual(await run('lb', 2, [String(seed)]), expected, 'one worker does everything');
  });

  it('the k-means data set is the one its generator makes', options, () => {
    const dir = mkdtempSync(join(tmpdir(), 'mpi4ts-kmeans-'));
    try {
      const out = join(dir, 'kmeans.csv');
      const result = spawnSync(process.execPath, ['--import', 'tsx', 'examples/data/make_kmeans_data.ts', out],
        { cwd: root, encoding: 'utf8' });
      assert.equal(result.status, 0, result.stderr);
      assert.equal(readFileSync(out, 'utf8'), readFileSync(join(root, 'examples/data/kmeans.csv'), 'utf8'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('k-means: the parallel versions find exactly the sequential answer', () => {
    // 13 restarts do not split evenly over 4 ranks; seed 7 is not the default.
    const args = ['13', '7'];
    let sequential: Promise<string[]> | undefined;
    const baseline = (): Promise<string[]> => (sequential ??= run('seq_kmeans', 1, args));

    it('seq_kmeans: the best of the restarts, and its 4 centroids', options, async () => {
      const lines = await baseline();
      assert.match(lines[0]!, /^Best distortion for 13 tries: \d+\.\d{6} \(restart \d+\)$/);
      assert.equal(lines.length, 5);
      assert.deepEqual(lines.slice(1).map((l) => l.slice(0, 11)), range(4).map((j) => `centroid ${j}:`));
    });

    it('par_kmeans: gather to the root, keep the best', options, async () => {
      const [expected, lines] = await Promise.all([baseline(), run('par_kmeans', 4, args)]);
      assert.match(lines[0]!, /^Worker distortions: \[(\d+\.\d+,){3}\d+\.\d+\]$/);
      assert.deepEqual(lines.slice(1), expected);
    });

    it('par_kmeans2: allreduce MINLOC, then Bcast from the winner', options, async () => {
      const [expected, lines] = await Promise.all([baseline(), run('par_kmeans2', 4, args)]);
      const best = lines.filter((l) => l.startsWith('Best'));
      assert.equal(best.length, 1);
      assert.ok(best[0]!.startsWith(expected[0]!.slice(0, -1) + ', rank '), `${best[0]!} vs ${expected[0]!}`);
      assert.deepEqual(linesStartingWith(lines.join('\n'), 'rank'),
        range(4).map((r) => `rank ${r}: ${expected.slice(1).join('; ')}`));
    });
  });

  it('master_spawn / worker_spawn: 5 spawned workers receive the broadcast over the intercommunicator',
    options,
    async () => {
      const lines = await run('master_spawn', 1);
      assert.deepEqual(lines.filter((l) => l.startsWith('About')), ['About to broadcast [1, 2, 3] from rank 0']);
      assert.deepEqual(sorted(lines.filter((l) => l.startsWith('Bcast'))), range(5).map((r) => `Bcast coming to rank ${r}`));
      assert.deepEqual(sorted(lines.filter((l) => l.startsWith('Received'))), range(5).map((r) => `Received [1, 2, 3] on rank ${r}`));
    });

  it('pi: the shares reduced with SUM give pi', options, async () => {
    for (const ranks of [1, 4]) {
      const lines = await run('pi', ranks, ['100000']);
      assert.equal(lines.length, 1);
      const match = /^pi is approximately (\d\.\d+), error (\S+)$/.exec(lines[0]!);
      assert.ok(match, lines[0]);
      const pi = Number(match[1]);
      assert.ok(Math.abs(pi - Math.PI) < 1e-9, `pi = ${pi}`);
      // The error is printed from the unrounded value: the two agree to the printed digits.
      assert.ok(Math.abs(Number(match[2]) - Math.abs(pi - Math.PI)) < 1e-13, lines[0]);
    }
  });

  it('rma_counter: the task farm on a Fetch_and_op counter runs every task once', options, async () => {
    for (const ranks of [1, 3, 4]) {
      const lines = await run('rma_counter', ranks, ['300']);
      assert.equal(lines.length, 2, lines.join('\n'));
      const counts = /^300 tasks on (\d+) ranks: (.*)$/.exec(lines[0]!);
      assert.ok(counts, lines[0]);
      assert.equal(Number(counts[1]), ranks);
      const ran = [...counts[2]!.matchAll(/rank (\d+) ran (\d+)/g)].map((m) => Number(m[2]));
      assert.equal(ran.length, ranks);
      assert.equal(ran.reduce((a, b) => a + b, 0), 300);
      assert.equal(lines[1], 'every task ran once: true');
    }
  });

  it('shared_window: each rank smooths its segment with its neighbours\' values read from shared memory', options, async () => {
    const n = 5;
    const ranks = 4;
    const values = range(n * ranks);
    const expected = range(ranks).map((r) => {
      const smooth = range(n).map((i) => {
        const at = r * n + i;
        const left = values[Math.max(at - 1, 0)]!;
        const right = values[Math.min(at + 1, n * ranks - 1)]!;
        return ((left + values[at]! + right) / 3).toFixed(2);
      });
      return `rank ${r}: [${smooth.join(', ')}]`;
    });
    assert.deepEqual(sorted(await run('shared_window', ranks)), expected);
  });

  it('heat2d: the Cartesian solver matches the sequential one, with the same checksum on any grid of ranks', options, async () => {
    // 60x45 does not divide evenly over 2, 3 or 4 rows or columns of ranks.
    const checksums = new Set<string>();
    for (const [ranks, grid] of [[1, '1x1'], [2, '2x1'], [4, '2x2'], [6, '3x2']] as const) {
      const lines = await run('heat2d', ranks, ['60', '45', '50', '--check']);
      assert.equal(lines.length, 3, lines.join('\n'));
      assert.match(lines[0]!, new RegExp(`^heat2d: 60x45, 50 iterations, ${ranks} ranks? \\(${grid} grid\\): \\d+\\.\\d{3} s$`));
      const checksum = /^checksum = (\d+\.\d+)$/.exec(lines[1]!);
      assert.ok(checksum, lines[1]);
      checksums.add(checksum[1]!);
      const diff = /^max \|parallel - sequential\| = (\S+)$/.exec(lines[2]!);
      assert.ok(diff, lines[2]);
      assert.ok(Number(diff[1]) <= 1e-12, lines[2]);
    }
    assert.equal(checksums.size, 1, `checksums differ: ${[...checksums].join(', ')}`);
  });
});
