// For the V8 flags of the ranks (src/launcher/v8flags.ts): the compilers are off while a spawned
// rank loads, and on again once it has: after a Spawn, rank 0 has the child's answer (so the child
// has loaded), and prints whether a function it then calls 100 times runs TurboFan code. (The other
// parents pass PROC_NULL and may go on while the child still loads.) Needs --node-options
// --allow-natives-syntax.
import { MPI } from 'mpi4ts';

const status = new Function('f', 'return %GetOptimizationStatus(f)') as (f: unknown) => number;
/** The bit of %GetOptimizationStatus for "runs TurboFan code" (V8's OptimizationStatus::kTurboFanned). */
const TURBOFANNED = 1 << 6;

const comm = MPI.COMM_WORLD;
const inter = await comm.Spawn('test/programs/spawn_loop_child.mjs', [], 1);
if (comm.rank === 0) {
  await inter.Bcast(Int32Array.of(41), MPI.ROOT);
  console.log(`child answered ${JSON.stringify(await inter.gather(undefined, MPI.ROOT))}`);
} else {
  await inter.Bcast(null, MPI.PROC_NULL);
  await inter.gather(undefined, MPI.PROC_NULL);
}
await inter.Disconnect();

/** Made after the Spawn: its first calls come once the child has loaded. */
function product(values: readonly number[]): number {
  let total = 1;
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    if (value % 2 === 0) total *= value / 2;
    else total += Math.sqrt(value) + Math.abs(value - 3) + Math.max(value, 4);
  }
  return total;
}

let total = 0;
for (let call = 0; call < 100; call++) total += product([1, 2, 3, 4, 5, 6, 7, 8]);
if (comm.rank === 0) console.log(`rank ${comm.rank}: TurboFan after the Spawn and 100 calls ${(status(product) & TURBOFANNED) !== 0} (${total})`);
