// The launcher's TypeScript loader (src/typescript/): ES-module scripts through our esbuild hooks (one
// transpile service per shm job), CommonJS ones through tsx, on the shm transport; the mpi transport's
// case is in test/mpi/launcher.test.ts.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { launch, root } from './helpers/launch.js';
import { moduleFormat, stripJsonc } from '../src/typescript/options.js';
import { localTarget, staticImports } from '../src/launcher/syntax.js';

const TIMEOUT = 60_000;
const options = { timeout: TIMEOUT };
const DIR = 'test/programs/typescript';

/** Runs a program that must succeed; returns its non-empty output lines, sorted. */
async function run(script: string, ranks: number, args: readonly string[] = []): Promise<string[]> {
  const result = await launch(script, ranks, args, { timeoutMs: TIMEOUT });
  assert.equal(result.code, 0, `exit ${String(result.code)}: ${result.stderr}`);
  assert.equal(result.stderr, '');
  return result.stdout.split('\n').filter((line) => line !== '').sort();
}

describe('TypeScript loader', () => {
  it('reads tsconfig.json as JSONC and the package type as Node does', () => {
    assert.deepEqual(JSON.parse(stripJsonc('{ "a": "//x", /* c */ "b": [1, 2,], // d\n }')), { a: '//x', b: [1, 2] });
    assert.deepEqual(JSON.parse(stripJsonc('{"s": "a\\"/*,}", "t": 1,\n}')), { s: 'a"/*,}', t: 1 });
    assert.equal(moduleFormat(join(root, DIR, 'esm/main.ts')), 'module');
    assert.equal(moduleFormat(join(root, DIR, 'cjs/main.ts')), 'commonjs');
    assert.equal(moduleFormat(join(root, DIR, 'cjs/x.mts')), 'module');
    assert.equal(moduleFormat(join(root, DIR, 'esm/x.cts')), 'commonjs');
  });

  it('ES module: ./y.js finds y.ts, ./lib finds lib/index.ts, tsconfig paths, an enum, class fields per tsconfig', options, async () => {
    const lines = await run(`${DIR}/esm/main.ts`, 2);
    assert.deepEqual(lines, [0, 1].map((r) => `rank ${r}: Green=2 index.ts fields=assign,7 paths=1 ranks=01`));
  });

  it('an error thrown at a .ts line: the launcher\'s report names that line', options, async () => {
    const source = readFileSync(join(root, DIR, 'esm/main.ts'), 'utf8').split('\n');
    const line = source.findIndex((l) => l.includes("throw new Error('thrown on purpose')")) + 1;
    assert.ok(line > 0);
    const result = await launch(`${DIR}/esm/main.ts`, 2, ['throw'], { timeoutMs: TIMEOUT });
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /rank 1 failed: Error: thrown on purpose/);
    assert.match(result.stderr, new RegExp(`esm[\\\\/]main\\.ts:${line}:\\d+`), result.stderr);
  });

  it('CommonJS: a .ts in a "type": "commonjs" package runs as CommonJS (tsx)', options, async () => {
    assert.deepEqual(await run(`${DIR}/cjs/main.ts`, 2), ['cjs commonjs main.ts 42', 'cjs commonjs main.ts 42']);
  });

  it('a project as npm init makes it ("type": "commonjs", mpi4ts in node_modules): an import of mpi4ts works; ' +
    'top-level await is reported with why the script is CommonJS and what to change', options, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mpi4ts-ts-cjs-'));
    try {
      writeFileSync(join(dir, 'package.json'), '{ "name": "job", "type": "commonjs" }\n');
      mkdirSync(join(dir, 'node_modules'));
      symlinkSync(root, join(dir, 'node_modules', 'mpi4ts'), 'dir');
      const plain = join(dir, 'plain.ts');
      // Compiled to a require of the package's ES module (Node 20.19, 22.12 and later).
      writeFileSync(plain, "import { MPI } from 'mpi4ts';\nvoid MPI.COMM_WORLD.allreduce(MPI.COMM_WORLD.rank + 1).then((sum) => " +
        'console.log(`${typeof module} ${String(sum)}`));\n');
      assert.deepEqual(await run(plain, 2), ['object 3', 'object 3']);
      const script = join(dir, 'job.ts');
      writeFileSync(script, "import { MPI } from 'mpi4ts';\nconsole.log(await MPI.COMM_WORLD.allreduce(1));\n");
      const broken = await launch(script, 2, [], { timeoutMs: TIMEOUT });
      assert.equal(broken.code, 2, broken.stderr);
      assert.equal(broken.stdout, '');
      assert.match(broken.stderr, /job\.ts:2:13: syntax error: Top-level await is currently not supported with the "cjs" output format\n/);
      const manifest = join(dir, 'package.json').replace(/[.\\/]/g, (c) => `\\${c}`);
      assert.match(broken.stderr, new RegExp(`\n {2}.*job\\.ts: it loads as CommonJS: ${manifest} does not say "type": "module" ` +
        '\\(npm init writes "commonjs"\\); set "type": "module" there, or name it job\\.mts\n$'), broken.stderr);
      writeFileSync(join(dir, 'package.json'), '{ "name": "job", "type": "module" }\n');
      assert.deepEqual(await run(script, 2), ['2', '2']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('.mts with top-level await', options, async () => {
    assert.deepEqual(await run(`${DIR}/esm/tla.mts`, 2), ['tla rank 0: 84', 'tla rank 1: 84']);
  });

  it('Spawn of a .ts child on shm', options, async () => {
    assert.deepEqual(await run(`${DIR}/esm/spawn_parent.ts`, 1), ['parent got ["child 0 4 from parent","child 1 4 from parent"]']);
  });

  it('a source edit between two runs is picked up; a syntax error names the file and line', options, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mpi4ts-ts-edit-'));
    try {
      writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
      const script = join(dir, 'edit.ts');
      // The same size and (often) the same modification time: only the content tells the versions apart.
      writeFileSync(script, 'const value: number = 1;\nconsole.log(`value ${value}`);\n');
      assert.deepEqual(await run(script, 2), ['value 1', 'value 1']);
      writeFileSync(script, 'const value: number = 2;\nconsole.log(`value ${value}`);\n');
      assert.deepEqual(await run(script, 2), ['value 2', 'value 2']);
      writeFileSync(script, 'const value: number = 3;\nconsole.log(`value ${value}`;\n');
      // Reported once, by the launcher, before any rank starts: the place, the line and a caret.
      const broken = await launch(script, 2, [], { timeoutMs: TIMEOUT });
      assert.equal(broken.code, 2, broken.stderr);
      assert.equal(broken.stdout, '');
      assert.match(broken.stderr, /^mpi4ts: .*edit\.ts does not compile; no rank started\n.*edit\.ts:2:29: syntax error: Expected "\)" but found ";"\n {2}2 \| console\.log\(`value \$\{value\}`;\n {4}\| {29}\^\n$/,
        broken.stderr);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('a syntax error in a file the script imports (through another, TypeScript or JavaScript) is reported once, before any rank starts', options, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mpi4ts-ts-graph-'));
    try {
      writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
      writeFileSync(join(dir, 'main.ts'), "import { total } from './lib/index.js';\nimport { cpus } from 'node:os';\n" +
        'console.log(`total ${total()} ${cpus().length > 0}`);\n');
      mkdirSync(join(dir, 'lib'));
      writeFileSync(join(dir, 'lib/index.ts'), "export { total } from './sum';\nexport type { Unused } from './types.js';\n");
      writeFileSync(join(dir, 'lib/types.ts'), 'export type Unused = number;\n');
      writeFileSync(join(dir, 'lib/sum.ts'), 'export function total(): number {\n  return (1 + ;\n}\n');
      const script = join(dir, 'main.ts');
      const broken = await launch(script, 3, [], { timeoutMs: TIMEOUT });
      assert.equal(broken.code, 2, broken.stderr);
      assert.equal(broken.stdout, '');
      assert.match(broken.stderr, /^mpi4ts: .*main\.ts does not compile; no rank started\n.*lib\/sum\.ts:2:15: syntax error: Unexpected ";"\n {2}2 \| {3}return \(1 \+ ;\n {4}\| {15}\^\n {2}imported by: .*main\.ts > .*lib\/index\.ts > .*lib\/sum\.ts\n$/,
        broken.stderr);
      // A JavaScript module on the way is checked, and its own imports followed.
      writeFileSync(join(dir, 'lib/sum.ts'), "export { total } from './plain.mjs';\n");
      writeFileSync(join(dir, 'lib/plain.mjs'), "import { one } from './one.js';\nexport function total() { return one + 1; }\n");
      writeFileSync(join(dir, 'lib/one.js'), 'export const one = {;\n');
      const js = await launch(script, 2, [], { timeoutMs: TIMEOUT });
      assert.equal(js.code, 2, js.stderr);
      assert.match(js.stderr, /lib\/one\.js:1:21: syntax error: Expected identifier but found ";"\n.*\n.*\n {2}imported by: .*main\.ts > .*index\.ts > .*sum\.ts > .*plain\.mjs > .*one\.js\n$/, js.stderr);
      assert.equal(js.stderr.match(/syntax error/g)?.length, 1);
      writeFileSync(join(dir, 'lib/one.js'), 'export const one = 1;\n');
      assert.deepEqual(await run(script, 2), ['total 2 true', 'total 2 true']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads the static imports of esbuild\'s output and finds the local files they name', () => {
    assert.deepEqual(staticImports('import { a } from "./a.js";\nimport "./side";\nexport * from "./z";\nconst s = "import x from y";\n' +
      'const m = await import("./dyn.js");\nvar b = require("./b.cjs");\n'), ['./a.js', './side', './z', './b.cjs']);
    const esm = join(root, DIR, 'esm/main.ts');
    assert.equal(localTarget('./lib/y.js', esm), join(root, DIR, 'esm/lib/y.ts'));
    assert.equal(localTarget('node:fs', esm), undefined);
    assert.equal(localTarget('mpi4ts', esm), undefined);
  });
});
