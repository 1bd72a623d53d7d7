#!/usr/bin/env node
/**
 * Builds the native `mpi` transport of mpi4ts: native/build/Release/mpi4ts_native.node.
 *
 * Finds the MPI compiler wrapper (`$MPICC`, else `mpicc` on PATH or in the usual
 * places), reads its compile and link flags (`mpicc --showme:compile` and
 * `--showme:link` for Open MPI, `mpicc -show` for MPICH, Intel MPI, MVAPICH),
 * and builds native/mpi4ts_native.c with node-gyp (the copy bundled with npm,
 * offline when Node's headers are installed). If node-gyp is missing or fails,
 * it compiles directly with the MPI wrapper and Node's headers.
 *
 * Usage:
 *   node scripts/build-mpi.mjs [--optional] [--method=auto|gyp|direct] [--verbose]
 *   node scripts/build-mpi.mjs --print=cflags|libs     (used by native/binding.gyp)
 *
 * --optional: without an MPI library, say so and exit 0 (for install hooks);
 *   also skip the build when the addon was built from the same sources with
 *   the same MPI flags (`npx mpi4ts` in a clone of this repository installs it
 *   into npx's cache, which runs the install hook again);
 *   also skip the build, with a note, in a process that an MPI launcher started
 *   (`mpiexec -n 64 npx mpi4ts x.ts` runs npm's install hook in every rank at
 *   once, and each would rebuild the addon while the others load it).
 * A build in a process that an MPI launcher started never loads the addon to
 *   check it: that would call MPI_Init with the rank's launcher environment.
 * Environment: MPICC (the wrapper to use), MPI4TS_NODEDIR (where include/node is).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const nativeDir = join(root, 'native');
const output = join(nativeDir, 'build', 'Release', 'mpi4ts_native.node');
/** What the addon at `output` was built from (see {@link buildInputs}). */
const inputsFile = join(nativeDir, 'build', 'Release', 'mpi4ts_native.inputs');
const NOT_FOUND =
  'MPI not found; the mpi transport is not built (install Open MPI or MPICH, then run npx mpi4ts build-mpi)';

const args = process.argv.slice(2);
const flag = (name) => args.includes(`--${name}`);
const option = (name, dflt) => {
  const hit = args.find((a) => a.startsWith(`--${name}=`));
  return hit === undefined ? dflt : hit.slice(name.length + 3);
};
const verbose = flag('verbose');
const log = (msg) => console.log(`build-mpi: ${msg}`);
const debug = (msg) => verbose && console.log(`build-mpi: ${msg}`);

/**
 * True in a process that an MPI launcher started (mpiexec, mpirun, srun): the
 * same signs as src/transport/mpi/detect.ts, repeated here because this script
 * runs before the TypeScript is compiled. Not OMPI_* in general: users set
 * OMPI_ALLOW_RUN_AS_ROOT and OMPI_MCA_* in their shells.
 */
function launchedByMpi(env) {
  const has = (key) => env[key] !== undefined && env[key] !== '';
  if (['OMPI_COMM_WORLD_SIZE', 'OMPI_COMM_WORLD_RANK', 'PMIX_RANK', 'PMI_RANK', 'PMI_SIZE', 'PMI_FD', 'HYDI_CONTROL_FD']
    .some(has)) return true;
  const srunStep = (id) => id !== undefined && /^\d+$/.test(id) && Number(id) < 0xfffffff0;
  return has('SLURM_PROCID') && (srunStep(env.SLURM_STEP_ID) || srunStep(env.SLURM_STEPID) ||
    has('PMIX_NAMESPACE') || has('SLURM_PMIX_MAPPING_SERV') || has('PMI_JOBID'));
}

/** Runs a command; returns its trimmed stdout, or undefined when it fails. */
function run(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { encoding: 'utf8', ...opts });
  if (r.error || r.status !== 0) {
    debug(`${cmd} ${argv.join(' ')} failed: ${r.error?.message ?? (r.stderr || '').trim()}`);
    return undefined;
  }
  return (r.stdout || '').trim();
}

function isFile(p) {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** The MPI C compiler wrapper: $MPICC, then PATH, then the usual install places. */
function findMpicc() {
  if (process.env.MPICC) return isFile(process.env.MPICC) ? process.env.MPICC : findOnPath(process.env.MPICC);
  return (
    findOnPath('mpicc') ??
    [
      '/usr/lib64/openmpi/bin/mpicc',
      '/usr/lib64/mpich/bin/mpicc',
      '/usr/local/bin/mpicc',
      '/opt/homebrew/bin/mpicc',
      '/opt/local/bin/mpicc',
    ].find(isFile)
  );
}

function findOnPath(name) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && isFile(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** Splits a command line into words (flags from wrappers rarely need more). */
function words(line) {
  return (line.match(/"[^"]*"|'[^']*'|\S+/g) ?? []).map((w) => w.replace(/^["']|["']$/g, ''));
}

/**
 * Compile flags (-I, -D, -pthread) and link flags (-L, -l, -Wl, -pthread) of the
 * wrapper, with an rpath for each -L directory so the addon finds libmpi at run time.
 */
function mpiFlags(mpicc) {
  let cflags;
  let libs;
  const compile = run(mpicc, ['--showme:compile']);
  const link = run(mpicc, ['--showme:link']);
  if (compile !== undefined && link !== undefined) {
    cflags = words(compile);
    libs = words(link);
  } else {
    // MPICH, Intel MPI, MVAPICH: `-show` prints the whole underlying command.
    const show = run(mpicc, ['-show']) ?? run(mpicc, ['-showme']);
    if (show === undefined) return undefined;
    const all = words(show).slice(1);
    cflags = all.filter((w) => /^-(I|D|pthread)/.test(w));
    libs = all.filter((w) => /^-(L|l|Wl,|pthread|Xlinker)/.test(w));
  }
  const rpaths = libs.filter((w) => w.startsWith('-L')).map((w) => `-Wl,-rpath,${w.slice(2)}`);
  return { cflags, libs: [...libs, ...rpaths.filter((r) => !libs.includes(r))] };
}

/** The directory that holds include/node/node_api.h (node-gyp's --nodedir). */
function findNodeDir() {
  const candidates = [
    process.env.MPI4TS_NODEDIR,
    process.env.npm_config_nodedir,
    resolve(process.execPath, '..', '..'),
    join(homedir(), '.cache', 'node-gyp', process.versions.node),
    join(homedir(), 'Library', 'Caches', 'node-gyp', process.versions.node),
    '/usr',
    '/usr/local',
  ];
  return candidates.find((d) => d && existsSync(join(d, 'include', 'node', 'node_api.h')));
}

function findNodeGyp() {
  const npmRoot = run(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['root', '-g']);
  const candidates = [
    npmRoot && join(npmRoot, 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    resolve(process.execPath, '..', '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    join(root, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  return candidates.find((p) => p && isFile(p));
}

function buildWithGyp(nodeDir) {
  const gyp = findNodeGyp();
  if (gyp === undefined) {
    log('node-gyp not found');
    return false;
  }
  const gypArgs = [gyp, 'rebuild', '--release'];
  if (nodeDir !== undefined) gypArgs.push(`--nodedir=${nodeDir}`);
  if (verbose) gypArgs.push('--verbose');
  log(`node-gyp: ${gypArgs.slice(1).join(' ')}`);
  const r = spawnSync(process.execPath, gypArgs, { cwd: nativeDir, stdio: verbose ? 'inherit' : 'pipe', encoding: 'utf8' });
  if (r.status !== 0) {
    log(`node-gyp failed${verbose ? '' : `:\n${(r.stderr || r.stdout || '').trim().split('\n').slice(-15).join('\n')}`}`);
    return false;
  }
  return isFile(output);
}

function buildDirect(mpicc, nodeDir) {
  if (nodeDir === undefined) {
    log("Node's headers (include/node/node_api.h) not found: set MPI4TS_NODEDIR, or install them");
    return false;
  }
  mkdirSync(dirname(output), { recursive: true });
  const cc = [
    '-O2', '-std=gnu11', '-fPIC', '-Wall',
    '-DNODE_GYP_MODULE_NAME=mpi4ts_native', '-DBUILDING_NODE_EXTENSION',
    `-I${join(nodeDir, 'include', 'node')}`,
    join(nativeDir, 'mpi4ts_native.c'),
    '-o', output,
    ...(process.platform === 'darwin' ? ['-bundle', '-undefined', 'dynamic_lookup'] : ['-shared']),
  ];
  log(`${mpicc} ${cc.join(' ')}`);
  const r = spawnSync(mpicc, cc, { stdio: 'inherit' });
  return r.status === 0 && isFile(output);
}

/** Loads the built addon in a child (a singleton MPI job) and prints the library. */
function check() {
  const probe =
    "const os=require('os');const m={exports:{}};" +
    `process.dlopen(m,${JSON.stringify(output)},os.constants.dlopen.RTLD_NOW|os.constants.dlopen.RTLD_GLOBAL);` +
    "console.log(m.exports.libraryVersion().split('\\n')[0]);m.exports.finalize();";
  const r = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8', timeout: 60000 });
  if (r.status === 0) {
    log(`loads: ${r.stdout.trim()}`);
  } else {
    log(`built, but loading it as a singleton failed (it may still work under mpiexec):\n${(r.stderr || '').trim()}`);
  }
}

/** The build's inputs in one line: the MPI wrapper, its flags and a hash of the C sources. */
function buildInputs(mpicc, flags) {
  const hash = createHash('sha256');
  for (const name of readdirSync(nativeDir).filter((n) => /\.(c|h|gyp)$/.test(n)).sort()) {
    hash.update(name).update(readFileSync(join(nativeDir, name)));
  }
  return JSON.stringify({ mpicc, cflags: flags.cflags, libs: flags.libs, sources: hash.digest('hex') });
}

function builtFrom(inputs) {
  try {
    return isFile(output) && readFileSync(inputsFile, 'utf8') === inputs;
  } catch {
    return false;
  }
}

function main() {
  const mpicc = findMpicc();
  const printWhat = option('print', undefined);
  if (printWhat !== undefined) {
    // For binding.gyp: one flag per line, nothing else on stdout.
    const f = mpicc && mpiFlags(mpicc);
    if (!f) {
      console.error(NOT_FOUND);
      process.exit(1);
    }
    console.log((printWhat === 'libs' ? f.libs : f.cflags).join('\n'));
    return;
  }
  const underMpi = launchedByMpi(process.env);
  if (underMpi && flag('optional')) {
    log('skipped: this process was started by an MPI launcher (mpiexec, srun); build the addon once ' +
      'outside it with `npx mpi4ts build-mpi`');
    return;
  }
  if (mpicc === undefined) {
    console.log(NOT_FOUND);
    process.exit(flag('optional') ? 0 : 1);
  }
  const flags = mpiFlags(mpicc);
  if (flags === undefined) {
    console.log(`${NOT_FOUND}\n(${mpicc} did not report its flags with --showme:compile or -show)`);
    process.exit(flag('optional') ? 0 : 1);
  }
  const inputs = buildInputs(mpicc, flags);
  if (flag('optional') && builtFrom(inputs)) {
    log(`up to date: ${output} (built from these sources with ${mpicc}; \`npx mpi4ts build-mpi\` rebuilds it)`);
    return;
  }
  log(`MPI compiler: ${mpicc}`);
  debug(`cflags: ${flags.cflags.join(' ')}`);
  debug(`libs: ${flags.libs.join(' ')}`);
  const nodeDir = findNodeDir();
  const method = option('method', 'auto');
  let ok = false;
  if (method === 'gyp' || method === 'auto') ok = buildWithGyp(nodeDir);
  if (!ok && (method === 'direct' || method === 'auto')) {
    if (method === 'auto') log('falling back to a direct build with the MPI compiler wrapper');
    ok = buildDirect(mpicc, nodeDir);
  }
  if (!ok) {
    console.error('build-mpi: the mpi transport could not be built (see above)');
    process.exit(flag('optional') ? 0 : 1);
  }
  writeFileSync(inputsFile, inputs);
  log(`built ${output}`);
  if (underMpi) log('not loading it to check it: in a process started by an MPI launcher that would be an MPI_Init');
  else if (!flag('no-check')) check();
}

main();
