/**
 * The launcher's command line: `mpi4ts [options] script.ts|script.js [args...]`.
 *
 * @module
 */

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
  -n, -np, --np <N>        number of ranks (default 1)
  --tag-output             prefix every line of output with [rank]
  --eager-limit <bytes>    largest message sent eagerly (default 64k); larger ones
                           wait for the matching receive, as in a real MPI
  --heap-size <bytes>      shared heap per rank for MPI.alloc and large messages
  --universe-size <N>      ranks the job can hold, those started by Spawn included
                           (default: N + 16)
  --transport <shm|mpi>    shm: embedded worker threads (default);
                           mpi: run through the system's mpiexec (Open MPI, MPICH)
  --deadlock-timeout <s>   seconds of a fully blocked job before it is reported (default 1)
  -h, --help               this help
  --version                the mpi4ts version

Sizes take k, m and g suffixes (powers of 1024): --eager-limit 256k.
Under mpiexec, mpirun or srun, "mpi4ts script.ts" runs one rank in this process.`;

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
        eagerLimit = parseSize(value(), flag);
        break;
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
  return {
    kind: 'run',
    options: {
      ranks, script, args: argv.slice(i + 1), tagOutput, eagerLimit, heapSize, transport, deadlockTimeout, universeSize,
    },
  };
}
