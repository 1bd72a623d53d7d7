// A rank whose script ends right after its sends resolved: what it sent must
// still arrive, although most of it waits in the sender's queue or pipe, and
// the receiver takes it only later. Modes (first argument):
//   objects - rank 0 sends 3000 objects of 1 KB with `await comm.send` and ends;
//             rank 1 sleeps 2 s, then receives them all.
//   timer   - the same, but rank 0 then awaits a 3 s timer instead of ending.
//   large   - rank 0 starts a 3 MB send from an ordinary buffer (pipelined)
//             and one from `MPI.alloc`, never waits for them, and ends; rank 1
//             sleeps 1 s, then receives both.
//   many    - rank 0 starts 9000 sends of one `MPI.alloc` buffer above the eager
//             limit (read in place: each one completes when its receiver
//             answers), never waits for them, and ends; rank 1 sleeps 300 ms,
//             then receives them all. Its answers outnumber what rank 0's ring
//             holds, so rank 0 must stay and read them.
//   never   - rank 0 sends as in `objects`; rank 1 ends without receiving:
//             a deadlock the launcher reports.
//   never-large - rank 0 starts one send as in `many` and ends; rank 1 ends
//             without receiving: the same report.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { MPI } from 'mpi4ts';

const comm = MPI.COMM_WORLD;
const mode = process.argv[2] ?? 'objects';
const COUNT = 3000;
const LARGE = 3_000_000;
const MANY = 9000;
const ABOVE_EAGER = 64 * 1024 + 8;

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
} else if (mode === 'many' || mode === 'never-large') {
  if (comm.rank === 0) {
    const data = MPI.alloc(Uint8Array, ABOVE_EAGER);
    for (let i = 0; i < ABOVE_EAGER; i++) data[i] = pattern(i, 3);
    for (let i = 0; i < (mode === 'many' ? MANY : 1); i++) comm.Isend(data, 1, 3);
    console.log('rank 0 done');
  } else if (mode === 'many') {
    await sleep(300);
    const into = new Uint8Array(ABOVE_EAGER);
    for (let m = 0; m < MANY; m++) {
      into.fill(0);
      await comm.Recv(into, 0, 3);
      if (into[0] !== pattern(0, 3) || into[ABOVE_EAGER - 1] !== pattern(ABOVE_EAGER - 1, 3)) assert.fail(`message ${m}`);
    }
    console.log(`rank 1 received ${MANY}`);
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
