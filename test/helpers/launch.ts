// Runs a program through the mpi4ts launcher and collects what it printed.
import { execFileSync, spawn } from 'node:child_process';
import type { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../..', import.meta.url));
const launcher = fileURLToPath(new URL('../../bin/mpi4ts.js', import.meta.url));

export interface JobResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall time of the whole job, in milliseconds. */
  ms: number;
  /** Whether the job was killed at its timeout. */
  timedOut: boolean;
  /**
   * Killed at its timeout: its processes then, as `ps` saw them (which process of a hung job was still there, and
   * where it slept), and for a job of {@link launch} the threads of the launcher's process (each rank's among them)
   * with their active libuv handles, from Node's diagnostic report; else ''.
   */
  processes: string;
}

/** The signal on which a job of {@link launch} writes Node's diagnostic report to its stderr (see {@link runCommand}). */
const REPORT_SIGNAL = 'SIGUSR2';
/** Node's flags for that report. */
const REPORT_FLAGS = ['--report-on-signal', `--report-signal=${REPORT_SIGNAL}`, '--report-filename=stderr'];
/** How long a job has to write its report before it is killed. */
const REPORT_MS = 3000;

interface ReportThread {
  readonly header: { readonly threadId: number };
  readonly libuv: readonly { readonly type: string; readonly is_active?: boolean }[];
  readonly javascriptStack: { readonly message?: string; readonly stack?: readonly string[] };
}

/**
 * `stderr` without the diagnostic report at its end, and the report's threads in a few lines: each thread's id,
 * its active libuv handles and the top of its JS stack (thread 0 is the launcher's, the others its workers').
 */
function splitReport(stderr: string): { stderr: string; threads: string } {
  const at = stderr.lastIndexOf('{\n  "header": {\n    "reportVersion"');
  if (at < 0) return { stderr, threads: '(no diagnostic report)' };
  try {
    const report = JSON.parse(stderr.slice(at)) as ReportThread & { readonly workers?: readonly ReportThread[] };
    const describe = (thread: ReportThread): string => {
      const handles = thread.libuv.filter((h) => h.is_active === true).map((h) => h.type);
      const stack = thread.javascriptStack.stack?.slice(0, 4).join(' < ') ?? thread.javascriptStack.message ?? '';
      return `thread ${thread.header.threadId}: active handles ${handles.join(', ') || 'none'}; JS ${stack}`;
    };
    return { stderr: stderr.slice(0, at), threads: [report, ...(report.workers ?? [])].map(describe).join('\n') };
  } catch (error) {
    return { stderr, threads: `(the diagnostic report did not parse: ${String(error)})` };
  }
}

/** How long a test lets a job (or the launcher alone) run before it kills it: several times what any takes. */
export const JOB_TIMEOUT_MS = 120_000;

/** The processes of group `group` (state, kernel wait channel, age, command), for the report of a job that hung. */
function processesOf(group: number): string {
  try {
    const table = execFileSync('ps', ['-o', 'pid,ppid,stat,wchan:24,etime,args', '-g', String(group)], { encoding: 'utf8' });
    return table.split('\n').map((line) => line.slice(0, 240)).join('\n');
  } catch (error) {
    return `(ps failed: ${String(error)})`;
  }
}

/**
 * Runs `command args...` in the repository's root; after `timeoutMs` (default {@link JOB_TIMEOUT_MS}) kills it and every
 * process it started (its process group: mpiexec's ranks and the children they spawned), once `ps` has listed them
 * (`processes`). `report`: the command is `node` with {@link REPORT_FLAGS}, and is first asked for its diagnostic
 * report, whose threads go to `processes` too.
 */
export function runCommand(command: string, args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: (stdin: Writable) => void; report?: boolean } = {},
): Promise<JobResult> {
  const started = Date.now();
  const child = spawn(command, args, {
    cwd: root, env: options.env ?? process.env, stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], detached: true,
  });
  if (options.input !== undefined) {
    // A job that ends before it has read everything closes the pipe under the writer.
    child.stdin!.on('error', () => undefined);
    options.input(child.stdin!);
  }
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
  let timedOut = false;
  let processes = '';
  const kill = (): void => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      child.kill('SIGKILL'); // the group is gone already, or was never made
    }
  };
  let timer = setTimeout(() => {
    timedOut = true;
    processes = processesOf(child.pid!);
    if (options.report !== true) return kill();
    child.kill(REPORT_SIGNAL);
    timer = setTimeout(kill, REPORT_MS);
  }, options.timeoutMs ?? JOB_TIMEOUT_MS);
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut && options.report === true) {
        const split = splitReport(stderr);
        stderr = split.stderr;
        processes += `\n${split.threads}`;
      }
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started, timedOut, processes });
    });
  });
}

/**
 * Runs `node bin/mpi4ts.js -n <ranks> <launcherArgs...> <script> <args...>`; kills it after `timeoutMs`. `input`
 * writes the launcher's stdin (otherwise it has none).
 */
export function launch(script: string, ranks: number, args: readonly string[] = [],
  options: { launcherArgs?: readonly string[]; timeoutMs?: number; env?: NodeJS.ProcessEnv; input?: (stdin: Writable) => void } = {},
): Promise<JobResult> {
  return runCommand(process.execPath, [...REPORT_FLAGS, launcher, '-n', String(ranks), ...(options.launcherArgs ?? []), script,
    ...args], { timeoutMs: options.timeoutMs, env: options.env, input: options.input, report: true });
}

/** The environment Open MPI's mpiexec needs in tests: running as root allowed, oversubscription allowed. */
export const mpiexecEnv: NodeJS.ProcessEnv = {
  ...process.env, OMPI_ALLOW_RUN_AS_ROOT: '1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: '1', OMPI_MCA_rmaps_base_oversubscribe: '1',
};

/** The lines of `text` that start with `prefix`, sorted. */
export function linesStartingWith(text: string, prefix: string): string[] {
  return text.split('\n').filter((line) => line.startsWith(prefix)).sort();
}
