// For the V8 flags of the ranks (src/launcher/v8flags.ts): prints whether V8 compiles optimized
// code on a background thread in this rank, and whether a function called 100 times runs
// TurboFan code (early tier-up). Needs --node-options --allow-natives-syntax.
import { MPI } from 'mpi4ts';

const concurrent = new Function('return %IsConcurrentRecompilationSupported()') as () => boolean;
const status = new Function('f', 'return %GetOptimizationStatus(f)') as (f: unknown) => number;
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
console.log(`rank ${rank}: concurrent recompilation ${concurrent()}`);
console.log(`rank ${rank}: TurboFan after 100 calls ${(status(sum) & TURBOFANNED) !== 0} (sum ${total})`);
