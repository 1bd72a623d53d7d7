// Growing the universe on demand (issue 18): `spawn_grow.mjs first second`, started with a
// --universe-size smaller than the job will become. COMM_WORLD spawns `first` children that stay
// alive, merges with them, and everyone exchanges messages with everyone (blocks past the eager
// limit go by rendezvous through the sender's heap, so every rank needs the heaps of the new slots);
// then the merged group spawns `second` more, merges again, and all of them exchange again (past 30
// slots, sources signal through the mask words: slots 30 and 31 of a 32-rank job do). World
// rank 0 prints `grow ok <ranks> universe <UNIVERSE_SIZE>`. Plain JavaScript, so that the children
// start quickly.
import { MPI } from 'mpi4ts';

const [role, first, second] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const script = new URL(import.meta.url).pathname;
/** Doubles per block: 72 KB, past the 64 KiB eager limit. */
const BLOCK = 9000;

/** Every rank sends every other a block (large ones only when `large`), and a large one to its next rank. */
async function allTalk(comm, what, large) {
  const n = comm.size;
  const block = large ? BLOCK : 1;
  const send = new Float64Array(n * block);
  for (let r = 0; r < n; r++) send.fill(comm.rank * 1000 + r, r * block, (r + 1) * block);
  const recv = new Float64Array(n * block);
  await comm.Alltoall(send, recv);
  for (let r = 0; r < n; r++) {
    for (const at of [r * block, (r + 1) * block - 1]) {
      if (recv[at] !== r * 1000 + comm.rank) throw new Error(`${what}: rank ${comm.rank} got ${recv[at]} from ${r}`);
    }
  }
  const next = (comm.rank + 1) % n;
  const previous = (comm.rank + n - 1) % n;
  const got = new Float64Array(BLOCK);
  await comm.Sendrecv(new Float64Array(BLOCK).fill(comm.rank), next, 7, got, previous, 7);
  if (got[0] !== previous || got[BLOCK - 1] !== previous) throw new Error(`${what}: rank ${comm.rank} got ${got[0]}`);
  const small = await comm.allgather(comm.rank);
  if (small.join() !== Array.from({ length: n }, (_, r) => r).join()) throw new Error(`${what}: allgather ${small.join()}`);
  const universe = MPI.COMM_WORLD.Get_attr(MPI.UNIVERSE_SIZE);
  if (!(universe >= n)) throw new Error(`${what}: UNIVERSE_SIZE ${universe} with ${n} ranks alive`);
  return universe;
}

if (role === undefined || role === 'world') {
  const interA = await MPI.COMM_WORLD.Spawn(script, ['a'], Number(process.argv[3]));
  const groupA = await interA.Merge(false);
  await allTalk(groupA, 'parents and first children', true);
  const interB = await groupA.Spawn(script, ['b'], Number(process.argv[4]));
  const groupB = await interB.Merge(false);
  const universe = await allTalk(groupB, 'everyone', groupB.size < 16);
  if (MPI.COMM_WORLD.rank === 0) console.log(`grow ok ${groupB.size} universe ${universe}`);
  await interB.Disconnect();
  await interA.Disconnect();
} else if (role === 'a') {
  const parent = MPI.Comm.Get_parent();
  const groupA = await parent.Merge(true);
  await allTalk(groupA, 'first children and parents', true);
  const interB = await groupA.Spawn('ignored: only the root counts', [], 0);
  const groupB = await interB.Merge(false);
  await allTalk(groupB, 'everyone', groupB.size < 16);
  await interB.Disconnect();
  await parent.Disconnect();
} else {
  const parent = MPI.Comm.Get_parent();
  const groupB = await parent.Merge(true);
  await allTalk(groupB, 'second children and everyone', groupB.size < 16);
  await parent.Disconnect();
}
