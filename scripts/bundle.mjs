// The bundled build: `npm run build` runs `tsc` (declarations, and a module-per-file build of every source
// file in dist/), then this script, which replaces the files that Node loads first in a job (the package's
// exports, the launcher, a rank's entry, the worker scripts) by an esbuild bundle of src/: each of them is
// one file of dist/ at its own path, and the modules that several of them share sit in chunks under
// dist/chunks/ (one copy of each module per thread, whichever entry loaded it first). A rank then loads a
// handful of files instead of about a hundred modules, which halves the library's load time per rank.
//
// `import.meta.url` in a bundled module would name the chunk it landed in; the plugin below rewrites it to
// the URL the module had in the module-per-file build (dist/<path>.js), computed from the chunk's own
// URL, so that `new URL('./worker.js', import.meta.url)` and the native addon's path resolve as before,
// from dist/ in the repository and from an installed package alike. A first pass finds which output file
// each module lands in (esbuild's metafile), the second writes the bundle with that knowledge.
import { build } from 'esbuild';
import { readFile, rm } from 'node:fs/promises';
import { dirname, join, posix, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const dist = join(root, 'dist');

/** The files Node loads by path: package.json's exports, bin/mpi4ts.js's launcher, and the scripts of worker threads. */
export const ENTRIES = [
  'index', 'futures/index', 'util/pool', 'util/sync', 'util/dtlib',
  'launcher/rank_exec', 'launcher/main', 'launcher/worker', 'futures/spawned', 'observe/watchdog_thread', 'typescript/hooks',
];

/** The module-per-file path of a source file, relative to dist/ (`api/comm.js`). */
function distPath(file) {
  return relative(src, file).split('\\').join('/').replace(/\.ts$/, '.js');
}

function options(plugins, write) {
  return {
    entryPoints: Object.fromEntries(ENTRIES.map((entry) => [entry, join(src, `${entry}.ts`)])),
    outdir: dist,
    outbase: src,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    chunkNames: 'chunks/[name]-[hash]',
    // Class names are part of the API (error classes, registered classes' default wire names).
    keepNames: true,
    sourcemap: 'linked',
    sourcesContent: false,
    tsconfig: join(root, 'tsconfig.json'),
    metafile: true,
    logLevel: 'warning',
    write,
    plugins,
  };
}

// Pass 1: where each module lands.
const first = await build(options([], false));
const landing = new Map();
for (const [output, info] of Object.entries(first.metafile.outputs)) {
  for (const input of Object.keys(info.inputs)) landing.set(resolve(root, input), resolve(root, output));
}

// Pass 2: `import.meta.url` as the module-per-file build had it.
const metaUrl = {
  name: 'mpi4ts-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async ({ path }) => {
      const source = await readFile(path, 'utf8');
      if (!source.includes('import.meta.url')) return undefined;
      const output = landing.get(path);
      if (output === undefined) throw new Error(`bundle: ${path} is in no output of the first pass`);
      let from = posix.relative(dirname(output).split('\\').join('/'), join(dist, distPath(path)).split('\\').join('/'));
      if (!from.startsWith('.')) from = `./${from}`;
      const contents = source.replaceAll('import.meta.url', `new URL(${JSON.stringify(from)}, import.meta.url).href`);
      return { contents, loader: 'ts' };
    });
  },
};
await rm(join(dist, 'chunks'), { recursive: true, force: true });
const second = await build(options([metaUrl], true));
const moved = Object.keys(second.metafile.outputs).filter((o) => o.endsWith('.js')).length;
console.log(`bundle: ${ENTRIES.length} entries and ${moved - ENTRIES.length} chunks in dist/`);
