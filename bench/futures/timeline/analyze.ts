// Reads timelines written with BENCH_TIMELINE=<file> (cases.ts) and prints,
// per file: the map's time, and per worker thread its tasks, its busy time,
// when its first task started after the map began, the gaps between its
// tasks, and how long before the map's end its last task ended; then how
// long after the last task ended the submitting thread saw it.
// Usage: node --import tsx bench/futures/timeline/analyze.ts file.json...
import { readFileSync } from 'node:fs';
import type { Timeline } from '../cases.js';

const ms = (x: number): string => x.toFixed(1);
for (const file of process.argv.slice(2)) {
  const t = JSON.parse(readFileSync(file, 'utf8')) as Timeline;
  const byThread = new Map<number, (readonly [number, number, number, number])[]>();
  for (const task of t.tasks) {
    const list = byThread.get(task[3]) ?? [];
    list.push(task);
    byThread.set(task[3], list);
  }
  const lastEnd = Math.max(...t.tasks.map((x) => x[2]));
  const lastSeen = Math.max(...t.seen);
  console.log(`${file}: map ${ms(t.t1 - t.t0)} ms; last task ended at ${ms(lastEnd - t.t0)}, seen ${ms(lastSeen - lastEnd)} ms later, map over ${ms(t.t1 - lastSeen)} ms after that; process CPU ${ms(t.processCpu)} ms`);
  console.log(`  threads' CPU ms: ${t.threads.map((x) => `${x.name}${x.self ? '*' : ''} ${ms(x.ms)}`).join(', ')}`);
  for (const [thread, tasks] of [...byThread].sort((a, b) => a[0] - b[0])) {
    tasks.sort((a, b) => a[1] - b[1]);
    const durations = tasks.map((x) => x[2] - x[1]);
    const busy = durations.reduce((a, b) => a + b, 0);
    const gaps = tasks.slice(1).map((x, i) => x[1] - tasks[i]![2]);
    const gapSum = gaps.reduce((a, b) => a + b, 0);
    const sorted = [...durations].sort((a, b) => a - b);
    console.log(`  thread ${thread}: ${tasks.length} tasks, busy ${ms(busy)} ms (first task ${ms(durations[0]!)} ms, median ${sorted[sorted.length >> 1]!.toFixed(2)} ms), ` +
      `first start +${ms(tasks[0]![1] - t.t0)} ms, gaps ${ms(gapSum)} ms (max ${ms(Math.max(0, ...gaps))}), ` +
      `last end ${ms(lastEnd - tasks[tasks.length - 1]![2])} ms before the last task's end`);
    const g = [...gaps].sort((a, b) => a - b);
    const q = (f: number): string => (g.length === 0 ? '-' : g[Math.min(g.length - 1, Math.floor(f * g.length))]!.toFixed(3));
    console.log(`    gaps: p10 ${q(0.1)} p50 ${q(0.5)} p90 ${q(0.9)} p99 ${q(0.99)} ms; over 1 ms: ${g.filter((x) => x > 1).length}`);
  }
}
