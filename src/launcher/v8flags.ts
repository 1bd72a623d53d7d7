/**
 * The V8 configuration mpi4ts gives rank threads by default: no background
 * compiler threads, scavenges on the rank's thread, early tier-up and a
 * small young generation (and a young generation settled at start-up,
 * `young_generation.ts`), whatever the number of ranks.
 *
 * V8 runs optimizing compiles (TurboFan, and Maglev on Node 22+) and parts of
 * its garbage collection (parallel scavenges, concurrent marking and
 * sweeping) on a pool of background threads shared by every isolate of the
 * process. When there are as many ranks as cores, those threads can only run
 * by preempting a rank, and a preempted rank stalls every partner spinning
 * for it: at 2 ranks on 2 cores, small collectives' means were 3-10x their
 * medians, and a 64 KiB Allreduce's p99 was 50-150x its median. With that work
 * done in the rank's own thread instead, those stalls go (see
 * docs/ARCHITECTURE.md, "V8 flags of the ranks"). With fewer ranks than cores the background threads
 * have idle cores to run on, but the early tier-up below matters as much there, and a background
 * compile of the early tier-up comes too late: in first loops of 2,200 calls at 1 rank on 2 cores
 * (Node 20, three alternating runs), V8's own configuration took 0.7-2.9 us a call for the 8-byte
 * Bcast, 2.6-5.3 for Allreduce, 1.6-6.6 for Gather, 10-13 for the object bcast and 6.5-12 for
 * Sendrecv; the early tier-up with background compiles 1.4-3.4, 0.5-1.8, 0.8-2.9, 11-17 and 6.6-8;
 * the defaults 0.14, 0.21-0.23, 0.46-0.49, 1.4 and 0.71-0.76. So they apply at any number of ranks.
 *
 * The flags are the compiler parts of V8's `--single-threaded`, and
 * `--no-parallel-scavenge` of its GC parts, listed one by one: Node 24's V8
 * does not apply a flag's implications when it is set after start-up
 * (`v8.setFlagsFromString('--single-threaded')` leaves concurrent
 * compilation on there). The other GC parts stay off the list: concurrent
 * marking and sweeping on the rank's thread cost the 200,000-message stress
 * test at 4 ranks a third more time and CPU, and `--no-parallel-marking` and
 * `--no-cppheap-concurrent-marking` cannot be set while an isolate of the
 * process (the launcher's) is marking (V8 fails a check and the process
 * dies). WebAssembly's parts would turn Wasm's tier-up off.
 *
 * Early tier-up: with compiles on the rank's thread, each one stalls the
 * rank and its partners for 1-10 ms, and V8's default thresholds place them
 * in the thousands of calls of a user's first loop (TurboFan after about
 * 3,000 calls of a function from Node 22, after a bytecode budget of 66 KB
 * on Node 20, and 500 calls more after any inline cache changes). Lower
 * thresholds move them into the loop's first hundred or so calls, which
 * also run optimized code sooner: at 2 ranks on 2 cores, the mean of a
 * 2,200-call loop of 8-byte Bcasts fell from 9-25 to 1.1-1.3 us (Node 20,
 * 22 and 24), of object bcasts from 15-46 to 1.9-3.7 us. Each V8 says it
 * in its own terms: a bytecode budget on Node 20, invocation counts from
 * Node 22. On Node 20 a budget of 1,024 bytes rather than 2,048 took the
 * means (medians of 5 runs) of 2,200-call loops of 8-byte Bcast from 1.8 to
 * 1.1 us, Reduce 2.5 to 1.4, Scan 3.3 to 1.7, Gather 2.8 to 1.3, Allgather
 * 2.9 to 1.9 (Allreduce and the object calls unchanged); 512 made Allreduce
 * and Alltoall slower. With more ranks than cores a compile stalls every rank,
 * yet a later tier-up is worse still: at 8 ranks on 2 cores, budgets of 16
 * and 132 KB took the first loops of the 8-byte collectives and the object
 * calls 1.5-4x longer than 1,024 (two runs each; running unoptimized costs
 * every rank more than the compiles stall it), and neither
 * `--ticks-before-optimization` 1 or 2 (V8's 3) nor `--always-sparkplug`
 * changed the 2-rank first loops beyond this VM's noise. Halving Node 24's
 * TurboFan count, to 25, was no better overall while the waits on a peer
 * that V8 held up went down the slow path (the 8-byte Bcast and Gather and
 * the object bcast slower, 64 KiB calls faster); once the fast path polled
 * for a millisecond (`collective/tuning.ts`), it took the first loops of
 * 64 KiB Bcasts from 17 to 9 us a call and of 64 KiB Allreduces from 36 to
 * 23 (their p99 from 1.9 to 0.4 ms), the 8-byte calls within this VM's noise
 * (medians of 5 runs). Turning Maglev off on Node 24 helped: each hot
 * function is then compiled once, by TurboFan, instead of twice, and the
 * first loops' means (medians of 4 runs) went from 5.8 to 1.1 us for the
 * 8-byte Bcast, 2.8 to 1.0 for Reduce, 6.2 to 1.8 for the object gather,
 * 101 to 68 us for the 64 KiB Bcast and 115 to 63 for the 64 KiB Allreduce,
 * none slower. On Node 22 it made no such difference (Gather and Allgather
 * slower, 64 KiB calls faster), so Node 22 keeps Maglev, with halved counts
 * (25 and 10): the 64 KiB Bcast's and Allreduce's first loops took 28 and
 * 36 us instead of 73 and 64, the 8-byte calls as before (within 15%, both
 * ways).
 *
 * The cost: more functions reach the thresholds, and a short loop of large
 * messages (500 Bcasts of 64 KiB) pays their compiles where V8's defaults
 * would have left them unoptimized. A smaller inlining budget
 * (200 bytes of bytecode per compile, where V8 allows 920) shortens each:
 * such a loop's mean went from 146-181 to 85-98 us (V8's defaults: 48-50 us).
 * A program that runs much code a few dozen times compiles more too: the
 * collectives conformance chapter at 4 ranks makes 2,600 compiles instead of
 * 540 and takes 6 s instead of 4, and a 2-rank hello job 0.58 s instead of
 * 0.38 on Node 20 (0.45 instead of 0.30 on Node 22 and 24): Node's worker
 * bootstrap and module loader are compiled early too. Setting the tier-up
 * flags later saves that start-up time but costs the first loop more: set
 * once a rank has loaded the library, a Node 20 rank's first loop of
 * Bcasts ran at 5-8 us instead of 1-2; set as a rank's first statement,
 * after Node's bootstrap, at 2.4-3.3 us instead of 1.1-1.2 on Node 22 (the
 * Node internals that the bootstrap makes hot serve the loop too).
 *
 * After a deoptimization, Node 20's V8 compiles a function again once its
 * calls have run about three times `--invocation-count-for-osr` whole runs
 * of it: with 50, a dispatcher deoptimized by the first 64 KiB Allreduce
 * of a loop was compiled again at call 124, a stall of both ranks in the
 * loop's timed part. With 20, the first loops (medians of 8 alternating
 * runs at 2 ranks) of 64 KiB Bcasts took 3.4 us a call instead of 10.0,
 * of object gathers 1.4 instead of 2.2, the 64 KiB Allreduce's p99 49 us
 * instead of 95, the other rows the same; at 4 ranks (3 runs) the 64 KiB
 * Allreduce 63 us instead of 144, none slower beyond this VM's noise.
 * Node 22 and 24 showed no difference and keep 50. With 10 rather than 20
 * (and the per-call allocations gone, docs/ARCHITECTURE.md), that p99 fell
 * from 37-53 us to 14-42 (three batches of 10-12 alternating runs at 2 ranks;
 * its p50 8.2 us), the other rows the same or within 15% either way; at 4
 * ranks (5 runs) no row slower beyond this VM's noise, Reduce, Scan, Gather
 * and the object bcast 15-25% faster. `--ticks-before-optimization=1`
 * took that p99 to 18-20 us but the small calls' p50s up by 10-50% (the
 * object gather's 0.92 -> 1.41 us; 2 x 8 alternating runs).
 *
 * Feedback from the first call: V8 gives a function its feedback vector
 * (where the type feedback of its calls and property reads is kept) only
 * after it has run for a while, so what its first calls do is not recorded.
 * A path that runs once per new shape of a call (the size, datatype and op
 * a collective caches for the calls that repeat them) is then blank in the
 * optimized code of its caller, and the first call of each new shape
 * deoptimizes it and the user's loop that inlined it, and both are compiled
 * again. With feedback from the first call, in five alternating runs of the
 * bench's collectives at 2 ranks on Node 20, the first loop of 64 KiB Bcasts
 * (after the 1 KiB ones) took 9.7-20 us a call instead of 21-34 (p99 16-65
 * us instead of 103-1,869), of 64-byte Allreduces (after the 8-byte ones)
 * 2.2-3.3 instead of 3.6-5.4; on Node 22 and 24 (two to three runs each)
 * the 1 MiB Allreduce's first loop lost its stall of 3.3-4.0 ms (p99 0.2-0.5
 * ms); the other rows stayed the same within this VM's noise (Node 22's
 * 64-byte Allreduce either way: 4.3-5.2 -> 2.3-2.4 us in two pairs of runs,
 * then 2.3-2.7 -> 2.3-9.2 in four). A 2-rank hello job
 * takes 0.88-0.93 s instead of 0.83-0.86 (Node 20).
 *
 * A young generation that stays small: V8 grows each semi-space from 1 to
 * 16 MiB as objects survive its scavenges, and every page it grows into is
 * fresh memory, whose first write is a page fault: 15-20 us on a
 * paravirtualised VM, where the host backs a guest page only when it is
 * first touched. A loop of small collectives allocates a few hundred bytes
 * per call, so while the young generation grows, one call in seven pays a
 * fault and its partner waits for it: at 2 ranks on 2 cores, a 22,000-call
 * loop of 8-byte Allreduces spent 35-51 ms in calls over 15 us, in phases
 * of thousands of calls (Node 20, 22 and 24). Capped at 2 MiB, it spends
 * 9-14 ms; the 200,000-message stress test at 4 ranks takes as long as
 * with V8's default (19-21 s against 19-23), where 1 MiB made it slower
 * (26 s). Its size is now fixed at 4 MiB from the start (the minimum as
 * the maximum, so that it never grows, and the pages settled at start-up,
 * `young_generation.ts`): each scavenge still stops the rank for 0.1-0.4 ms
 * in a job's first seconds while its partners wait, and a loop of small
 * calls allocating 200-400 bytes a call (the user's own `await` included)
 * met one every 5,000-10,000 calls with 2 MiB. With 4 MiB, half as many:
 * in 6 alternating runs at 2 ranks (Node 20), the first loops of 8-byte
 * Allreduces took 0.80 us a call instead of 1.20, Alltoalls 0.70 instead of
 * 0.85, Allgathers 0.74 instead of 0.96, the 64 KiB Allreduce's p99 14 us
 * instead of 43, the p50s the same; 8 MiB did as well at 2 and 4 ranks but
 * for its own lottery of rows, for twice the memory (each rank's resident
 * memory grows by the semi-spaces it touches: 4 MiB more at 4, 12 at 8).
 * Ping-pongs and the stress test (16-22 s either way) showed no difference.
 *
 * Loading without the optimizing compilers: the early thresholds also make
 * hot, in every rank, the code that loads it (Node's module loader
 * resolves and links the library's and the script's modules; 60 TurboFan
 * compiles to import the library alone), and with compiles on the rank's
 * thread that doubled the CPU time of a job's start (`examples/hello.ts`
 * at 2 ranks: 1.49 s with the defaults, 0.72 without, Node 20; 1.15
 * against 0.53 on Node 24) and of every `Spawn`. So a rank loads with
 * TurboFan and Sparkplug off ({@link rankLoadFlags}), and they come on
 * before the user's script runs: the job's start took 0.8-0.9 s (Node 20)
 * and 0.7 (Node 24), a Spawn round 0.22 s instead of 0.43
 * (`test/programs/spawn_loop.ts`), and the first loops of the 8-byte
 * collectives, the object calls and the ping-pongs ran as fast as before
 * (medians of 5 runs, separate jobs). Flags are the process's: on shm the
 * launcher turns the compilers off while any rank of the job loads
 * (`job.ts`), which also holds up new compiles in ranks already running,
 * for the 0.1-0.3 s a spawned rank takes to load; under mpiexec each rank
 * does it for itself (`bin/mpi4ts.js`, `script.ts`).
 *
 * The user's choice wins: `MPI4TS_V8_DEFAULTS=0` turns the defaults off, and
 * a flag the user gives (`--node-options`, `NODE_OPTIONS`, the launcher's own
 * `node` arguments), in either polarity, replaces mpi4ts's. No MPI-4.1
 * section: launcher support.
 *
 * A rank that `mpiexec` starts directly (`mpiexec -n 4 npx mpi4ts x.ts`)
 * has its isolate before mpi4ts runs: it runs again with the flags
 * (`rank_exec.ts`).
 *
 * Unfinished: on Node 20, and under MPICH's PMI-2, such a rank gets no
 * defaults (pass the flags to `node` there).
 *
 * @module
 */

/** The environment variable that turns the defaults off (`0`, `off`, `no`, `false`); any other value leaves them on. */
export const V8_DEFAULTS_ENV = 'MPI4TS_V8_DEFAULTS';

/**
 * The flags, by what they change; `since` is the first Node major that gets
 * the flag (whose V8 has it, or where it helps), `until` the last.
 */
const RANK_FLAGS: readonly { readonly flag: string; readonly since: number; readonly until?: number }[] = [
  // Optimizing and baseline compilers on the rank's thread.
  { flag: '--no-concurrent-recompilation', since: 0 },
  { flag: '--no-concurrent-sparkplug', since: 0 },
  { flag: '--no-maglev-build-code-on-background', since: 22 },
  { flag: '--no-maglev-deopt-data-on-background', since: 22 },
  // No mid tier on Node 24: hot functions go from Sparkplug straight to TurboFan, one compile each instead of two.
  { flag: '--no-maglev', since: 24 },
  // Scavenges (a young-generation GC every few milliseconds in a rank's loop) on the rank's thread.
  { flag: '--no-parallel-scavenge', since: 0 },
  // Early tier-up: hot functions optimized within a loop's first hundred or so calls.
  { flag: '--interrupt-budget=1024', since: 0, until: 20 },
  { flag: '--invocation-count-for-turbofan=25', since: 22 },
  { flag: '--invocation-count-for-maglev=10', since: 22, until: 22 },
  // Node 24's Maglev flags count where the user turns Maglev back on (`--maglev` replaces `--no-maglev`).
  { flag: '--invocation-count-for-maglev=20', since: 24 },
  // Also how soon a function is compiled again after a deoptimization (on Node 20, after about 3x this many runs).
  { flag: '--invocation-count-for-osr=10', since: 0, until: 20 },
  { flag: '--invocation-count-for-osr=50', since: 22 },
  { flag: '--minimum-invocations-after-ic-update=10', since: 0 },
  // Type feedback from a function's first call on: a path that runs once per new shape is not left blank in optimized code.
  { flag: '--no-lazy-feedback-allocation', since: 0 },
  // Less inlining: shorter compiles, for the many functions the early thresholds make hot.
  { flag: '--max-inlined-bytecode-size-cumulative=200', since: 0 },
  // A young generation of a fixed size, settled at start-up: it does not grow into fresh pages (a page fault each) in a loop.
  { flag: '--max-semi-space-size=4', since: 0 },
  { flag: '--min-semi-space-size=4', since: 0 },
];

/** The compilers a rank loads without (see "Loading without the optimizing compilers" above). */
const LOAD_FLAGS: readonly string[] = ['--no-turbofan', '--no-sparkplug'];

/** Flags of the user's that choose V8's compilers themselves: with any of them, mpi4ts leaves the compilers alone while ranks load. */
const COMPILER_FLAGS: ReadonlySet<string> = new Set(['turbofan', 'sparkplug', 'opt', 'maglev', 'jitless', 'always-turbofan', 'always-sparkplug']);

/**
 * The V8 flags a rank of a job loads with, each turned back by
 * {@link loadedFlag} before the user's script runs: the optimizing and
 * baseline compilers off, when the ranks get mpi4ts's defaults and the user
 * chose no compiler flag.
 *
 * @param userFlags every Node/V8 flag the user gave, as for {@link rankV8Flags}
 * @param env the environment ({@link V8_DEFAULTS_ENV})
 * @example
 * rankLoadFlags([], {}); // ['--no-turbofan', '--no-sparkplug']
 * rankLoadFlags(['--jitless'], {}); // []
 */
export function rankLoadFlags(userFlags: readonly string[], env: Readonly<Record<string, string | undefined>>): string[] {
  if (!rankDefaultsApply(env)) return [];
  if (userFlags.some((flag) => COMPILER_FLAGS.has(flagName(flag) ?? ''))) return [];
  return [...LOAD_FLAGS];
}

/**
 * A load flag of {@link rankLoadFlags} turned back: `--no-turbofan` becomes `--turbofan`.
 *
 * @example
 * loadedFlag('--no-sparkplug'); // '--sparkplug'
 */
export function loadedFlag(flag: string): string {
  return flag.replace(/^--no-/, '--');
}

/** A flag's name without its `--`, `no-` and value, with `_` read as `-`: `--no-concurrent_recompilation=1` is `concurrent-recompilation`. */
export function flagName(word: string): string | undefined {
  if (!word.startsWith('--')) return undefined;
  const name = word.slice(2).split('=')[0]!.replaceAll('_', '-');
  return name.startsWith('no-') ? name.slice(3) : name;
}

/**
 * Whether a job's ranks get mpi4ts's V8 defaults (the flags of
 * {@link rankV8Flags}, and a young generation settled at start-up, see
 * `young_generation.ts`): unless {@link V8_DEFAULTS_ENV} turns them off.
 *
 * @param env the environment ({@link V8_DEFAULTS_ENV})
 * @example
 * rankDefaultsApply({}); // true
 * rankDefaultsApply({ MPI4TS_V8_DEFAULTS: '0' }); // false
 */
export function rankDefaultsApply(env: Readonly<Record<string, string | undefined>>): boolean {
  return !/^(0|off|no|false)$/i.test(env[V8_DEFAULTS_ENV]?.trim() ?? '');
}

/**
 * The V8 flags mpi4ts sets for the ranks of a job: empty when
 * {@link V8_DEFAULTS_ENV} is `0`; without the
 * flags that `userFlags` set itself (in either polarity): a user's
 * `--concurrent-recompilation` replaces only mpi4ts's `--no-concurrent-recompilation`;
 * the rest stay.
 *
 * @param userFlags every Node/V8 flag the user gave: `--node-options`, `NODE_OPTIONS`, the launcher's `process.execArgv`
 * @param env the environment ({@link V8_DEFAULTS_ENV})
 * @param nodeMajor the Node major version the ranks run on
 * @example
 * rankV8Flags(['--concurrent-recompilation'], {}, 20); // all but --no-concurrent-recompilation
 */
export function rankV8Flags(userFlags: readonly string[], env: Readonly<Record<string, string | undefined>>,
  nodeMajor: number): string[] {
  if (!rankDefaultsApply(env)) return [];
  const taken = new Set(userFlags.map(flagName).filter((name) => name !== undefined));
  return RANK_FLAGS.filter(({ flag, since, until }) => nodeMajor >= since && nodeMajor <= (until ?? Infinity) &&
    !taken.has(flagName(flag)!)).map(({ flag }) => flag);
}

/** The words of `NODE_OPTIONS` (split at white space; Node's quoting is not needed for flags). */
export function nodeOptionsWords(env: Readonly<Record<string, string | undefined>>): string[] {
  return (env['NODE_OPTIONS'] ?? '').split(/\s+/).filter((word) => word !== '');
}

/** The running Node's major version. */
export function nodeMajor(): number {
  return Number(process.versions.node.split('.')[0]);
}
