// The case list every mpi4ts bench program takes: `name:bytes:iters,...` as an argument, from
// BENCH_CASES, or the program's defaults (bench/run.ts passes the same list to the peers).

/** One measurement to make. */
export interface Case {
  /** What to measure: `warm`, `buf`, `barrier`, `allreduce`, ... */
  readonly name: string;
  readonly bytes: number;
  readonly iters: number;
}

const CASE_RE = /^[a-z]+:\d+:\d+(,[a-z]+:\d+:\d+)*$/;

/** The cases given on the command line, in BENCH_CASES, or else `defaults`. */
export function parseCases(defaults: string): Case[] {
  const spec = process.argv.slice(2).find((a) => CASE_RE.test(a)) ?? process.env['BENCH_CASES'] ?? defaults;
  return spec.split(',').map((c) => {
    const [name = '', bytes = '0', iters = '1'] = c.split(':');
    return { name, bytes: Number(bytes), iters: Math.max(1, Number(iters)) };
  });
}
