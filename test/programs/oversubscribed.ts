// Many ranks on few cores: a ring exchange and a barrier-like all-to-all,
// repeated, must finish without stalling (waits block instead of spinning).
import assert from 'node:assert/strict';
import { MPI } from 'mpi4ts';

const comm = MPI.COMM_WORLD;
const { rank, size } = comm;
const rounds = Number(process.argv[2] ?? 200);
let token = 0;
for (let round = 0; round < rounds; round++) {
  // ring: pass a counter all the way round
  if (rank === 0) {
    await comm.send(token + 1, 1 % size, round);
    token = await comm.recv(size - 1, round) as number;
  } else {
    const got = await comm.recv(rank - 1, round) as number;
    await comm.send(got + 1, (rank + 1) % size, round);
  }
  // barrier-like exchange: everybody tells everybody, then waits for all
  const sends = [];
  for (let peer = 0; peer < size; peer++) if (peer !== rank) sends.push(comm.Isend(Int32Array.of(round), peer, 1000 + round));
  for (let peer = 0; peer < size; peer++) {
    if (peer === rank) continue;
    const got = new Int32Array(1);
    await comm.Recv(got, peer, 1000 + round);
    assert.equal(got[0], round);
  }
  await MPI.Request.Waitall(sends);
}
if (rank === 0) assert.equal(token, rounds * size);
await comm.Barrier();
console.log(`oversubscribed ok ${rank}`);
