// A receive wait pending on one communicator must not starve a large Bcast on another (shm once hung here).
import { MPI } from 'mpi4ts';

const world = MPI.COMM_WORLD;
const rank = world.Get_rank();
const size = world.Get_size();
const control = await world.Dup();
const comm = await world.Dup();
const bytes = Number(process.argv[2] ?? 1 << 20);

// Every rank waits for one message from every peer on `control` while the Bcasts run on `comm`.
const peers = [...Array(size).keys()].filter((p) => p !== rank);
const receives = Promise.all(peers.map((p) => control.irecv(p, 7).wait() as Promise<number>));

for (const n of [0, 1, 1000, 70_000, 300_000, bytes]) {
const data = new Uint8Array(n);
for (let root = 0; root < size; root++) {
  if (rank === root) data.fill(root + 1);
  else data.fill(0);
  await comm.Bcast(data, root);
  for (let i = 0; i < n; i += 4099) {
    if (data[i] !== root + 1) throw new Error(`rank ${rank}: Bcast from ${root}: byte ${i} is ${data[i]}`);
  }
}
}
for (let p = 0; p < size; p++) if (p !== rank) control.send(rank * 100 + p, p, 7);
const received = await receives;
const expected = [...Array(size).keys()].filter((p) => p !== rank).map((p) => p * 100 + rank);
if (received.join() !== expected.join()) throw new Error(`rank ${rank}: got ${received.join()}, expected ${expected.join()}`);
await world.Barrier();
if (rank === 0) console.log(`bcast_pending_recv: ${size} ranks, ${bytes} bytes: ok`);
control.Free();
comm.Free();
