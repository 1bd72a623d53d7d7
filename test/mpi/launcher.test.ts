// The cluster path under a real mpiexec (Open MPI in CI): the launcher's
// options on --transport mpi, the banner, and deadlock reports of jobs that
// mpiexec started. Run by `npm run test:mpi`.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type JobResult as Result, linesStartingWith, mpiexecEnv, runCommand } from '../helpers/launch.js';

function run(command: string, args: readonly string[], extraEnv: Record<string, string> = {}, timeoutMs?: number): Promise<Result> {
  return runCommand(command, args, { env: { ...mpiexecEnv, ...extraEnv }, timeoutMs });
}

const mpiexec = (ranks: number, program: readonly string[], extraEnv?: Record<string, string>): Promise<Result> =>
  run('mpiexec', ['--oversubscribe', '-n', String(ranks), process.execPath, 'bin/mpi4ts.js', ...program], extraEnv);
const launcher = (args: readonly string[], extraEnv?: Record<string, string>): Promise<Result> =>
  run(process.execPath, ['bin/mpi4ts.js', ...args], extraEnv);

describe('deadlocks under mpiexec', () => {
  it('reports the ring of large blocking sends (examples/ring1.ts) and ends the job with status 3', async () => {
    const result = await mpiexec(4, ['examples/ring1.ts']);
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stderr, /deadlock: every rank is blocked/);
    for (let rank = 0; rank < 4; rank++) {
      assert.match(result.stderr, new RegExp(`rank ${rank}: blocked in Send\\(dest=${(rank + 1) % 4}, tag=0, 8000000 bytes\\)`));
    }
    assert.match(result.stderr, /hint: a blocking Send/);
    // The small shift before it went through.
    assert.equal(linesStartingWith(result.stdout, 'rank').length, 4);
    assert.ok(result.ms < 30_000, `took ${result.ms} ms`);
  });

  it('honours --deadlock-timeout through --transport mpi', async () => {
    const result = await launcher(['--transport', 'mpi', '-n', '2', '--deadlock-timeout', '3', 'test/programs/ring_deadlock.ts']);
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stderr, /no other rank can satisfy \(for 3 s\)/);
    assert.match(result.stderr, /rank 1: blocked in Send\(dest=0, tag=0, 8000000 bytes\)/);
  });

  it('reports a rank waiting for ranks that have finished', async () => {
    const result = await mpiexec(3, ['test/mpi/programs/waits_for_finished.ts']);
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stderr, /rank 0: blocked in Recv\(source=2, tag=5, object of unknown size\)/);
    assert.match(result.stderr, /rank 1: finished\n {2}rank 2: finished/);
  });

  it('does not mistake computing or timers for a deadlock', async () => {
    const result = await mpiexec(3, ['test/mpi/programs/slow_partner.ts']);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(linesStartingWith(result.stdout, 'slow ok'), [0, 1, 2].map((r) => `slow ok ${r} computed`));
  });

  it('does not mistake receives pending when the script ends for a deadlock: code 0, as on shm', async () => {
    const result = await mpiexec(3, ['test/programs/pending_irecv.ts']);
    assert.equal(result.code, 0, result.stderr);
    assert.doesNotMatch(result.stderr, /deadlock/);
    assert.deepEqual(linesStartingWith(result.stdout, 'pending_irecv'),
      [0, 1, 2].map((r) => `pending_irecv ${r} of 3: the message that arrived tests true`));
  });

  it('is off with MPI4TS_DEADLOCK_TIMEOUT=0', async () => {
    const result = await run('mpiexec', ['--oversubscribe', '-n', '2', '-x', 'MPI4TS_DEADLOCK_TIMEOUT=0', process.execPath,
      'bin/mpi4ts.js', 'test/programs/ring_deadlock.ts'], {}, 8_000);
    assert.equal(result.code, null, 'killed by the test after 8 s, still hanging');
    assert.doesNotMatch(result.stderr, /deadlock/);
  });
});

describe('--transport mpi options', () => {
  it('turns --tag-output into mpiexec\'s own', async () => {
    const result = await launcher(['--transport', 'mpi', '-n', '2', '--tag-output', 'test/programs/library.ts']);
    assert.equal(result.code, 0, result.stderr);
    const tagged = result.stdout.split('\n').filter((line) => /^\[\d+,\d\]<stdout>:\s*library \d of 2/.test(line));
    assert.equal(tagged.length, 2, result.stdout);
  });

  it('passes --mpiexec-arg words to mpiexec, and the deadlock timeout to every rank', async () => {
    const result = await launcher(['--transport', 'mpi', '-n', '2', '--deadlock-timeout', '7',
      '--mpiexec-arg=-x', '--mpiexec-arg', 'MPI4TS_TEST_EXTRA=from mpiexec',
      '--mpiexec-arg=--mca', '--mpiexec-arg=btl', '--mpiexec-arg=tcp,self', 'test/mpi/programs/environment.ts']);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(linesStartingWith(result.stdout, 'env'),
      [0, 1].map((r) => `env ${r} of 2: timeout=7 extra=from mpiexec`));
  });

  it('runs examples/master_spawn.ts: the 5 processes Spawn starts may outnumber the cores', async () => {
    const env = { ...mpiexecEnv };
    delete env['OMPI_MCA_rmaps_base_oversubscribe'];
    const result = await runCommand(process.execPath, ['bin/mpi4ts.js', '--transport', 'mpi', '-n', '1', 'examples/master_spawn.ts'], { env });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(linesStartingWith(result.stdout, 'Received'), [0, 1, 2, 3, 4].map((r) => `Received [1, 2, 3] on rank ${r}`));
  });

  it('passes SIGTERM sent to the launcher alone on to mpiexec: no rank is left running', async () => {
    const child = spawn(process.execPath, ['bin/mpi4ts.js', '--transport', 'mpi', '-n', '2', 'test/mpi/programs/sleeps.ts'],
      { env: mpiexecEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the ranks did not start: ${out}`)), 60_000);
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if ((out.match(/sleeping \d/g) ?? []).length === 2) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    // plain output into a pipe: no colour codes from the pty Open MPI gives the ranks
    assert.doesNotMatch(out, /\u001b\[/);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    assert.notEqual(await exited, 0);
    const left = (): string => spawnSync('pgrep', ['-f', 'test/mpi/programs/sleeps.ts'], { encoding: 'utf8' }).stdout.trim();
    for (let waited = 0; left() !== '' && waited < 10_000; waited += 200) await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(left(), '', 'processes of the job still running');
  });

  it('refuses options of the shm transport, with what to do instead', async () => {
    for (const [option, value, hint] of [['--eager-limit', '4k', /btl_vader_eager_limit/], ['--heap-size', '1g', /ordinary memory/],
      ['--universe-size', '8', /slots/]] as const) {
      const result = await launcher(['--transport', 'mpi', '-n', '2', option, value, 'test/programs/library.ts']);
      assert.equal(result.code, 2, `${option}: ${result.stderr}`);
      assert.match(result.stderr, new RegExp(`${option} applies to the shm transport only; with --transport mpi`));
      assert.match(result.stderr, hint);
      assert.equal(result.stdout, '');
    }
    const under = await mpiexec(2, ['--eager-limit', '4k', 'test/programs/library.ts']);
    assert.notEqual(under.code, 0);
    assert.match(under.stderr, /--eager-limit applies to the shm transport only; under mpiexec/);
    const tag = await mpiexec(2, ['--tag-output', 'test/programs/library.ts']);
    assert.notEqual(tag.code, 0);
    assert.match(tag.stderr, /--tag-output: under mpiexec, ask mpiexec for it/);
  });

  it('says which transport runs the job: --verbose, or MPI4TS_VERBOSE=1 under mpiexec', async () => {
    const verbose = await launcher(['--transport', 'mpi', '-n', '2', '--verbose', 'test/programs/library.ts']);
    assert.equal(verbose.code, 0, verbose.stderr);
    assert.match(verbose.stderr, /^mpi4ts: 2 ranks on the mpi transport: mpiexec .*-n 2 /m);
    assert.match(verbose.stderr, /^mpi4ts: 2 ranks on the mpi transport \(Open MPI v\d[^,]*, MPI_THREAD_\w+\)$/m);
    const direct = await mpiexec(2, ['test/programs/library.ts'], { MPI4TS_VERBOSE: '1' });
    assert.equal(direct.code, 0, direct.stderr);
    assert.equal(direct.stderr.match(/^mpi4ts: 2 ranks on the mpi transport \(Open MPI/gm)?.length, 1, direct.stderr);
    const quiet = await mpiexec(2, ['test/programs/library.ts']);
    assert.doesNotMatch(quiet.stderr, /mpi4ts: /);
  });
});

describe('launcher messages under mpiexec', () => {
  it('a missing addon: rank 0 alone says what is missing and how to build it; the job fails before the script runs', async () => {
    const result = await mpiexec(3, ['examples/hello.ts'], { MPI4TS_NATIVE: '/nonexistent/mpi4ts_native.node' });
    assert.notEqual(result.code, 0);
    assert.equal(result.stdout, '');
    assert.equal(result.stderr.match(/mpi4ts: the mpi transport needs its native addon/g)?.length, 1, result.stderr);
    assert.match(result.stderr, /no rank ran the script\n {2}command: mpi4ts examples\/hello\.ts \(a rank of a job that mpiexec started\)\n {2}missing: \/nonexistent\/mpi4ts_native\.node \(MPI4TS_NATIVE\)\n/);
    assert.match(result.stderr, /apt-get install libopenmpi-dev/);
    assert.match(result.stderr, /npx mpi4ts build-mpi/);
    assert.doesNotMatch(result.stderr, /^\s+at /m);
  });

  it('a missing script: rank 0 alone says so', async () => {
    const result = await mpiexec(3, ['test/programs/no_such_script.ts']);
    assert.equal(result.code, 2, result.stderr);
    assert.equal(result.stdout, '');
    assert.equal(result.stderr.match(/mpi4ts: cannot find the script test\/programs\/no_such_script\.ts/g)?.length, 1, result.stderr);
  });

  it('a syntax error in a module the script imports: rank 0 alone reports it, before the script runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mpi4ts-syntax-mpi-'));
    try {
      writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
      writeFileSync(join(dir, 'main.ts'), "import { total } from './sum.js';\nconsole.log('ran', total());\n");
      writeFileSync(join(dir, 'sum.ts'), 'export function total(): number {\n  return (1 + ;\n}\n');
      const result = await mpiexec(3, [join(dir, 'main.ts')]);
      assert.equal(result.code, 2, result.stderr);
      assert.equal(result.stdout, '');
      assert.equal(result.stderr.match(/does not compile/g)?.length, 1, result.stderr);
      assert.match(result.stderr, /main\.ts does not compile; no rank ran it\n.*sum\.ts:2:15: syntax error: Unexpected ";"\n {2}2 \| {3}return \(1 \+ ;\n {4}\| {15}\^\n {2}imported by: .*main\.ts > .*sum\.ts\n/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a failing rank\'s report shows the user\'s frames first, no internal ones', async () => {
    const result = await mpiexec(2, ['test/programs/failure/main.ts']);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, new RegExp('mpi4ts: rank 1 failed: MPIError: rank 1: Comm\\.Send: invalid dest 7: .*\n' +
      ' {4}at sendToNowhere \\(.*test/programs/failure/main\\.ts:10:\\d+\\)\n {4}at withRetries \\(.*test/programs/failure/helper\\.ts:3:\\d+\\)\n' +
      ' {4}at .*test/programs/failure/main\\.ts:17:\\d+\\)?\n {4}\\(\\d+ frames of mpi4ts( and \\d+ frames? of Node\'s internals)? left out\\)\n'), result.stderr);
    assert.doesNotMatch(result.stderr, /dist\/|node:internal/);
    const rejected = await mpiexec(2, ['test/programs/failure/main.ts', 'reject']);
    assert.notEqual(rejected.code, 0);
    assert.match(rejected.stderr, /mpi4ts: rank 0 failed: RangeError: rejected on purpose\n {4}at .*test\/programs\/failure\/main\.ts:15:\d+\)?\n/);
  });
});

describe('Split_type(COMM_TYPE_SHARED) under mpiexec', () => {
  it('groups the ranks as Open MPI places them on nodes', async () => {
    for (const ranks of [1, 3]) {
      const result = await mpiexec(ranks, ['test/mpi/programs/split_type.ts']);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(linesStartingWith(result.stdout, 'split_type ok').length, ranks, result.stdout);
      for (const line of linesStartingWith(result.stdout, 'split_type ok')) assert.match(line, new RegExp(` ${ranks}$`));
    }
  });
});

describe('TypeScript under mpiexec', () => {
  it('each rank loads .ts through the loader; the disk cache holds one compilation per file', async () => {
    const temp = mkdtempSync(join(tmpdir(), 'mpi4ts-ts-mpi-'));
    try {
      // A fresh os.tmpdir() for the ranks: their disk cache starts empty.
      const result = await mpiexec(3, ['test/programs/typescript/esm/main.ts'], { TMPDIR: temp });
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(linesStartingWith(result.stdout, 'rank'),
        [0, 1, 2].map((r) => `rank ${r}: Green=2 index.ts fields=assign,7 paths=1 ranks=012`));
      const cache = readdirSync(temp).find((name) => name.startsWith('mpi4ts-ts-'));
      assert.ok(cache !== undefined, `no cache directory in ${readdirSync(temp).join(', ')}`);
      // main.ts, lib/y.ts and lib/index.ts, each once; no lock or temporary file left.
      assert.equal(readdirSync(join(temp, cache)).sort().filter((name) => /^[0-9a-f]{64}\.js$/.test(name)).length, 3);
      assert.deepEqual(readdirSync(join(temp, cache)).filter((name) => !/^[0-9a-f]{64}\.js$/.test(name)), []);
    } finally {
      rmSync(temp, { recursive: true, force: true });
    }
  });
});

/**
 * A Node that has `process.execve` (22.15 and later): this one, or the one `MPI4TS_TEST_NODE_WITH_EXECVE`
 * names (`.ci/run` runs this suite on Node 20 and names its Node 24).
 */
const nodeWithExecve = typeof (process as { execve?: unknown }).execve === 'function' ? process.execPath
  : process.env['MPI4TS_TEST_NODE_WITH_EXECVE'];

describe('V8 flags under mpiexec', () => {
  it('a rank that mpiexec starts with a plain node runs again with mpi4ts\'s flags (Node with process.execve)',
    { skip: nodeWithExecve === undefined ? 'no Node with process.execve: set MPI4TS_TEST_NODE_WITH_EXECVE' : false }, async () => {
      const result = await run('mpiexec', ['--oversubscribe', '-n', '2', nodeWithExecve!, '--allow-natives-syntax', 'bin/mpi4ts.js',
        'test/programs/v8_flags.ts'], { MPI4TS_V8_DEFAULTS: '1' });
      assert.equal(result.code, 0, result.stderr);
      for (const rank of [0, 1]) {
        // Set when V8 makes the isolate: the rank runs a new program with the flags, and keeps the user's own.
        assert.match(result.stdout, new RegExp(`rank ${rank}: concurrent recompilation false`));
        assert.match(result.stdout, new RegExp(`rank ${rank}: TurboFan after 100 calls true`));
        assert.match(result.stdout, new RegExp(`rank ${rank}: young generation MiB 8 `));
        assert.match(result.stdout, new RegExp(`rank ${rank}: the script's object young once MPI started false`));
      }
      const off = await run('mpiexec', ['--oversubscribe', '-n', '2', nodeWithExecve!, '--allow-natives-syntax', 'bin/mpi4ts.js',
        'test/programs/v8_flags.ts'], { MPI4TS_V8_DEFAULTS: '0' });
      assert.equal(off.code, 0, off.stderr);
      assert.match(off.stdout, /rank 1: concurrent recompilation true/);
    });

  it('a rank loads without V8\'s compilers and turns them back on before its script, with mpi4ts\'s early tier-up', async () => {
    const result = await launcher(['--transport', 'mpi', '-n', '4', '--verbose', '--node-options', '--allow-natives-syntax',
      'test/programs/v8_flags.ts'], { MPI4TS_V8_DEFAULTS: '1' });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /-x MPI4TS_LOAD_V8_FLAGS=--no-turbofan --no-sparkplug /);
    for (let rank = 0; rank < 4; rank++) assert.match(result.stdout, new RegExp(`rank ${rank}: TurboFan after 100 calls true`));
  });
});
