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
/** Each round's CPU-bound seconds by pool: ratios taken within a round suffer less from a load that changes. */
const cpuByRound: Map<string, number>[] = [];
for (let round = 1; round <= rounds; round++) {
  const cpuThisRound = new Map<string, number>();
  cpuByRound.push(cpuThisRound);
  for (const c of contenders) {
    const run = spawnSync(c.command, c.args, { cwd: root, env: c.env ?? process.env, encoding: 'utf8', timeout: 300_000 });
    const line = run.stdout.split('\n').find((l) => l.startsWith('{'));
    if (run.status !== 0 || line === undefined) {
      process.stderr.write(`failed: ${c.command} ${c.args.join(' ')}\n${run.stderr}\n`);
      continue;
    }
    const m = JSON.parse(line) as Measurement;
    process.stderr.write(`round ${round}: ${line}\n`);
    if (m.cpuSeconds !== null) cpuThisRound.set(m.pool, m.cpuSeconds);
    const previous = best.get(m.pool);
    const cpuBetter = previous !== undefined && m.cpuSeconds !== null && m.cpuSeconds < (previous.cpuSeconds ?? Infinity);
    best.set(m.pool, previous === undefined ? m : {
      pool: m.pool,
      tinyChunk1: Math.max(previous.tinyChunk1, m.tinyChunk1),
      tinySubmit: m.tinySubmit === null ? null : Math.max(previous.tinySubmit ?? 0, m.tinySubmit),
      tinyChunk100: Math.max(previous.tinyChunk100, m.tinyChunk100),
      cpuSeconds: cpuBetter ? m.cpuSeconds : previous.cpuSeconds,
      cpuCheck: m.cpuCheck,
      // The submitting thread's CPU in the round whose CPU-bound map is shown.
      cpuManagerSeconds: cpuBetter ? m.cpuManagerSeconds : previous.cpuManagerSeconds,
    });
  }
}

const rate = (x: number): string => `${(x / 1000).toFixed(1)}k`;
const checks = new Set([...best.values()].map((m) => m.cpuCheck).filter((c) => c !== null));
console.log(`\n${TINY_TASKS} tiny tasks (sqrt), ${CPU_TASKS} x cpu(${CPU_WORK}); ${WORKERS} workers; best of ${rounds} rounds\n`);
console.log('| pool | tiny tasks/s, map chunksize 1 | tiny tasks/s, submit + Promise.all | tiny tasks/s, chunksize 100 | CPU-bound map | submitting thread\'s CPU during it |');
console.log('|---|---|---|---|---|---|');
const seconds = (x: number | null, what: string): string => (x === null ? what : `${x.toFixed(2)} s`);
for (const m of best.values()) {
  console.log(`| ${m.pool} | ${rate(m.tinyChunk1)} | ${m.tinySubmit === null ? 'n/a' : rate(m.tinySubmit)} | ${rate(m.tinyChunk100)} | ` +
    `${seconds(m.cpuSeconds, 'not run')} | ${seconds(m.cpuManagerSeconds ?? null, 'n/a')} |`);
}
if (checks.size > 1) console.log('\nThe CPU-bound maps disagree on their sum: some pool computed something else.');

// The goals of the task pools, against piscina measured in the same run.
const piscina = [...best.values()].find((m) => m.pool.startsWith('piscina'));
if (piscina !== undefined) {
  console.log('\nAgainst piscina (goals: chunksize 1 >= 1.5x, chunksize 100 >= 100k/s, CPU-bound map within 5%):');
  for (const m of best.values()) {
    if (!m.pool.startsWith('mpi4ts')) continue;
    const cpu = m.cpuSeconds === null || piscina.cpuSeconds === null ? 'n/a' : `${(m.cpuSeconds / piscina.cpuSeconds).toFixed(2)}x the time`;
    const ratios = cpuByRound.flatMap((r) => (r.has(m.pool) && r.has(piscina.pool) ? [r.get(m.pool)! / r.get(piscina.pool)!] : []))
      .sort((a, b) => a - b);
    const median = ratios.length === 0 ? 'n/a' : `${ratios[Math.floor((ratios.length - 1) / 2)]!.toFixed(2)}x`;
    console.log(`- ${m.pool}: chunksize 1 ${(m.tinyChunk1 / piscina.tinyChunk1).toFixed(1)}x, chunksize 100 ${rate(m.tinyChunk100)}/s, ` +
      `CPU-bound ${cpu} (best rounds), ${median} (median of the rounds' own ratios)`);
  }
}
