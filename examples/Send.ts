// Buffers with an explicit count and datatype, and what a Status tells the
// receiver. Every rank rolls a die; the highest roller sends the first 30 of
// its 50 doubles to every other rank with tag 100 + dest. The receivers post
// a 100-double buffer for any source and any tag, then read the Status.
// Run: npx mpi4ts -n 4 examples/Send.ts [seed]
import { MPI } from 'mpi4ts';
import { formatArray } from './lib/format.js';
import { Random } from './lib/random.js';

const comm = MPI.COMM_WORLD;
const { rank, size } = comm;
const seed = Number(process.argv[2] ?? 1);

const dice = await comm.allgather(Random.stream(seed, rank).randint(1, 1000));
const sender = dice.indexOf(Math.max(...dice)); // every rank computes the same sender

if (rank === sender) {
  console.log(`rank ${rank}: dice ${JSON.stringify(dice)}, I send`);
  const m = Float64Array.from({ length: 50 }, (_, i) => i);
  for (let dest = 0; dest < size; dest++) {
    if (dest !== rank) await comm.Send([m, 30, MPI.DOUBLE], dest, 100 + dest); // 30 elements, not all 50
  }
} else {
  const x = new Float64Array(100); // room for more than arrives: only the message's length is filled
  const info = new MPI.Status();
  await comm.Recv([x, MPI.DOUBLE], MPI.ANY_SOURCE, MPI.ANY_TAG, info);
  console.log(`rank ${rank}: Bytes ${info.Get_count()}, Elements ${info.Get_elements(MPI.DOUBLE)}, ` +
    `Source ${info.Get_source()}, Tag ${info.Get_tag()}, x ${formatArray(x)}`);
}
