// Spawn + Disconnect in a loop, as task farms and pools do for hours: `spawn_loop.ts rounds [children]`.
// Each round spawns `children` ranks of spawn_loop_child.mjs over COMM_WORLD, broadcasts a number
// (the other parents pass a null buffer with PROC_NULL), gathers the answers, and disconnects. Prints
// `loop ok <rounds>` and, from rank 0, the heap and resident memory after the first tenth of the
// rounds and at the end (after a garbage collection), in MiB: `memory <heap> <rss> -> <heap> <rss>`.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MPI } from 'mpi4ts';

const rounds = Number(process.argv[2] ?? 1000);
const children = Number(process.argv[3] ?? 1);
const comm = MPI.COMM_WORLD;
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const MiB = 1024 * 1024;

function memory(): [number, number] {
  gc();
  const { heapUsed, rss } = process.memoryUsage();
  return [heapUsed / MiB, rss / MiB];
}

let before: [number, number] = [0, 0];
const warmup = Math.max(1, Math.floor(rounds / 10));
for (let round = 0; round < rounds; round++) {
  if (round === warmup) before = memory();
  const inter = await comm.Spawn('test/programs/spawn_loop_child.mjs', [], children);
  if (comm.rank === 0) {
    await inter.Bcast(Int32Array.of(round), MPI.ROOT);
    const answers = await inter.gather(undefined, MPI.ROOT);
    const expected = Array.from({ length: children }, (_, r) => round + r);
    if (JSON.stringify(answers) !== JSON.stringify(expected)) {
      throw new Error(`round ${round}: got ${JSON.stringify(answers)}, expected ${JSON.stringify(expected)}`);
    }
  } else {
    await inter.Bcast(null, MPI.PROC_NULL);
    await inter.gather(undefined, MPI.PROC_NULL);
  }
  await inter.Disconnect();
  if (process.env.SPAWN_LOOP_PROGRESS === '1' && comm.rank === 0 && round % 20 === 0) {
    console.error(`round ${round} at ${(performance.now() / 1000).toFixed(1)} s`);
  }
}
const after = memory();
console.log(`loop ok ${rounds} on rank ${comm.rank}`);
if (comm.rank === 0) console.log(`memory ${before.map((v) => v.toFixed(1)).join(' ')} -> ${after.map((v) => v.toFixed(1)).join(' ')}`);
