// A shared-memory window: every rank allocates a segment of one array with
// Win.Allocate_shared and fills it with plain stores; after a barrier each
// rank reads its neighbours' segments directly (Win.Shared_query), with no
// message at all, and computes a 3-point average across the segment borders.
// Run: npx mpi4ts -n 4 examples/shared_window.ts
import { MPI } from 'mpi4ts';

// The ranks that can share memory (all of them on shm, one node's under mpiexec).
const node = await MPI.COMM_WORLD.Split_type(MPI.COMM_TYPE_SHARED);
if (node === null) throw new Error('every rank takes part in Split_type(COMM_TYPE_SHARED)');
const { rank, size } = node;
const n = 5;

const win = await MPI.Win.Allocate_shared(n * 8, 8, null, node);
const segment = (r: number): Float64Array => {
  const [memory] = win.Shared_query(r);
  return new Float64Array(memory.buffer, memory.byteOffset, n);
};

await win.Lock_all();
const mine = segment(rank);
for (let i = 0; i < n; i++) mine[i] = rank * n + i;   // plain stores into shared memory
win.Sync();
await node.Barrier();
win.Sync();

// Neighbours' values at the borders, loaded directly from their segments.
const left = rank > 0 ? segment(rank - 1)[n - 1]! : mine[0]!;
const right = rank < size - 1 ? segment(rank + 1)[0]! : mine[n - 1]!;
const smooth = Array.from(mine, (x, i) => ((i > 0 ? mine[i - 1]! : left) + x + (i < n - 1 ? mine[i + 1]! : right)) / 3);
await win.Unlock_all();

console.log(`rank ${rank}: [${smooth.map((x) => x.toFixed(2)).join(', ')}]`);
await node.Barrier();
await win.Free();
