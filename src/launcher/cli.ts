/**
 * The launcher's command line: `mpi4ts [options] script.ts|script.js [args...]`.
 *
 * Options that only the shm transport has (`--eager-limit`, `--heap-size`,
 * `--universe-size`) are refused on the mpi transport rather than dropped:
 * there the MPI library's own settings apply, and `--mpiexec-arg` passes
 * them on (see {@link checkForMpiTransport}).
 *
 * @module
 */

import type { WatchdogOptions } from '../observe/state.js';
import { MAX_EAGER_LIMIT } from '../transport/shm/layout.js';

/** What the command line asks for. */
export interface LaunchOptions {
  /** Number of ranks. */
  readonly ranks: number;
  readonly script: string;
  /** Arguments passed through to the script's `process.argv`. */
  readonly args: readonly string[];
  /** Prefix each output line with `[rank] `. */
  readonly tagOutput: boolean;
  /** Messages up to this many bytes are sent eagerly. */
  readonly eagerLimit: number | undefined;
  /** Bytes of each rank's shared heap arena. */
  readonly heapSize: number | undefined;
  readonly transport: 'shm' | 'mpi';
  /** Ranks the job can hold, spawned ones included. */
  readonly universeSize: number | undefined;
  /** Seconds every rank must stay blocked, with nothing moving, before a deadlock is reported. */
  readonly deadlockTimeout: number;
  /** Words passed to `mpiexec` before its `-n` (transport mpi): `--hostfile hosts`, `--mca btl tcp,self`. */
  readonly mpiexecArgs: readonly string[];
  /** Say on stderr which transport runs the job, and how it was started. */
  readonly verbose: boolean;
  /** `-m futures`: rank 0 runs the script, the other ranks serve its `mpi4ts/futures` pools. */
  readonly module: 'futures' | undefined;
  /** `--trace FILE`: write the job's timeline there (`.json`: Chrome/Perfetto trace events; `.html`: a page that draws them). */
  readonly trace?: string | undefined;
  /** `--profile`: print a table of the time spent in each MPI call at the job's end. */
  readonly profile?: boolean;
  /** `--watchdog SECONDS` (with `--watchdog-any`, `--watchdog-abort`): a roll-call of the ranks when the job stalls. */
  readonly watchdog?: WatchdogOptions | undefined;
  /** `--inspect-rank N` (`brk`: `--inspect-brk-rank N`): the inspector on rank N alone. */
  readonly inspect?: { readonly rank: number; readonly brk: boolean } | undefined;
  /** `--cpu-prof`: a CPU profile per rank, `rank-N.cpuprofile`. */
  readonly cpuProf?: boolean;
  /** `--typecheck`: run the TypeScript compiler's check on the script before the ranks start. */
  readonly typecheck?: boolean;
  /** `--node-options "<flags>"`: Node/V8 flags for the ranks (worker `execArgv` on shm, `node` arguments under mpiexec). */
  readonly nodeOptions?: readonly string[];
}

/** A parsed command line: a job to run, or something to print. */
export type Command =
  | { readonly kind: 'run'; readonly options: LaunchOptions }
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  | { readonly kind: 'build-mpi'; readonly args: readonly string[] };

export const USAGE = `Usage: mpi4ts [options] <script.ts|script.js> [args...]
       mpi4ts build-mpi          build the native MPI transport against the system's MPI

Runs <script> as an SPMD job of N ranks. TypeScript runs directly, no build step.

Options:
  -n, -np, --np, --n <N>   number of ranks (default 1)
  --tag-output             prefix every line of output with [rank]
  --eager-limit <bytes>    largest message sent eagerly (default 64k, at most 1m);
                           larger ones wait for the matching receive, as in a real MPI
  --heap-size <bytes>      shared heap per rank for MPI.alloc and large messages
  --universe-size <N>      ranks the job can hold, those started by Spawn included
                           (default: N + 16)
  --transport <shm|mpi>    shm: embedded worker threads (default);
                           mpi: run through the system's mpiexec (Open MPI, MPICH)
  --mpiexec-arg <word>     with --transport mpi: one word for mpiexec, placed before its -n;
                           repeat it for each word, e.g.
                           --mpiexec-arg=--hostfile --mpiexec-arg=hosts
                           --mpiexec-arg=--mca --mpiexec-arg=btl --mpiexec-arg=tcp,self
  --deadlock-timeout <s>   seconds of a fully blocked job before it is reported (default 1)
  -m futures               rank 0 runs the script; the other ranks are the workers of
                           the pools it makes with mpi4ts/futures (MPIPoolExecutor)
  --trace <file>           record every MPI call of every rank and write the timeline to
                           <file>: .json is a Chrome/Perfetto trace (ui.perfetto.dev,
                           chrome://tracing), .html a page that draws it (no network)
  --profile                at the end, print per MPI call its count, time and bytes,
                           the share of wall time per rank, and the call sites that waited longest
  --watchdog <s>           when no rank has ended an MPI call for <s> seconds, print a
                           roll-call: each rank's current call, its arguments, for how
                           long, and its stack (a computing rank's too); the job goes on
  --watchdog-any           ... when one rank has been in one call for <s> seconds instead
  --watchdog-abort         ... and end the job (exit status 3)
  --inspect-rank <N>       open the inspector on rank N alone and print its URL
  --inspect-brk-rank <N>   ... and wait for a debugger before rank N's script runs
  --cpu-prof               write a CPU profile of each rank to rank-N.cpuprofile
  --node-options <flags>   Node/V8 flags for the ranks, e.g. --node-options "--stack-size=2000";
                           they win over the V8 flags mpi4ts sets (early tier-up, no background
                           compiler threads, scavenges on the rank's thread; MPI4TS_V8_DEFAULTS=0:
                           none)
  --typecheck              check the script's types with tsc (the project's typescript package)
                           first, and start no rank if it has type errors
  -v, --verbose            say on stderr which transport runs the job (as MPI4TS_VERBOSE=1)
  -h, --help               this help
  --version                the mpi4ts version

Sizes take k, m and g suffixes (powers of 1024): --eager-limit 256k.
With --transport mpi, --tag-output becomes mpiexec's (Open MPI --tag-output, MPICH
-prepend-rank) and --deadlock-timeout applies; --eager-limit, --heap-size and
--universe-size belong to the shm transport and are refused (the MPI library's
settings apply: pass them with --mpiexec-arg). $MPIEXEC names the mpiexec to use.
Under mpiexec, mpirun or srun, "mpi4ts script.ts" runs one rank in this process:
mpiexec -n 64 node_modules/.bin/mpi4ts script.ts`;

/** A command-line mistake, reported with the usage. */
export class UsageError extends Error {}

/** Parses `512`, `64k`, `1m`, `2g` into bytes. */
export function parseSize(text: string, option: string): number {
  const match = /^(\d+)([kmg]?)i?b?$/i.exec(text.trim());
  if (match === null) throw new UsageError(`${option} expects a size such as 65536 or 64k, got "${text}"`);
  const scale = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[match[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Number(match[1]) * scale;
}

function positiveInteger(text: string | undefined, option: string): number {
  const n = Number(text);
  if (text === undefined || !Number.isInteger(n) || n < 1) throw new UsageError(`${option} expects a positive integer, got "${text ?? ''}"`);
  return n;
}

/** Parses the launcher's arguments (without `node` and the launcher's own path). */
export function parseCommandLine(argv: readonly string[]): Command {
  if (argv[0] === 'build-mpi') return { kind: 'build-mpi', args: argv.slice(1) };
  let ranks = 1;
  let tagOutput = false;
  let eagerLimit: number | undefined;
  let heapSize: number | undefined;
  let transport: 'shm' | 'mpi' = 'shm';
  let deadlockTimeout = 1;
  let universeSize: number | undefined;
  const mpiexecArgs: string[] = [];
  let verbose = false;
  let module: 'futures' | undefined;
  let trace: string | undefined;
  let profile = false;
  let watchdogSeconds: number | undefined;
  let watchdogAny = false;
  let watchdogAbort = false;
  let inspect: { rank: number; brk: boolean } | undefined;
  let cpuProf = false;
  let typecheck = false;
  const nodeOptions: string[] = [];
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('-')) break;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      if (inline !== undefined) return inline;
      const next = argv[++i];
      if (next === undefined) throw new UsageError(`${flag} expects a value`);
      return next;
    };
    switch (flag) {
      case '-n': case '-np': case '--np': case '--n':
        ranks = positiveInteger(value(), flag);
        break;
      case '--universe-size':
        universeSize = positiveInteger(value(), flag);
        break;
      case '--tag-output':
        tagOutput = true;
        break;
      case '--eager-limit':
      {
        const text = value();
        eagerLimit = parseSize(text, flag);
        if (eagerLimit > MAX_EAGER_LIMIT) {
          throw new UsageError(`--eager-limit takes at most ${MAX_EAGER_LIMIT / 1024 ** 2}m, got "${text}": larger messages ` +
            'go by rendezvous, which copies a buffer in MPI.alloc memory once where an eager send copies twice');
        }
        break;
      }
      case '--heap-size':
        heapSize = parseSize(value(), flag);
        break;
      case '--transport': {
        const name = value();
        if (name !== 'shm' && name !== 'mpi') throw new UsageError(`--transport expects shm or mpi, got "${name}"`);
        transport = name;
        break;
      }
      case '--deadlock-timeout': {
        const seconds = Number(value());
        if (!(seconds > 0)) throw new UsageError('--deadlock-timeout expects a positive number of seconds');
        deadlockTimeout = seconds;
        break;
      }
      case '--mpiexec-arg':
        mpiexecArgs.push(value());
        break;
      case '-m': {
        const name = value();
        if (name !== 'futures') throw new UsageError(`-m expects futures, got "${name}"`);
        module = name;
        break;
      }
      case '--trace': {
        trace = value();
        if (!/\.(json|html)$/i.test(trace)) throw new UsageError(`--trace expects a file name ending in .json or .html, got "${trace}"`);
        break;
      }
      case '--profile':
        profile = true;
        break;
      case '--watchdog': {
        const seconds = Number(value());
        if (!(seconds > 0)) throw new UsageError('--watchdog expects a positive number of seconds');
        watchdogSeconds = seconds;
        break;
      }
      case '--inspect-rank': case '--inspect-brk-rank': {
        const text = value();
        const rank = Number(text);
        if (!Number.isInteger(rank) || rank < 0) throw new UsageError(`${flag} expects a rank, got "${text}"`);
        inspect = { rank, brk: flag === '--inspect-brk-rank' };
        break;
      }
      case '--cpu-prof':
        cpuProf = true;
        break;
      case '--typecheck':
        typecheck = true;
        break;
      case '--node-options':
        nodeOptions.push(...value().split(/\s+/).filter((word) => word !== ''));
        break;
      case '--watchdog-any':
        watchdogAny = true;
        break;
      case '--watchdog-abort':
        watchdogAbort = true;
        break;
      case '-v': case '--verbose':
        verbose = true;
        break;
      case '-h': case '--help':
        return { kind: 'help' };
      case '--version':
        return { kind: 'version' };
      default:
        throw new UsageError(`unknown option ${flag}`);
    }
  }
  const script = argv[i];
  if (script === undefined) throw new UsageError('no script given');
  const options: LaunchOptions = {
    ranks, script, args: argv.slice(i + 1), tagOutput, eagerLimit, heapSize, transport, deadlockTimeout, universeSize,
    mpiexecArgs, verbose, module, trace, profile,
    watchdog: watchdogSeconds === undefined ? undefined : { seconds: watchdogSeconds, any: watchdogAny, abort: watchdogAbort },
    inspect, cpuProf, nodeOptions, typecheck,
  };
  if (inspect !== undefined && inspect.rank >= ranks) throw new UsageError(`--inspect-rank ${inspect.rank}: the job has ranks 0 to ${ranks - 1}`);
  if (watchdogSeconds === undefined && (watchdogAny || watchdogAbort)) throw new UsageError('--watchdog-any and --watchdog-abort need --watchdog SECONDS');
  if (transport === 'mpi') checkForMpiTransport(options, 'with --transport mpi');
  else if (mpiexecArgs.length > 0) throw new UsageError('--mpiexec-arg needs --transport mpi');
  return { kind: 'run', options };
}

/**
 * Refuses the options that mean nothing on the mpi transport, `where` being
 * `'with --transport mpi'` or `'under mpiexec'`.
 *
 * @throws UsageError naming the option and what to do instead
 */
export function checkForMpiTransport(options: LaunchOptions, where: string): void {
  const shmOnly = (option: string, instead: string): UsageError =>
    new UsageError(`${option} applies to the shm transport only; ${where} ${instead}`);
  if (options.eagerLimit !== undefined) {
    throw shmOnly('--eager-limit', 'the MPI library sets the eager limit (Open MPI: ' +
      '--mpiexec-arg=--mca --mpiexec-arg=btl_vader_eager_limit --mpiexec-arg=65536, and btl_tcp_eager_limit)');
  }
  if (options.heapSize !== undefined) {
    throw shmOnly('--heap-size', 'MPI.alloc returns ordinary memory and messages need no shared heap');
  }
  if (options.universeSize !== undefined) {
    throw shmOnly('--universe-size', 'MPI.Spawn finds room in the slots mpiexec was given (--mpiexec-arg=--hostfile ...)');
  }
}
