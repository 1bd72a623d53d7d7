/**
 * `npm run bench -- --only observe`: what `--trace` and `--profile` cost per
 * MPI call. Runs `bench/observe/calls.ts` (one rank, `Send` to
 * `MPI.PROC_NULL` in one plain loop) plainly, with `--trace`, and with
 * `--profile`, alternating the three `rounds` times, and prints the median
 * time and CPU per call of each and what the observation adds to the plain
 * run. The issue's goal: nothing measurable off (the plain run is the bench's
 * own), under 1 us per call on.
 *
 * Usage: `node --import tsx bench/observe/run.ts [rounds] [calls]`.
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const rounds = Number(process.argv[2] ?? 5);
const calls = Number(process.argv[3] ?? 200_000);
const dir = mkdtempSync(path.join(os.tmpdir(), 'mpi4ts-bench-observe-'));

const variants = {
  plain: [],
  '--trace': ['--trace', path.join(dir, 'trace.json')],
  '--profile': ['--profile'],
} as const satisfies Record<string, readonly string[]>;
type Variant = keyof typeof variants;

function runOnce(flags: readonly string[]): { wall: number; cpu: number } {
  const run = spawnSync(process.execPath, [path.join(ROOT, 'bin/mpi4ts.js'), '-n', '1', ...flags,
    path.join(ROOT, 'bench/observe/calls.ts'), String(calls)], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
  const line = /wall_us=([\d.]+) cpu_us=([\d.]+)/.exec(run.stdout);
  if (run.status !== 0 || line === null) throw new Error(`bench/observe/calls.ts ${flags.join(' ')} failed:\n${run.stdout}${run.stderr}`);
  return { wall: Number(line[1]), cpu: Number(line[2]) };
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

const results = new Map<Variant, { wall: number[]; cpu: number[] }>();
try {
  for (let r = 0; r < rounds; r++) {
    for (const name of Object.keys(variants) as Variant[]) {
      const { wall, cpu } = runOnce(variants[name]);
      const entry = results.get(name) ?? { wall: [], cpu: [] };
      entry.wall.push(wall);
      entry.cpu.push(cpu);
      results.set(name, entry);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const plain = results.get('plain')!;
const rows = (Object.keys(variants) as Variant[]).map((name) => {
  const { wall, cpu } = results.get(name)!;
  const added = (xs: number[], base: number[]): string => (name === 'plain' ? '' : `+${(median(xs) - median(base)).toFixed(2)} us`);
  return `| ${name.padEnd(9)} | ${`${median(wall).toFixed(2)} us`.padEnd(13)} | ${`${median(cpu).toFixed(2)} us`.padEnd(12)} | ` +
    `${added(wall, plain.wall).padEnd(10)} | ${added(cpu, plain.cpu).padEnd(9)} |`;
});
console.log([
  `Observation overhead: ${calls.toLocaleString('en-US')} calls of Send to PROC_NULL on 1 rank, median of ${rounds} alternated runs, Node ${process.version}`,
  '',
  '| run       | time per call | CPU per call | time added | CPU added |',
  '|-----------|---------------|--------------|------------|-----------|',
  ...rows,
].join('\n'));
