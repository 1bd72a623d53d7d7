// Neighbourhood collectives: the halo exchange of a periodic 1-D grid in one
// call, a message from the previous rank over a distributed graph, and a
// persistent Allreduce started like a request.
import { MPI } from 'mpi4ts';

const comm = MPI.COMM_WORLD;
const ring = (await comm.Create_cart([comm.size], [true]))!;
// Block k goes to neighbour k (left, then right); neighbour k's block for us lands in slot k.
const edges = Float64Array.of(10 * comm.rank, 10 * comm.rank + 9);
const halo = new Float64Array(2);
await ring.Neighbor_alltoall(edges, halo);                   // [left's last, right's first]

const next = (comm.rank + 1) % comm.size;
const prev = (comm.rank + comm.size - 1) % comm.size;
const graph = await comm.Create_dist_graph_adjacent([prev], [next]);  // receive from prev, send to next
const [fromPrev] = await graph.neighbor_allgather(`hello from ${comm.rank}`);

const total = new Float64Array(1);
const sum = comm.Allreduce_init(halo.subarray(0, 1), total, MPI.SUM);  // bound once
sum.Start();                                                  // ... started as often as needed
await sum.Wait();
console.log(`rank ${comm.rank}: halo [${halo.join(', ')}], ${String(fromPrev)}, sum ${total[0]}`);
