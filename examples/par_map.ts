// A parallel map: each rank takes a balanced chunk of 0..19, applies sqrt,
// and the chunks are put back together three ways: gather (a list of lists,
// flattened on the root), reduce with the default op (SUM, which concatenates
// arrays like Python's list +), and allreduce (every rank gets it).
// Run: npx mpi4ts -n 4 examples/par_map.ts
import { MPI } from 'mpi4ts';

/** The chunk of [0, n) for `rank`: sizes differ by at most one, the first ranks get the extra. */
function myslice(n: number, size: number, rank: number): [number, number] {
  const base = Math.floor(n / size);
  const extra = n % size;
  const start = rank * base + Math.min(rank, extra);
  return [start, start + base + (rank < extra ? 1 : 0)];
}

const comm = MPI.COMM_WORLD;
const { rank, size } = comm;
const x = Array.from({ length: 20 }, (_, i) => i);

const rChunk = x.slice(...myslice(x.length, size, rank)).map(Math.sqrt);

const chunks = await comm.gather(rChunk, 0);
if (chunks !== undefined) console.log(`gather: ${JSON.stringify(chunks.flat())}`);

const reduced = await comm.reduce(rChunk); // default op MPI.SUM, root 0
if (rank === 0) console.log(`reduce: ${JSON.stringify(reduced)}`);

const everywhere = await comm.allreduce(rChunk);
console.log(`allreduce on rank ${rank}: ${JSON.stringify(everywhere)}`);
