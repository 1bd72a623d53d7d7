import { MPI } from 'mpi4ts';

const comm = MPI.COMM_WORLD;
const win = await MPI.Win.Create_dynamic(null, comm);
const slots = MPI.alloc(Int32Array, comm.size).fill(0);
win.Attach(slots);
const addresses = await comm.allgather(MPI.Get_address(slots)); // every rank's region
await win.Lock_all();
const right = (comm.rank + 1) % comm.size;
win.Put(Int32Array.of(comm.rank), right, [addresses[right]! + 4 * comm.rank, 1, MPI.INT]);
await win.Flush(right);
await win.Unlock_all();
await comm.Barrier();
const left = (comm.rank + comm.size - 1) % comm.size;
console.log(`rank ${comm.rank}: slot of rank ${left} holds ${slots[left]}`);
win.Detach(slots);
await win.Free();
