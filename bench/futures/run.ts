// The futures benchmark in one run (`npm run bench:futures`): mpi4ts/futures
// (spawned workers and -m futures, on shm; under mpiexec on the mpi transport
// when the addon is built), piscina, and mpi4py.futures, with the same tasks
// and WORKERS workers each. Every pool runs ROUNDS times, taking turns, and
// the table shows each one's best round: the machine may be shared.
// Usage: node --import tsx bench/futures/run.ts [rounds]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Measurement, CPU_TASKS, CPU_WORK, TINY_TASKS, WORKERS } from './cases.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const rounds = Number(process.argv[2] ?? 3);
const mpiexecEnv = { ...process.env, OMPI_ALLOW_RUN_AS_ROOT: '1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: '1' };
const launcher = ['bin/mpi4ts.js'];
const mpiBuilt = existsSync(`${root}native/build/Release/mpi4ts_native.node`);
const python = '/usr/bin/python3';

interface Contender {
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
}

const contenders: Contender[] = [
  { command: process.execPath, args: [...launcher, '-n', '1', 'bench/futures/mpi4ts.ts'] },
  { command: process.execPath, args: [...launcher, '-n', String(WORKERS + 1), '-m', 'futures', 'bench/futures/mpi4ts.ts'] },
  ...(mpiBuilt ? [{ command: 'mpiexec', args: ['--oversubscribe', '-n', String(WORKERS + 1), process.execPath, ...launcher, '-m', 'futures',
    'bench/futures/mpi4ts.ts'], env: mpiexecEnv }] : []),
  { command: process.execPath, args: ['--import', 'tsx', 'bench/futures/piscina.ts'] },
  ...(existsSync(python) ? [{ command: 'mpiexec', args: ['--oversubscribe', '-n', String(WORKERS + 1), python, '-m', 'mpi4py',
    'bench/futures/mpi4py_futures.py'], env: mpiexecEnv }] : []),
];

const best = new Map<string, Measurement>();
for (let round = 1; round <= rounds; round++) {
  for (const c of contenders) {
    const run = spawnSync(c.command, c.args, { cwd: root, env: c.env ?? process.env, encoding: 'utf8', timeout: 300_000 });
    const line = run.stdout.split('\n').find((l) => l.startsWith('{'));
    if (run.status !== 0 || line === undefined) {
      process.stderr.write(`failed: ${c.command} ${c.args.join(' ')}\n${run.stderr}\n`);
      continue;
    }
    const m = JSON.parse(line) as Measurement;
    process.stderr.write(`round ${round}: ${line}\n`);
    const previous = best.get(m.pool);
    best.set(m.pool, previous === undefined ? m : {
      pool: m.pool,
      tinyChunk1: Math.max(previous.tinyChunk1, m.tinyChunk1),
      tinySubmit: m.tinySubmit === null ? null : Math.max(previous.tinySubmit ?? 0, m.tinySubmit),
      tinyChunk100: Math.max(previous.tinyChunk100, m.tinyChunk100),
      cpuSeconds: m.cpuSeconds === null ? null : Math.min(previous.cpuSeconds ?? Infinity, m.cpuSeconds),
      cpuCheck: m.cpuCheck,
    });
  }
}

const rate = (x: number): string => `${(x / 1000).toFixed(1)}k`;
const checks = new Set([...best.values()].map((m) => m.cpuCheck).filter((c) => c !== null));
console.log(`\n${TINY_TASKS} tiny tasks (sqrt), ${CPU_TASKS} x cpu(${CPU_WORK}); ${WORKERS} workers; best of ${rounds} rounds\n`);
console.log('| pool | tiny tasks/s, map chunksize 1 | tiny tasks/s, submit + Promise.all | tiny tasks/s, chunksize 100 | CPU-bound map |');
console.log('|---|---|---|---|---|');
for (const m of best.values()) {
  console.log(`| ${m.pool} | ${rate(m.tinyChunk1)} | ${m.tinySubmit === null ? 'n/a' : rate(m.tinySubmit)} | ${rate(m.tinyChunk100)} | ${m.cpuSeconds === null ? 'not run' : `${m.cpuSeconds.toFixed(2)} s`} |`);
}
if (checks.size > 1) console.log('\nThe CPU-bound maps disagree on their sum: some pool computed something else.');
