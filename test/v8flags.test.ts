// The V8 flags mpi4ts gives rank threads (src/launcher/v8flags.ts): which flags, when, that the
// user's own flags and MPI4TS_V8_DEFAULTS win, and that they reach a rank's isolate.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCommandLine } from '../src/launcher/cli.js';
import { mpiexecCommand } from '../src/launcher/mpi.js';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { RANK_EXEC_ENV, rankExec } from '../src/launcher/rank_exec.js';
import { flagName, loadedFlag, rankDefaultsApply, rankLoadFlags, rankV8Flags } from '../src/launcher/v8flags.js';
import { launch, linesStartingWith } from './helpers/launch.js';

/** Preloaded into the ranks (`--import`): whether V8 optimizes while a rank loads. */
const LOADING = resolve('test/programs/v8_flags_loading.mjs');

/** The young generation's size that rank `rank` of test/programs/v8_flags.ts printed. */
function youngMiB(stdout: string, rank: number): number {
  const match = new RegExp(`rank ${rank}: young generation MiB ([\\d.]+)`).exec(stdout);
  assert.ok(match !== null, stdout);
  return Number(match[1]);
}

describe('V8 flags of the ranks', () => {
  it('apply whatever the number of ranks, by Node version, unless MPI4TS_V8_DEFAULTS=0', () => {
    const node20 = rankV8Flags([], {}, 20);
    assert.ok(node20.includes('--no-concurrent-recompilation'));
    assert.ok(node20.includes('--no-parallel-scavenge'));
    assert.ok(!node20.includes('--no-maglev-build-code-on-background'), 'Node 20 has no Maglev flag');
    assert.ok(rankV8Flags([], {}, 24).includes('--no-maglev-build-code-on-background'));
    // Early tier-up, in each V8's own terms: a bytecode budget on Node 20, invocation counts from Node 22.
    assert.ok(node20.includes('--interrupt-budget=1024'));
    assert.ok(!node20.some((flag) => flag.startsWith('--invocation-count-for-turbofan')));
    const node24 = rankV8Flags([], {}, 24);
    assert.ok(node24.includes('--invocation-count-for-turbofan=25') && !node24.includes('--interrupt-budget=1024'));
    assert.ok(node24.includes('--minimum-invocations-after-ic-update=10'));
    // One optimizing tier on Node 24 (TurboFan only); Node 22 keeps Maglev, with lower counts.
    const node22 = rankV8Flags([], {}, 22);
    assert.ok(node24.includes('--no-maglev') && !node22.includes('--no-maglev'));
    assert.ok(node22.includes('--invocation-count-for-turbofan=25'));
    assert.ok(!node22.includes('--invocation-count-for-turbofan=50'));
    // Node 20 compiles a deoptimized function again sooner; 22 and 24 showed no difference.
    assert.ok(node20.includes('--invocation-count-for-osr=10') && !node20.includes('--invocation-count-for-osr=50'));
    assert.ok(node24.includes('--invocation-count-for-osr=50') && node22.includes('--invocation-count-for-osr=50'));
    assert.ok(node20.includes('--max-semi-space-size=4') && node24.includes('--max-semi-space-size=4'));
    // Of a fixed size: V8 does not grow it into fresh pages during a loop.
    assert.ok(node20.includes('--min-semi-space-size=4') && node24.includes('--min-semi-space-size=4'));
    assert.deepEqual(rankV8Flags([], { MPI4TS_V8_DEFAULTS: '1' }, 20), node20);
    assert.deepEqual(rankV8Flags([], { MPI4TS_V8_DEFAULTS: '0' }, 20), []);
    assert.deepEqual(rankV8Flags([], { MPI4TS_V8_DEFAULTS: 'off' }, 20), []);
    // The same decision settles the ranks' young generation at start-up (young_generation.ts).
    assert.equal(rankDefaultsApply({}), true);
    assert.equal(rankDefaultsApply({ MPI4TS_V8_DEFAULTS: 'yes' }), true);
    assert.equal(rankDefaultsApply({ MPI4TS_V8_DEFAULTS: 'false' }), false);
    assert.equal(rankDefaultsApply({ MPI4TS_V8_DEFAULTS: ' NO ' }), false);
    // Never the flags V8 cannot take while an isolate is marking, nor costly concurrent marking and sweeping, nor WebAssembly's.
    for (const flag of rankV8Flags([], {}, 24)) assert.doesNotMatch(flag, /marking|sweeping|cppheap|wasm/);
  });

  it('turn the compilers off while a rank loads, unless the defaults are off or the user chose compilers', () => {
    assert.deepEqual(rankLoadFlags([], {}), ['--no-turbofan', '--no-sparkplug']);
    assert.deepEqual(rankLoadFlags([], {}).map(loadedFlag), ['--turbofan', '--sparkplug']);
    assert.deepEqual(rankLoadFlags([], { MPI4TS_V8_DEFAULTS: '0' }), []);
    for (const flag of ['--jitless', '--no-opt', '--turbofan', '--no_sparkplug', '--always-turbofan']) {
      assert.deepEqual(rankLoadFlags(['--expose-gc', flag], {}), [], flag);
    }
    assert.deepEqual(rankLoadFlags(['--expose-gc', '--stack-size=2000'], {}), ['--no-turbofan', '--no-sparkplug']);
  });

  it('leave out the flags the user set, in either polarity and spelling', () => {
    assert.equal(flagName('--no-concurrent_marking=1'), 'concurrent-marking');
    assert.equal(flagName('x.ts'), undefined);
    const flags = rankV8Flags(['--concurrent-recompilation', '--no_parallel_scavenge', '--expose-gc',
      '--interrupt_budget=100000'], {}, 20);
    assert.ok(!flags.includes('--no-concurrent-recompilation'));
    assert.ok(!flags.some((flag) => flag.startsWith('--interrupt-budget')));
    assert.ok(!flags.includes('--no-parallel-scavenge'));
    assert.ok(flags.includes('--no-concurrent-sparkplug'));
  });

  it('settle the young generation: start-up\'s objects are promoted by two scavenges', () => {
    // A process of its own: %InYoungGeneration needs --allow-natives-syntax, which a running V8 cannot take back.
    const module = pathToFileURL('src/launcher/young_generation.ts').href;
    const code = `
      import { PerformanceObserver, constants } from 'node:perf_hooks';
      import { settleYoungGeneration } from '${module}';
      const young = new Function('o', 'return %InYoungGeneration(o)');
      const startUp = { made: 'before the script', items: [1, 2, 3] };
      const before = young(startUp);
      const gcs = [];
      new PerformanceObserver((list) => gcs.push(...list.getEntries())).observe({ entryTypes: ['gc'] });
      const t0 = performance.now();
      const seen = settleYoungGeneration();
      const t1 = performance.now();
      setTimeout(() => {
        const scavenges = gcs.filter((e) => e.detail.kind === constants.NODE_PERFORMANCE_GC_MINOR && e.startTime >= t0 && e.startTime <= t1);
        console.log(JSON.stringify({ before, after: young(startUp), seen, scavenges: scavenges.length }));
      }, 100);`;
    const result = spawnSync(process.execPath, ['--allow-natives-syntax', '--import', 'tsx', '--input-type=module', '-e', code],
      { encoding: 'utf8', timeout: 60_000 });
    assert.equal(result.status, 0, result.stderr);
    const report = JSON.parse(result.stdout) as { before: boolean; after: boolean; seen: number; scavenges: number };
    assert.equal(report.before, true, 'a new object starts young');
    assert.equal(report.after, false, 'promoted by the settling');
    assert.equal(report.seen, 2);
    assert.ok(report.scavenges >= 2, result.stdout);
  });

  it('come before the user\'s --node-options on each rank\'s node under mpiexec', (t) => {
    // mpiexecCommand reads MPI4TS_V8_DEFAULTS from this process (CI sets it for Node 22 and 24): not set here.
    const ambient = process.env['MPI4TS_V8_DEFAULTS'];
    delete process.env['MPI4TS_V8_DEFAULTS'];
    t.after(() => {
      if (ambient !== undefined) process.env['MPI4TS_V8_DEFAULTS'] = ambient;
    });
    const command = parseCommandLine(['--transport', 'mpi', '-n', '4', '--node-options', '--parallel-scavenge', 'x.ts']);
    assert.equal(command.kind, 'run');
    if (command.kind !== 'run') return;
    const result = mpiexecCommand(command.options, 'openmpi', 2, '/bin/node');
    assert.ok(!('error' in result));
    const node = result.args.indexOf('/bin/node');
    const user = result.args.indexOf('--parallel-scavenge');
    const ours = result.args.indexOf('--no-concurrent-recompilation');
    assert.ok(node >= 0 && node < ours && ours < user, result.args.join(' '));
    assert.ok(!result.args.includes('--no-parallel-scavenge'));
    // The ranks settle their young generation with the defaults (young_generation.ts), not without.
    assert.equal(result.env['MPI4TS_SETTLE_HEAP'], '1');
    // They load without compilers: the flags come through the environment, not node's command line
    // (process.execArgv, which ranks they spawn copy).
    assert.equal(result.env['MPI4TS_LOAD_V8_FLAGS'], '--no-turbofan --no-sparkplug');
    assert.ok(!result.args.includes('--no-turbofan'));
    // Fewer ranks than cores get them too.
    const few = mpiexecCommand({ ...command.options, ranks: 1 }, 'openmpi', 2, '/bin/node');
    assert.ok(!('error' in few) && few.args.includes('--no-concurrent-recompilation'));
    assert.equal(few.env['MPI4TS_SETTLE_HEAP'], '1');
    assert.equal(few.env['MPI4TS_LOAD_V8_FLAGS'], '--no-turbofan --no-sparkplug');
  });

  it('a rank that an MPI launcher started with a plain node runs again with them, once, keeping its own flags', () => {
    const argv = ['/bin/node', '/app/bin/mpi4ts.js', '-m', 'futures', 'x.ts', 'arg'];
    const openmpi = { OMPI_COMM_WORLD_SIZE: '4', OMPI_COMM_WORLD_RANK: '1', HOME: '/root' };
    const exec = rankExec(argv, ['--allow-natives-syntax', '--concurrent-recompilation'], openmpi, 24);
    assert.ok(exec !== undefined);
    const added = rankV8Flags(['--allow-natives-syntax', '--concurrent-recompilation'], {}, 24);
    // mpi4ts's flags but the one the user chose, then the user's own, then the launcher and its arguments as they were.
    assert.deepEqual(exec.args, [...added, '--allow-natives-syntax', '--concurrent-recompilation', ...argv.slice(1)]);
    assert.ok(!added.includes('--no-concurrent-recompilation') && added.includes('--no-lazy-feedback-allocation'));
    assert.deepEqual(exec.env, { ...openmpi, [RANK_EXEC_ENV]: '1', MPI4TS_SETTLE_HEAP: '1',
      MPI4TS_LOAD_V8_FLAGS: '--no-turbofan --no-sparkplug' });
    // Node 20's flags on Node 20; srun's step with PMIx counts as launched.
    assert.ok(rankExec(argv, [], { SLURM_PROCID: '0', SLURM_STEP_ID: '3', PMIX_NAMESPACE: 'x' }, 20)!.args
      .includes('--interrupt-budget=1024'));
    // Runs on as it is: no launcher, a launcher's descriptor that the new program would lose, already run again,
    // the defaults off, every flag given by the user (as `--transport mpi` puts them on node's command line).
    assert.equal(rankExec(argv, [], { HOME: '/root' }, 24), undefined);
    assert.equal(rankExec(argv, [], { PMI_RANK: '0', PMI_SIZE: '2', PMI_FD: '5' }, 24), undefined);
    assert.equal(rankExec(argv, [], { ...openmpi, [RANK_EXEC_ENV]: '1' }, 24), undefined);
    assert.equal(rankExec(argv, [], { ...openmpi, MPI4TS_V8_DEFAULTS: '0' }, 24), undefined);
    assert.equal(rankExec(argv, rankV8Flags([], {}, 24), openmpi, 24), undefined);
    // The user's NODE_OPTIONS flags replace mpi4ts's, and a loading flag already set stays.
    const withOptions = rankExec(argv, [], { ...openmpi, NODE_OPTIONS: '--max-semi-space-size=16', MPI4TS_LOAD_V8_FLAGS: '' }, 22)!;
    assert.ok(!withOptions.args.some((flag) => flag.startsWith('--max-semi-space-size')));
    assert.equal(withOptions.env['MPI4TS_LOAD_V8_FLAGS'], '');
  });

  it('reach the ranks\' isolates on shm, and the user\'s flag wins', async () => {
    const natives = ['--node-options', '--allow-natives-syntax'];
    // The preloaded module runs while the rank loads: no TurboFan there, early TurboFan in the script, on every rank.
    const on = await launch('test/programs/v8_flags.ts', 2, [],
      { launcherArgs: ['--node-options', `--allow-natives-syntax --import ${LOADING}`], env: { ...process.env, MPI4TS_V8_DEFAULTS: '1' } });
    assert.equal(on.code, 0, on.stderr);
    assert.deepEqual(linesStartingWith(on.stdout, 'loading: TurboFan').map((line) => line.split(' (')[0]),
      ['loading: TurboFan after 100 calls false', 'loading: TurboFan after 100 calls false'], on.stdout);
    for (const rank of [0, 1]) {
      assert.match(on.stdout, new RegExp(`rank ${rank}: concurrent recompilation false`));
      assert.match(on.stdout, new RegExp(`rank ${rank}: TurboFan after 100 calls true`));
    }
    // Two semi-spaces of 4 MiB each.
    for (const rank of [0, 1]) assert.equal(youngMiB(on.stdout, rank), 8, on.stdout);
    // Settled when the script first touched MPI (young_generation.ts): what the script made before is old by then.
    for (const rank of [0, 1]) assert.match(on.stdout, new RegExp(`rank ${rank}: the script's object young once MPI started false`));
    const off = await launch('test/programs/v8_flags.ts', 2, [], { launcherArgs: natives, env: { ...process.env, MPI4TS_V8_DEFAULTS: '0' } });
    assert.equal(off.code, 0, off.stderr);
    assert.match(off.stdout, /rank 0: concurrent recompilation true/);
    assert.match(off.stdout, /rank 0: TurboFan after 100 calls false/);
    assert.ok(youngMiB(off.stdout, 0) > 8, off.stdout);
    assert.match(off.stdout, /rank 0: the script's object young once MPI started true/);
    const user = await launch('test/programs/v8_flags.ts', 2, [],
      { launcherArgs: ['--node-options', '--allow-natives-syntax --concurrent-recompilation'], env: { ...process.env, MPI4TS_V8_DEFAULTS: '1' } });
    assert.equal(user.code, 0, user.stderr);
    assert.match(user.stdout, /rank 1: concurrent recompilation true/);
  });

  it('are off on shm while a spawned rank loads, and on again once it has', async () => {
    const result = await launch('test/programs/v8_flags_spawn.ts', 2, [],
      { launcherArgs: ['--node-options', '--allow-natives-syntax'], env: { ...process.env, MPI4TS_V8_DEFAULTS: '1' } });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^child answered \[41\]$/m);
    assert.match(result.stdout, /^rank 0: TurboFan after the Spawn and 100 calls true/m);
  });
});
