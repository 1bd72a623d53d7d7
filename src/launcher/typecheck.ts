/**
 * `--typecheck`: the TypeScript compiler's check of the script before any
 * rank starts, so that a type error stops the job instead of running (the
 * ranks only strip types). The check uses the nearest `tsconfig.json` above
 * the script, narrowed to the script and what it imports, through a
 * temporary config that extends it; without one, strict defaults for an ES
 * module on Node.
 *
 * Not an MPI-4.1 interface.
 *
 * Unfinished: project references (`tsc -b`).
 *
 * @module
 */

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, parse, resolve } from 'node:path';

/** The compiler options used when no tsconfig.json is found above the script. */
const DEFAULT_OPTIONS = {
  target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext', strict: true, skipLibCheck: true,
};

/** The nearest `tsconfig.json` in `dir` or above it. */
function nearestTsconfig(dir: string): string | undefined {
  for (let at = dir; ; at = dirname(at)) {
    const candidate = join(at, 'tsconfig.json');
    if (existsSync(candidate)) return candidate;
    if (dirname(at) === at) return undefined;
  }
}

/** The `node_modules/@types` folders in `dir` and above it, nearest first (tsc's default type roots for a config in `dir`). */
function typeRootsAbove(dir: string): string[] {
  const roots: string[] = [];
  for (let at = dir; ; at = dirname(at)) {
    const candidate = join(at, 'node_modules', '@types');
    if (existsSync(candidate)) roots.push(candidate);
    if (dirname(at) === at) return roots;
  }
}

/** The TypeScript compiler's `tsc` script: the one the script's project has, else the one next to mpi4ts. */
function findTsc(script: string): string | undefined {
  for (const from of [script, import.meta.url]) {
    try {
      return createRequire(from).resolve('typescript/bin/tsc');
    } catch {
      // Not installed there.
    }
  }
  return undefined;
}

/** What the check found: nothing (passed), or the text to show and the exit status to end with. */
export type TypecheckResult = { readonly ok: true } | { readonly ok: false; readonly report: string; readonly status: number };

/** Type-checks `script` (`tsc --noEmit`), synchronously, before the ranks start. */
export function typecheck(script: string): TypecheckResult {
  const path = resolve(script);
  const tsc = findTsc(path);
  if (tsc === undefined) {
    return { ok: false, status: 2, report: 'mpi4ts: --typecheck needs the TypeScript compiler: npm install --save-dev typescript\n' };
  }
  const base = nearestTsconfig(dirname(path));
  const dir = mkdtempSync(join(tmpdir(), 'mpi4ts-typecheck-'));
  try {
    const config = join(dir, 'tsconfig.json');
    // The temporary config lives elsewhere: what tsc resolves from a config's own place (type
    // roots) is pointed back at the project, and rootDir opened to the whole file system (nothing is emitted).
    const project = dirname(base ?? path);
    const overrides = { noEmit: true, rootDir: parse(path).root, typeRoots: typeRootsAbove(project) };
    writeFileSync(config, JSON.stringify({
      ...(base === undefined ? { compilerOptions: { ...DEFAULT_OPTIONS, ...overrides } } : { extends: base, compilerOptions: overrides }),
      files: [path], include: [],
    }));
    const run = spawnSync(process.execPath, [tsc, '-p', config, '--pretty', 'false'], { encoding: 'utf8', cwd: process.cwd() });
    if (run.status === 0) return { ok: true };
    const output = `${run.stdout}${run.stderr}`.trim();
    return { ok: false, status: 2, report: `mpi4ts: --typecheck: ${script} has type errors; no rank started\n${output}\n` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
