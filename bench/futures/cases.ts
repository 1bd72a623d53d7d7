// The measurements of the futures benchmark, shared by its three programs.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';

/** Tiny tasks per run, after a warm-up of WARMUP. */
export const TINY_TASKS = 100_000;
export const WARMUP = 1000;
/** The CPU-bound map: CPU_TASKS tasks of cpu(CPU_WORK) (`BENCH_CPU_TASKS=<n>` for a longer look). */
export const CPU_TASKS = Number(process.env['BENCH_CPU_TASKS'] ?? 200);
export const CPU_WORK = 2_000_000;
/** Worker threads or ranks in every pool. */
export const WORKERS = 2;

/** One measurement, printed by a program as a JSON line. */
export interface Measurement {
  readonly pool: string;
  readonly tinyChunk1: number;
  /** Tiny tasks/s, one `submit` (piscina: `run`) per task, awaited with Promise.all; null where there is no such call. */
  readonly tinySubmit: number | null;
  readonly tinyChunk100: number;
  /** Seconds for the CPU-bound map; null where it is not run. */
  readonly cpuSeconds: number | null;
  /** The CPU-bound map's sum of results, to check that every pool computed the same. */
  readonly cpuCheck: number | null;
  /**
   * CPU seconds of the submitting thread (rank 0, piscina's main thread)
   * during the CPU-bound map: near 0 when it blocks while the workers compute.
   * Null where not measured.
   */
  readonly cpuManagerSeconds: number | null;
}

/**
 * CPU seconds this very thread has used (Linux: /proc/thread-self/stat, in
 * clock ticks of 10 ms), or null where that cannot be read.
 */
export function threadCpuSeconds(): number | null {
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

/** `threadCpuSeconds()` since `before`, or null. */
export function threadCpuSince(before: number | null): number | null {
  const now = threadCpuSeconds();
  return before === null || now === null ? null : now - before;
}

/** `BENCH_CPU_ONLY=1`: only the CPU-bound map (after the warm-up), for quick looks at it. */
export const cpuOnly = process.env['BENCH_CPU_ONLY'] === '1';
/** `BENCH_TIMELINE=<file>`: the CPU-bound map runs `cpuTimed` and writes its timeline there (timeline/analyze.ts reads it). */
export const timeline = process.env['BENCH_TIMELINE'] || undefined;

/** A timeline of the CPU-bound map: when it started and ended, each task's [sum, start, end, thread], when each result was seen. */
export interface Timeline {
  readonly t0: number;
  readonly t1: number;
  readonly tasks: readonly (readonly [number, number, number, number])[];
  readonly seen: readonly number[];
  /** CPU ms of the whole process (every thread of it) during the map. */
  readonly processCpu: number;
  /** CPU ms of each thread of the process that ran during the map (Linux), the busiest first; `self` is the submitting thread. */
  readonly threads: readonly { readonly tid: number; readonly name: string; readonly ms: number; readonly self: boolean }[];
}

/** Nanoseconds on a CPU of each thread of this process, by thread id (Linux's schedstat), and this thread's id. */
function threadTimes(): { all: Map<number, { name: string; ns: number }>; self: number } {
  const all = new Map<number, { name: string; ns: number }>();
  let self = -1;
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      try {
        const ns = Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
        all.set(Number(tid), { name: readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim(), ns });
      } catch {
        // The thread ended meanwhile.
      }
    }
    self = Number(readFileSync('/proc/thread-self/stat', 'utf8').split(' ')[0]);
  } catch {
    // Not Linux.
  }
  return { all, self };
}

let cpuAtStart: NodeJS.CpuUsage | undefined;
let threadsAtStart: ReturnType<typeof threadTimes> | undefined;
/** Marks the map's start for {@link writeTimeline}'s process and thread CPU. */
export function timelineStart(): void {
  threadsAtStart = threadTimes();
  cpuAtStart = process.cpuUsage();
}

export function writeTimeline(file: string, t0: number, t1: number, tasks: Timeline['tasks'], seen: readonly number[]): void {
  const used = process.cpuUsage(cpuAtStart);
  const now = threadTimes();
  const threads = [...now.all].map(([tid, { name, ns }]) => ({ tid, name, ms: (ns - (threadsAtStart?.all.get(tid)?.ns ?? 0)) / 1e6, self: tid === now.self }))
    .filter((x) => x.ms > 0.5).sort((a, b) => b.ms - a.ms);
  const line: Timeline = { t0, t1, tasks, seen, processCpu: (used.user + used.system) / 1000, threads };
  writeFileSync(file, JSON.stringify(line));
}

/** `BENCH_MARKS=1`: prints `### map start` and `### map end` around the CPU-bound map, to cut a `--trace-opt` log. */
export function mark(what: 'start' | 'end'): void {
  if (process.env['BENCH_MARKS'] === '1') console.log(`### map ${what}`);
}
