// The launcher's command line and the addon's install hook, without MPI:
// which options reach which transport, and that the install script does
// nothing in a process an MPI launcher started.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type LaunchOptions, UsageError, parseCommandLine } from '../src/launcher/cli.js';
import { mpiexecCommand, mpiexecFlavour } from '../src/launcher/mpi.js';
import { JOB_TIMEOUT_MS, root } from './helpers/launch.js';
import { rankDefaultsApply } from '../src/launcher/v8flags.js';

function runOptions(argv: readonly string[]): LaunchOptions {
  const command = parseCommandLine(argv);
  assert.equal(command.kind, 'run');
  return command.options;
}

describe('launcher options', () => {
  it('collects repeated --mpiexec-arg words in order', () => {
    const options = runOptions(['--transport', 'mpi', '--mpiexec-arg=--hostfile', '--mpiexec-arg', 'my hosts', '-n', '3', 'x.ts', 'a']);
    assert.deepEqual(options.mpiexecArgs, ['--hostfile', 'my hosts']);
    assert.equal(options.ranks, 3);
    assert.deepEqual(options.args, ['a']);
  });

  it('refuses shm-only options on the mpi transport, whatever their order, and --mpiexec-arg on shm', () => {
    assert.throws(() => parseCommandLine(['--eager-limit', '4k', '--transport', 'mpi', 'x.ts']),
      (e: unknown) => e instanceof UsageError && /--eager-limit applies to the shm transport only/.test(e.message));
    assert.throws(() => parseCommandLine(['--transport', 'mpi', '--heap-size', '1g', 'x.ts']), UsageError);
    assert.throws(() => parseCommandLine(['--transport', 'mpi', '--universe-size', '9', 'x.ts']), UsageError);
    assert.throws(() => parseCommandLine(['--mpiexec-arg=-x', 'x.ts']), /--mpiexec-arg needs --transport mpi/);
    assert.equal(runOptions(['--eager-limit', '4k', 'x.ts']).eagerLimit, 4096);
    assert.equal(runOptions(['--eager-limit=1m', 'x.ts']).eagerLimit, 1024 ** 2);
    assert.throws(() => parseCommandLine(['--eager-limit', '4m', 'x.ts']),
      (e: unknown) => e instanceof UsageError && /--eager-limit takes at most 1m, got "4m"/.test(e.message));
  });

  it('tells Open MPI and MPICH apart', () => {
    assert.equal(mpiexecFlavour('mpiexec (OpenRTE) 4.1.4\n'), 'openmpi');
    assert.equal(mpiexecFlavour('HYDRA build details:\n    Version: 4.0.2\n'), 'hydra');
    assert.equal(mpiexecFlavour('srun-ish 1.0'), 'other');
  });

  it('builds the mpiexec command: user words first, tag output, the environment exported', () => {
    const options = runOptions(['--transport', 'mpi', '-n', '4', '--tag-output', '--deadlock-timeout', '2.5', '--verbose',
      '--mpiexec-arg=--hostfile', '--mpiexec-arg=hosts', 'x.ts', 'arg']);
    const openmpi = mpiexecCommand(options, 'openmpi', 2, '/bin/node');
    assert.ok(!('error' in openmpi));
    // The ranks get the V8 defaults (CI turns them off for Node 22 and 24), and with them the settling and the load
    // without compilers.
    const settle = rankDefaultsApply(process.env)
      ? ['-x', 'MPI4TS_SETTLE_HEAP=1', '-x', 'MPI4TS_LOAD_V8_FLAGS=--no-turbofan --no-sparkplug'] : [];
    const exported = ['-x', 'MPI4TS_DEADLOCK_TIMEOUT=2.5', '-x', 'MPI4TS_VERBOSE=1', ...settle];
    assert.deepEqual(openmpi.args.slice(0, 5 + exported.length), ['--hostfile', 'hosts', '--oversubscribe', '--tag-output',
      ...exported, '-n']);
    assert.deepEqual(openmpi.args.slice(5 + exported.length, 6 + exported.length), ['4']);
    assert.deepEqual(openmpi.args.slice(-2), ['x.ts', 'arg']);
    assert.deepEqual(openmpi.env, { MPI4TS_DEADLOCK_TIMEOUT: '2.5', MPI4TS_VERBOSE: '1',
      ...(settle.length > 0 ? { MPI4TS_SETTLE_HEAP: '1', MPI4TS_LOAD_V8_FLAGS: '--no-turbofan --no-sparkplug' } : {}) });
    const hydra = mpiexecCommand(options, 'hydra', 8, '/bin/node');
    assert.ok(!('error' in hydra));
    assert.deepEqual(hydra.args.slice(0, 9), ['--hostfile', 'hosts', '-prepend-rank',
      '-genv', 'MPI4TS_DEADLOCK_TIMEOUT', '2.5', '-genv', 'MPI4TS_VERBOSE', '1']);
    const other = mpiexecCommand(options, 'other', 8, '/bin/node');
    assert.ok('error' in other && /--tag-output/.test(other.error));
  });

  it('lets processes that Spawn starts outnumber the cores on one machine, not on a cluster (Open MPI)', (t) => {
    const names = ['OMPI_MCA_rmaps_base_oversubscribe', 'SLURM_JOB_ID', 'PBS_JOBID', 'LSB_JOBID', 'PE_HOSTFILE', 'FLUX_JOB_ID'];
    const saved = names.map((name) => process.env[name]);
    for (const name of names) delete process.env[name];
    t.after(() => names.forEach((name, i) => {
      if (saved[i] === undefined) delete process.env[name];
      else process.env[name] = saved[i];
    }));
    const spawnRoom = (argv: readonly string[], flavour: 'openmpi' | 'hydra' = 'openmpi'): string | undefined => {
      const command = mpiexecCommand(runOptions(['--transport', 'mpi', '-n', '1', ...argv, 'x.ts']), flavour, 2, '/bin/node');
      assert.ok(!('error' in command));
      const value = command.env['OMPI_MCA_rmaps_base_oversubscribe'];
      assert.equal(command.args.includes('OMPI_MCA_rmaps_base_oversubscribe=1'), value !== undefined && flavour === 'openmpi');
      return value;
    };
    assert.equal(spawnRoom([]), '1');
    assert.equal(spawnRoom(['--mpiexec-arg=--hostfile', '--mpiexec-arg=hosts']), undefined);
    assert.equal(spawnRoom(['--mpiexec-arg=--host=a,b']), undefined);
    assert.equal(spawnRoom(['--mpiexec-arg=-H', '--mpiexec-arg=a,b']), undefined);
    assert.equal(spawnRoom([], 'hydra'), undefined);
    process.env['SLURM_JOB_ID'] = '42';
    assert.equal(spawnRoom([]), undefined);
    delete process.env['SLURM_JOB_ID'];
    // the user's own setting is left to reach mpiexec as it is
    process.env['OMPI_MCA_rmaps_base_oversubscribe'] = '0';
    assert.equal(spawnRoom([]), undefined);
  });

  it('prints the shm banner with --verbose and MPI4TS_VERBOSE=1, and nothing without', () => {
    const opts = { cwd: root, encoding: 'utf8' as const, timeout: JOB_TIMEOUT_MS };
    const verbose = spawnSync(process.execPath, ['bin/mpi4ts.js', '-n', '2', '--verbose', 'test/programs/library.ts'], opts);
    assert.equal(verbose.status, 0, verbose.stderr);
    assert.match(verbose.stderr, /^mpi4ts: 2 ranks on the shm transport \(worker threads of process \d+\)\n$/);
    const fromEnv = spawnSync(process.execPath, ['bin/mpi4ts.js', '-n', '1', 'test/programs/library.ts'],
      { ...opts, env: { ...process.env, MPI4TS_VERBOSE: '1' } });
    assert.match(fromEnv.stderr, /^mpi4ts: 1 rank on the shm transport/);
    const quiet = spawnSync(process.execPath, ['bin/mpi4ts.js', '-n', '2', 'test/programs/library.ts'], opts);
    assert.equal(quiet.stderr, '');
  });
});

describe('a missing addon', () => {
  it('--transport mpi: reported once by the launcher, with the command, the file and how to build it; mpiexec never starts', () => {
    const run = spawnSync(process.execPath, ['bin/mpi4ts.js', '--transport', 'mpi', '-n', '2', 'examples/hello.ts'],
      { cwd: root, encoding: 'utf8', timeout: JOB_TIMEOUT_MS, env: { ...process.env, MPI4TS_NATIVE: '/nonexistent/mpi4ts_native.node', MPIEXEC: '/nonexistent/mpiexec' } });
    assert.equal(run.status, 2, run.stderr);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /^mpi4ts: the mpi transport needs its native addon, which is not built; no rank started\n {2}command: mpi4ts --transport mpi -n 2 examples\/hello\.ts\n {2}missing: \/nonexistent\/mpi4ts_native\.node \(MPI4TS_NATIVE\)\n/);
    assert.match(run.stderr, /\n {2}then, in the project: npx mpi4ts build-mpi\n/);
    assert.doesNotMatch(run.stderr, /^\s+at |nonexistent\/mpiexec/m);
  });

  it('is looked for where the mpi transport loads it from', async () => {
    const { addonPath } = await import('../src/launcher/failure.js');
    const { nativePath } = await import('../src/transport/mpi/native.js');
    assert.equal(addonPath(), nativePath());
  });
});

describe('--typecheck', () => {
  it('stops a script with a type error before any rank starts, with tsc\'s diagnostic', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mpi4ts-typecheck-test-'));
    try {
      const script = join(dir, 'wrong.ts');
      writeFileSync(script, "const count: number = 'three';\nconsole.log('rank started', count);\n");
      const run = spawnSync(process.execPath, ['bin/mpi4ts.js', '-n', '2', '--typecheck', script], { cwd: root, encoding: 'utf8', timeout: JOB_TIMEOUT_MS });
      assert.equal(run.status, 2, run.stderr);
      assert.equal(run.stdout, '');
      assert.match(run.stderr, /--typecheck: .*wrong\.ts has type errors; no rank started/);
      assert.match(run.stderr, /wrong\.ts\(1,7\): error TS2322: Type 'string' is not assignable to type 'number'/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs a script that checks clean, with the tsconfig.json above it', () => {
    const run = spawnSync(process.execPath, ['bin/mpi4ts.js', '-n', '2', '--typecheck', 'examples/hello.ts'], { cwd: root, encoding: 'utf8', timeout: JOB_TIMEOUT_MS });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout.split('\n').filter((line) => line.startsWith('Hello from rank')).length, 2);
  });
});

describe('the install hook under an MPI launcher', () => {
  const addon = `${root}/native/build/Release/mpi4ts_native.node`;
  for (const [name, value] of [['OMPI_COMM_WORLD_SIZE', '4'], ['PMI_RANK', '0'], ['PMIX_RANK', '1']] as const) {
    it(`skips the build and never loads the addon with ${name} set`, () => {
      const before = existsSync(addon) ? statSync(addon).mtimeMs : undefined;
      const result = spawnSync(process.execPath, ['scripts/build-mpi.mjs', '--optional'],
        { cwd: root, encoding: 'utf8', env: { ...process.env, [name]: value } });
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stdout, /^build-mpi: skipped: this process was started by an MPI launcher/);
      assert.doesNotMatch(result.stdout, /node-gyp|loads:/);
      assert.equal(existsSync(addon) ? statSync(addon).mtimeMs : undefined, before);
    });
  }
});
