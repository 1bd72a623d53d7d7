// The import graph of src/ runs one way (docs/ARCHITECTURE.md, section 1):
// futures/, util/ (the task pools) -> top (index.ts, mpi.ts) -> api/ ->
// environment.ts (the composition root) -> collective/ -> transport/ (the interface, then shm/ and mpi/), with the base
// modules (errors, constants, datatype, buffer, codec/, op/) under all of them
// and the launcher a program beside the library. This reads every import of
// every file under src/ (static imports and re-exports, dynamic import(),
// type-only imports too) and fails, naming file:line, on an import against the
// rules or on a cycle between files other than the communicator classes' own.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';
import { root } from './helpers/launch.js';

const SRC = join(root, 'src');

/** One import: from file `from` (relative to src/, with `/`) at `line`, of file `to`. */
interface Import {
  readonly from: string;
  readonly line: number;
  readonly to: string;
  /** Erased at run time: `import type`, or every name imported is a type. */
  readonly typeOnly: boolean;
}

/** Every .ts file under `dir`, relative to src/. */
function sourceFiles(dir: string): string[] {
  const files: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) files.push(...sourceFiles(path));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) files.push(relative(SRC, path).split('\\').join('/'));
  }
  return files.sort();
}

/** The file a relative specifier names (`./x.js` is `./x.ts`), relative to src/; throws naming `where` if none. */
function resolveSpecifier(from: string, specifier: string, where: string): string {
  const base = resolve(SRC, dirname(from), specifier);
  const candidates = [base.replace(/\.js$/, '.ts'), base, `${base}.ts`, join(base, 'index.ts')];
  const found = candidates.find((c) => existsSync(c) && statSync(c).isFile());
  if (found === undefined) throw new Error(`${where}: '${specifier}' names no file`);
  return relative(SRC, found).split('\\').join('/');
}

/** The imports of one source text, with their lines; only relative specifiers (packages and node: are outside src/). */
export function importsOf(from: string, text: string): Import[] {
  const source = ts.createSourceFile(from, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: Import[] = [];
  const add = (node: ts.Node, specifier: ts.Expression | undefined, typeOnly: boolean): void => {
    if (specifier === undefined || !ts.isStringLiteralLike(specifier) || !specifier.text.startsWith('.')) return;
    const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
    found.push({ from, line, to: resolveSpecifier(from, specifier.text, `src/${from}:${line}`), typeOnly });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      const named = clause?.namedBindings;
      const allTypes = clause !== undefined && clause.name === undefined && named !== undefined && ts.isNamedImports(named)
        && named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly);
      add(node, node.moduleSpecifier, clause?.isTypeOnly === true || allTypes);
    } else if (ts.isExportDeclaration(node)) {
      const named = node.exportClause;
      const allTypes = named !== undefined && ts.isNamedExports(named) && named.elements.length > 0
        && named.elements.every((e) => e.isTypeOnly);
      add(node, node.moduleSpecifier, node.isTypeOnly || allTypes);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node, node.arguments[0], false);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node, node.argument.literal, true);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node, node.moduleReference.expression, node.isTypeOnly);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const BASE = /^(errors|constants|datatype|buffer|attributes)\.ts$|^(codec|op|datatype)\/|^observe\/(?!instrument\.ts$)/;
const TOP = /^(index|mpi)\.ts$|^observe\/instrument\.ts$/;
const CONCRETE_TRANSPORT = /^transport\/(shm|mpi)\//;
/** The task pools (mpi4ts/futures, mpi4ts/util/pool): built on the API like a user's program; nothing under them imports them. */
const EXTENSION = /^(futures|util)\//;
/** What the launcher, a program beside the library, may use of the shm transport: its memory layout and messages. */
const LAUNCHER_MAY_IMPORT = /^transport\/(transport\.ts|shm\/layout\.ts|shm\/launcher_link\.ts|mpi\/detect\.ts)$/;
/** The TypeScript loader: node's modules only; the launcher and the task pools use it. */
const TYPESCRIPT = /^typescript\//;
/** Loops allowed: the communicator classes make each other (Split, Merge, Create_cart, Get_parent). */
const COMMUNICATOR_CLASSES = new Set(['api/comm.ts', 'api/intracomm.ts', 'api/intercomm.ts', 'api/topology.ts', 'api/graph.ts']);

/** Why an import from `from` of `to` breaks the layering, or undefined. */
export function violation(imp: Pick<Import, 'from' | 'to' | 'typeOnly'>): string | undefined {
  const { from, to } = imp;
  if (to.startsWith('launcher/') && !from.startsWith('launcher/')) return 'the launcher is a program beside the library';
  if (TYPESCRIPT.test(from)) return TYPESCRIPT.test(to) ? undefined : 'the TypeScript loader imports only its own modules';
  if (TYPESCRIPT.test(to) && !from.startsWith('launcher/') && !EXTENSION.test(from)) {
    return 'only the launcher and the task pools load TypeScript';
  }
  if (from.startsWith('launcher/')) {
    if (to.startsWith('launcher/') || BASE.test(to) || LAUNCHER_MAY_IMPORT.test(to) || TYPESCRIPT.test(to)) return undefined;
    // The boot message a rank gets from the launcher is a type of shm/transport.ts.
    if (to === 'transport/shm/transport.ts' && imp.typeOnly) return undefined;
    // A rank loads the library before the TypeScript hooks, so that its modules do not pass through them.
    if (from === 'launcher/script.ts' && to === 'index.ts') return undefined;
    // `-m futures` serves the world's other ranks, and the launcher tells a pool when a spawned worker dies.
    if (EXTENSION.test(to)) return undefined;
    return 'the launcher may use only the base modules, shm\'s layout and messages, and mpi/detect.ts';
  }
  if (EXTENSION.test(to) && !EXTENSION.test(from)) return 'the task pools sit above the library: nothing in it imports them';
  if (EXTENSION.test(from)) return CONCRETE_TRANSPORT.test(to) ? 'only environment.ts names a concrete transport' : undefined;
  if (BASE.test(from)) return BASE.test(to) ? undefined : 'a base module imports only base modules';
  if (from.startsWith('transport/')) {
    if (BASE.test(to) || to.startsWith('transport/')) {
      if (from.startsWith('transport/shm/') && to.startsWith('transport/mpi/')) return 'one transport imports another';
      if (from.startsWith('transport/mpi/') && to.startsWith('transport/shm/')) return 'one transport imports another';
      if (!from.startsWith('transport/shm/') && !from.startsWith('transport/mpi/') && CONCRETE_TRANSPORT.test(to)) {
        return 'the transport interface imports a concrete transport';
      }
      return undefined;
    }
    return 'a transport imports only src/transport/ and the base modules';
  }
  if (from.startsWith('collective/')) {
    if (to.startsWith('api/') || TOP.test(to) || to === 'environment.ts') return 'the collective layer imports upward';
    if (CONCRETE_TRANSPORT.test(to)) return 'the collective layer imports a concrete transport';
    return undefined;
  }
  if (from === 'environment.ts') {
    return to.startsWith('api/') || TOP.test(to) ? 'the composition root imports nothing from the API' : undefined;
  }
  if (from.startsWith('api/')) {
    if (TOP.test(to)) return 'the API classes import upward';
    if (CONCRETE_TRANSPORT.test(to)) return 'only environment.ts names a concrete transport';
    return undefined;
  }
  if (TOP.test(from)) return CONCRETE_TRANSPORT.test(to) ? 'only environment.ts names a concrete transport' : undefined;
  return `src/${from} belongs to no layer`;
}

/** The strongly connected components of more than one file, or of one that imports itself (Tarjan). */
export function cycles(imports: readonly Import[]): string[][] {
  const edges = new Map<string, string[]>();
  for (const imp of imports) {
    if (!edges.has(imp.from)) edges.set(imp.from, []);
    edges.get(imp.from)!.push(imp.to);
  }
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const connect = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (edges.get(v) ?? []).includes(v)) found.push(component.sort());
  };
  for (const v of [...edges.keys()].sort()) if (!index.has(v)) connect(v);
  return found;
}

const files = sourceFiles(SRC);
const imports = files.flatMap((file) => importsOf(file, readFileSync(join(SRC, file), 'utf8')));

describe('layers of src/', () => {
  it('reads the imports of every file: static, re-exports, dynamic and type-only', () => {
    const sample = importsOf('api/intercomm.ts', [
      "import { errors } from '../errors.js';",
      "import type { Endpoint } from '../transport/transport.js';",
      "export { Op } from '../op/op.js';",
      'const later = async () => {',
      "  const { Intracomm } = await import('./intracomm.js');",
      '};',
      "type Shape = import('../collective/run.js').Algorithm<void>;",
      "import { type Datatype } from '../datatype/index.js';",
      "import { readFileSync } from 'node:fs';",
    ].join('\n'));
    assert.deepEqual(sample.map((i) => [i.line, i.to, i.typeOnly]), [
      [1, 'errors.ts', false], [2, 'transport/transport.ts', true], [3, 'op/op.ts', false],
      [5, 'api/intracomm.ts', false], [7, 'collective/run.ts', true], [8, 'datatype/index.ts', true],
    ]);
    assert.ok(files.length > 50, `only ${files.length} files found under src/`);
    assert.ok(imports.some((i) => i.from === 'api/intercomm.ts' && i.to === 'api/intracomm.ts'),
      'the dynamic import of intracomm.ts in intercomm.ts was not seen');
  });

  it('the rules catch imports that run the wrong way', () => {
    const wrong: [string, string][] = [
      ['transport/shm/endpoint.ts', 'collective/point_to_point.ts'],
      ['transport/transport.ts', 'collective/shared_area.ts'],
      ['transport/mpi/endpoint.ts', 'environment.ts'],
      ['collective/scratch.ts', 'environment.ts'],
      ['collective/objects.ts', 'api/comm.ts'],
      ['collective/point_to_point.ts', 'transport/shm/engine.ts'],
      ['environment.ts', 'api/comm.ts'],
      ['op/op.ts', 'collective/run.ts'],
      ['codec/encode.ts', 'transport/transport.ts'],
      ['buffer.ts', 'api/comm.ts'],
      ['api/comm.ts', 'launcher/job.ts'],
      ['launcher/job.ts', 'environment.ts'],
      ['launcher/job.ts', 'transport/shm/engine.ts'],
      ['api/intracomm.ts', 'transport/shm/transport.ts'],
      ['transport/shm/endpoint.ts', 'transport/mpi/endpoint.ts'],
    ];
    for (const [from, to] of wrong) assert.ok(violation({ from, to, typeOnly: true }) !== undefined, `${from} -> ${to}`);
    const right: [string, string][] = [
      ['transport/shm/shared_area.ts', 'transport/shared_area.ts'],
      ['transport/mpi/collectives.ts', 'op/op.ts'],
      ['collective/call.ts', 'transport/transport.ts'],
      ['environment.ts', 'transport/shm/transport.ts'],
      ['environment.ts', 'collective/point_to_point.ts'],
      ['api/intracomm.ts', 'collective/objects.ts'],
      ['api/comm.ts', 'environment.ts'],
      ['mpi.ts', 'api/comm.ts'],
      ['launcher/main.ts', 'transport/mpi/detect.ts'],
      ['launcher/job.ts', 'transport/shm/layout.ts'],
    ];
    for (const [from, to] of right) assert.equal(violation({ from, to, typeOnly: false }), undefined, `${from} -> ${to}`);
    assert.equal(violation({ from: 'launcher/job.ts', to: 'transport/shm/transport.ts', typeOnly: true }), undefined);
    assert.ok(violation({ from: 'launcher/job.ts', to: 'transport/shm/transport.ts', typeOnly: false }) !== undefined);
  });

  it('every import of src/ follows the rules', () => {
    const broken = imports.map((imp) => [imp, violation(imp)] as const).filter(([, why]) => why !== undefined)
      .map(([imp, why]) => `src/${imp.from}:${imp.line} imports src/${imp.to}: ${why}`);
    assert.deepEqual(broken, []);
  });

  it('the cycle search finds loops', () => {
    const edge = (from: string, to: string): Import => ({ from, line: 1, to, typeOnly: false });
    assert.deepEqual(cycles([edge('a', 'b'), edge('b', 'c'), edge('c', 'a'), edge('c', 'd'), edge('e', 'e')]),
      [['a', 'b', 'c'], ['e']]);
    assert.deepEqual(cycles([edge('a', 'b'), edge('b', 'c'), edge('a', 'c')]), []);
  });

  it('no import cycle between files, but the communicator classes\' own', () => {
    const found = cycles(imports).filter((component) => !component.every((file) => COMMUNICATOR_CLASSES.has(file)))
      .map((component) => {
        const members = new Set(component);
        const edges = imports.filter((i) => members.has(i.from) && members.has(i.to))
          .map((i) => `src/${i.from}:${i.line} -> src/${i.to}`);
        return `cycle through ${component.map((f) => `src/${f}`).join(', ')}:\n  ${edges.join('\n  ')}`;
      });
    assert.deepEqual(found, []);
  });
});
