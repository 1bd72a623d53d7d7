// For test/shm.test.ts: keeps 200,000 small arrays alive (their scavenges survive, which is what
// makes V8 grow a new space), then prints this rank's new space (capacity and memory it holds).
import { getHeapSpaceStatistics } from 'node:v8';
import { MPI } from 'mpi4ts';

const keep: number[][] = [];
for (let i = 0; i < 200_000; i++) keep.push([i, i + 1]);
const space = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
if (space === undefined) throw new Error('no new_space in v8.getHeapSpaceStatistics()');
console.log(`rank ${MPI.COMM_WORLD.rank}: kept ${keep.length} new_space ${space.space_size} physical ${space.physical_space_size}`);
