// Split_type(COMM_TYPE_SHARED) against what Open MPI's launcher tells each
// rank about its node (OMPI_COMM_WORLD_LOCAL_SIZE / _LOCAL_RANK): the node
// communicator has exactly the ranks mpiexec placed on this node, ordered by
// the key (here the reverse of the world rank). Prints "split_type ok <rank>
// <host> <node size>".
import { MPI } from 'mpi4ts';

const comm = MPI.COMM_WORLD;
const localSize = Number(process.env.OMPI_COMM_WORLD_LOCAL_SIZE);
const localRank = Number(process.env.OMPI_COMM_WORLD_LOCAL_RANK);
if (!Number.isInteger(localSize) || !Number.isInteger(localRank)) throw new Error('run this under Open MPI\'s mpiexec');

const node = await MPI.COMM_WORLD.Split_type(MPI.COMM_TYPE_SHARED, comm.size - comm.rank);
if (node === null) throw new Error('no node communicator');
if (node.size !== localSize) throw new Error(`rank ${comm.rank}: node of ${node.size} ranks, Open MPI says ${localSize}`);
if (node.rank !== localSize - 1 - localRank) {
  throw new Error(`rank ${comm.rank}: node rank ${node.rank}, expected ${localSize - 1 - localRank} (local rank ${localRank})`);
}
// The node's members are the ranks that share this rank's Open MPI node, in reverse order.
const members = await node.allgather([comm.rank, localRank]);
const sorted = [...members].sort((a, b) => b[0]! - a[0]!);
if (JSON.stringify(members) !== JSON.stringify(sorted)) throw new Error(`rank ${comm.rank}: members ${JSON.stringify(members)}`);
// It works as a communicator.
const sum = await node.allreduce(comm.rank, MPI.SUM);
const expected = members.reduce((s, [r]) => s + r!, 0);
if (sum !== expected) throw new Error(`rank ${comm.rank}: sum ${sum}, expected ${expected}`);
if (await comm.Split_type(MPI.UNDEFINED) !== null) throw new Error('UNDEFINED gave a communicator');
console.log(`split_type ok ${comm.rank} ${MPI.Get_processor_name()} ${node.size}`);
