// A rank whose script ends right after its sends resolved: what it sent must
// still arrive, although most of it waits in the sender's queue or pipe, and
// the receiver takes it only later. Modes (first argument):
//   objects - rank 0 sends 3000 objects of 1 KB with `await comm.send` and ends;
//             rank 1 sleeps 2 s, then receives them all.
//   timer   - the same, but rank 0 then awaits a 3 s timer instead of ending.
//   large   - rank 0 starts a 3 MB send from an ordinary buffer (pipelined)
//             and one from `MPI.alloc`, never waits for them, and ends; rank 1
//             sleeps 1 s, then receives both.
//   never   - rank 0 sends as in `objects`; rank 1 ends without receiving:
//             a deadlock the launcher reports.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { MPI } from 'mpi4ts';

const comm = MPI.COMM_WORLD;
const mode = process.argv[2] ?? 'objects';
const COUNT = 3000;
const LARGE = 3_000_000;

function object(i: number): { i: number; text: string } {
  return { i, text: String.fromCharCode(97 + (i % 26)).repeat(1000) };
}

function pattern(i: number, salt: number): number {
  return (i * 7 + salt) & 0xff;
}

if (mode === 'large') {
  if (comm.rank === 0) {
    const plain = Uint8Array.from({ length: LARGE }, (_, i) => pattern(i, 1));
    const inHeap = MPI.alloc(Uint8Array, LARGE);
    for (let i = 0; i < LARGE; i++) inHeap[i] = pattern(i, 2);
    comm.Isend(plain, 1, 1);
    comm.Isend(inHeap, 1, 2);
    console.log('rank 0 done');
  } else {
    await sleep(1000);
    for (const tag of [1, 2]) {
      const into = new Uint8Array(LARGE);
      await comm.Recv(into, 0, tag);
      for (let i = 0; i < LARGE; i++) if (into[i] !== pattern(i, tag)) assert.fail(`byte ${i} of tag ${tag}: ${into[i]}`);
    }
    console.log('rank 1 received 2 large messages');
  }
} else if (comm.rank === 0) {
  for (let i = 0; i < COUNT; i++) await comm.send(object(i), 1, 5);
  console.log('rank 0 done');
  if (mode === 'timer') await sleep(3000);
} else if (mode !== 'never') {
  await sleep(2000);
  for (let i = 0; i < COUNT; i++) {
    const got = await comm.recv(0, 5) as { i: number; text: string };
    assert.deepEqual(got, object(i));
  }
  console.log(`rank 1 received ${COUNT}`);
}
