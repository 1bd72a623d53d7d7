// The bundled build's entries (docs/ARCHITECTURE.md, the build): every file of dist/ that Node loads by
// path must be one of `ENTRIES` in scripts/bundle.mjs, else Node loads tsc's module-per-file copy of it and
// of everything it imports, and the modules it shares with the bundle exist twice in the thread (two
// module states). This derives the files loaded by path from package.json (`main`, `exports`), the `bin`
// scripts' imports of dist/, and every site in src/ that names a file by a string and `import.meta.url`
// (`new URL('./worker.js', import.meta.url)`, `module.register('./hooks.js', import.meta.url)`,
// `import.meta.resolve('./x.js')`), and compares them with `ENTRIES`, read from the script's source
// (importing the script would run the build).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { root } from './helpers/launch.js';

const SRC = join(root, 'src');
const DIST = join(root, 'dist');

/** `ENTRIES` of scripts/bundle.mjs: its array literal of strings. */
function bundleEntries(): string[] {
  const file = join(root, 'scripts/bundle.mjs');
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
  let entries: string[] | undefined;
  const visit = (node: ts.Node): void => {
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.name.text === 'ENTRIES') {
      const init = node.initializer;
      if (init === undefined || !ts.isArrayLiteralExpression(init) || !init.elements.every(ts.isStringLiteral)) {
        throw new Error('scripts/bundle.mjs: ENTRIES is no longer an array literal of strings; update test/bundle.test.ts');
      }
      entries = init.elements.map((element) => (element as ts.StringLiteral).text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  if (entries === undefined) throw new Error('scripts/bundle.mjs declares no ENTRIES');
  return entries;
}

/** The entry name (`launcher/worker`) of a URL inside dist/ that names a `.js` file; undefined for anything else. */
function entryOf(url: URL): string | undefined {
  if (url.protocol !== 'file:') return undefined;
  const path = relative(DIST, fileURLToPath(url)).split('\\').join('/');
  if (path.startsWith('..') || path.startsWith('/') || !path.endsWith('.js')) return undefined;
  return path.slice(0, -'.js'.length);
}

/** Where each file of dist/ that Node loads by path is named: entry name -> the places. */
type Loads = Map<string, string[]>;

function add(loads: Loads, entry: string, where: string): void {
  const places = loads.get(entry) ?? [];
  places.push(where);
  loads.set(entry, places);
}

/** package.json's `main` and `exports` (every condition's target but the type declarations). */
function packageLoads(loads: Loads): void {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { main?: string; exports?: unknown };
  const base = pathToFileURL(join(root, 'package.json'));
  const targets = (value: unknown, key: string): void => {
    if (typeof value === 'string') {
      const entry = value.endsWith('.d.ts') ? undefined : entryOf(new URL(value, base));
      if (entry !== undefined) add(loads, entry, `package.json ${key}`);
    } else if (value !== null && typeof value === 'object') {
      for (const [name, inner] of Object.entries(value)) targets(inner, `${key} ${name}`);
    }
  };
  targets(manifest.main, 'main');
  targets(manifest.exports, 'exports');
}

/** The string-literal imports (static and dynamic) of dist/ by package.json's `bin` scripts. */
function binLoads(loads: Loads): void {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin?: string | Record<string, string> };
  const bins = typeof manifest.bin === 'string' ? [manifest.bin] : Object.values(manifest.bin ?? {});
  for (const bin of bins) {
    const file = join(root, bin);
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
    const visit = (node: ts.Node): void => {
      let specifier: ts.Expression | undefined;
      if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) specifier = node.moduleSpecifier;
      else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) specifier = node.arguments[0];
      if (specifier !== undefined && ts.isStringLiteralLike(specifier)) {
        const entry = entryOf(new URL(specifier.text, pathToFileURL(file)));
        const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
        if (entry !== undefined) add(loads, entry, `${bin}:${line}`);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
}

function isImportMeta(node: ts.Node, name: string): boolean {
  return ts.isPropertyAccessExpression(node) && ts.isMetaProperty(node.expression) &&
    node.expression.keywordToken === ts.SyntaxKind.ImportKeyword && node.name.text === name;
}

/**
 * The sites in src/ that name a file relative to the module's own URL: a call or `new` with a string
 * literal and `import.meta.url` among its arguments, and `import.meta.resolve('...')`. The module's URL
 * is its dist/ path (the bundle keeps it so); what they name inside dist/ as a `.js` file is loaded by path.
 */
function sourceLoads(loads: Loads): void {
  for (const path of readdirSync(SRC, { recursive: true, encoding: 'utf8' })) {
    if (!path.endsWith('.ts') || path.endsWith('.d.ts')) continue;
    const file = path.split('\\').join('/');
    const text = readFileSync(join(SRC, file), 'utf8');
    if (!text.includes('import.meta')) continue;
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
    const self = pathToFileURL(join(DIST, file.replace(/\.ts$/, '.js')));
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node) || ts.isNewExpression(node)) {
        const args = node.arguments ?? [];
        const relativeToSelf = isImportMeta(node.expression, 'resolve') || args.some((arg) => isImportMeta(arg, 'url'));
        for (const arg of relativeToSelf ? args : []) {
          if (!ts.isStringLiteralLike(arg)) continue;
          const entry = entryOf(new URL(arg.text, self));
          const line = source.getLineAndCharacterOfPosition(arg.getStart(source)).line + 1;
          if (entry !== undefined) add(loads, entry, `src/${file}:${line}`);
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
}

/** Every file of dist/ that Node loads by path, with where. */
function loadedByPath(): Loads {
  const loads: Loads = new Map();
  packageLoads(loads);
  binLoads(loads);
  sourceLoads(loads);
  return loads;
}

describe('bundle entries', () => {
  const entries = new Set(bundleEntries());
  const loads = loadedByPath();

  it('every file Node loads by path is an entry of scripts/bundle.mjs, with a source file', () => {
    const missing = [...loads].filter(([entry]) => !entries.has(entry))
      .map(([entry, places]) => `'${entry}' (loaded by path at ${places.join(', ')})`);
    assert.deepEqual(missing, [], `add to ENTRIES in scripts/bundle.mjs: ${missing.join('; ')}`);
    const sourceless = [...loads].filter(([entry]) => !statSync(join(SRC, `${entry}.ts`), { throwIfNoEntry: false })?.isFile())
      .map(([entry, places]) => `dist/${entry}.js (named at ${places.join(', ')})`);
    assert.deepEqual(sourceless, [], `no src/ file builds ${sourceless.join('; ')}`);
  });

  it('every entry of scripts/bundle.mjs is loaded by path', () => {
    const unused = [...entries].filter((entry) => !loads.has(entry));
    assert.deepEqual(unused, [], `ENTRIES in scripts/bundle.mjs names files nothing here finds loaded by path: ${unused.join(', ')}`);
  });
});
