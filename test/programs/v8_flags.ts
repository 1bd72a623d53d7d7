// For the V8 flags of the ranks (src/launcher/v8flags.ts): prints whether V8 compiles optimized
// code on a background thread in this rank, whether a function called 100 times runs TurboFan
// code (early tier-up), and how large the young generation grew under allocations that survive
// scavenges (V8's default lets it reach 32-64 MiB), and whether an object the script made before it
// touched MPI is still young once MPI has started (the ranks settle their young generation then).
// Needs --node-options --allow-natives-syntax.
import { getHeapSpaceStatistics } from 'node:v8';
import { MPI } from 'mpi4ts';

const concurrent = new Function('return %IsConcurrentRecompilationSupported()') as () => boolean;
const status = new Function('f', 'return %GetOptimizationStatus(f)') as (f: unknown) => number;
const inYoungGeneration = new Function('o', 'return %InYoungGeneration(o)') as (o: unknown) => boolean;
const beforeMpi = { made: 'by the script before it touched MPI' };
/** The bit of %GetOptimizationStatus for "runs TurboFan code" (V8's OptimizationStatus::kTurboFanned). */
const TURBOFANNED = 1 << 6;

/** Long enough in bytecode that V8 does not optimize it early for being small. */
function sum(values: readonly number[]): number {
  let total = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    if (value % 3 === 0) total += value * 2;
    else if (value % 3 === 1) total -= value / 2;
    else total += Math.sqrt(value) + Math.abs(value - 4) + Math.max(value, 5) + Math.min(value, 2);
  }
  return total;
}

const values = [1, 2, 3, 4, 5, 6, 7, 8];
let total = 0;
for (let call = 0; call < 100; call++) total += sum(values);
const rank = MPI.COMM_WORLD.rank;
console.log(`rank ${rank}: the script's object young once MPI started ${inYoungGeneration(beforeMpi)}`);
console.log(`rank ${rank}: concurrent recompilation ${concurrent()}`);
console.log(`rank ${rank}: TurboFan after 100 calls ${(status(sum) & TURBOFANNED) !== 0} (sum ${total})`);

// Objects that live for 20,000 allocations survive scavenges, which is what makes V8 grow the young generation.
const recent: { readonly n: number }[] = new Array(20_000);
for (let n = 0; n < 2_000_000; n++) recent[n % recent.length] = { n };
const young = getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')!;
console.log(`rank ${rank}: young generation MiB ${young.space_size / 2 ** 20} (last ${recent.at(-1)!.n})`);
