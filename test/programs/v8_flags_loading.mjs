// For the V8 flags of the ranks (src/launcher/v8flags.ts), preloaded into a rank with
// `--node-options "--allow-natives-syntax --import <this file>"`: runs while the rank loads, before
// the library and the script, and prints whether a function called 100 times runs TurboFan code
// there (with the defaults: no, the compilers are off while a rank loads).
const status = new Function('f', 'return %GetOptimizationStatus(f)');
/** The bit of %GetOptimizationStatus for "runs TurboFan code" (V8's OptimizationStatus::kTurboFanned). */
const TURBOFANNED = 1 << 6;

function sum(values) {
  let total = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (value % 3 === 0) total += value * 2;
    else if (value % 3 === 1) total -= value / 2;
    else total += Math.sqrt(value) + Math.abs(value - 4) + Math.max(value, 5) + Math.min(value, 2);
  }
  return total;
}

let total = 0;
for (let call = 0; call < 100; call++) total += sum([1, 2, 3, 4, 5, 6, 7, 8]);
console.log(`loading: TurboFan after 100 calls ${(status(sum) & TURBOFANNED) !== 0} (sum ${total})`);
