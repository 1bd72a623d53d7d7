// Ordering and loss under load: many messages of random sizes (log-uniform,
// 0 B to 1 MiB) and random tags between every pair of ranks, received by
// wildcard and by specific receives. Every message must arrive once, intact,
// and in per-pair order. Arguments: total messages (default 1,000,000), seed.
import assert from 'node:assert/strict';
import { MPI } from 'mpi4ts';

const comm = MPI.COMM_WORLD;
const { rank, size } = comm;
const total = Number(process.argv[2] ?? 1_000_000);
const seed = Number(process.argv[3] ?? 12345);
const PER_ROUND = 32;
const MAX_BYTES = 1 << 20;
const HEADER = 16;
const TAGS = 8;

/** xorshift32: every rank draws the same schedule from the same seed. */
let state = seed | 1;
function random(): number {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return (state >>> 0) / 4294967296;
}

interface Planned {
  source: number;
  dest: number;
  tag: number;
  bytes: number;
  /** Position of this message among those from `source` to `dest`. */
  seq: number;
}

const rounds = Math.ceil(total / (PER_ROUND * size));
const nextSeq = new Int32Array(size * size);
function planRound(): Planned[] {
  const plan: Planned[] = [];
  for (let source = 0; source < size; source++) {
    for (let k = 0; k < PER_ROUND; k++) {
      const dest = Math.floor(random() * size);
      const bytes = Math.max(HEADER, Math.floor(2 ** (random() * 20)) - 1);
      const tag = Math.floor(random() * TAGS);
      plan.push({ source, dest, tag, bytes, seq: nextSeq[source * size + dest]++ });
    }
  }
  return plan;
}

function fillByte(source: number, seq: number): number {
  return (source * 31 + seq * 7) & 0xff;
}

const sendBuffers = Array.from({ length: PER_ROUND }, (_, i) =>
  i % 2 === 0 ? MPI.alloc(Uint8Array, MAX_BYTES) : new Uint8Array(MAX_BYTES));
let receiveBuffers: Uint8Array[] = [];

const received = new Int32Array(size);
const lastSeq = new Int32Array(size).fill(-1);
let checkedBytes = 0;

for (let round = 0; round < rounds; round++) {
  const plan = planRound();
  const mine = plan.filter((m) => m.dest === rank);
  // Rotate the kind of receive: (ANY_SOURCE, ANY_TAG), (source, ANY_TAG), (source, tag).
  const mode = round % 3;
  while (receiveBuffers.length < mine.length) receiveBuffers.push(new Uint8Array(MAX_BYTES));
  const statuses = mine.map(() => new MPI.Status());
  const receives = mine.map((m, i) => comm.Irecv(receiveBuffers[i]!,
    mode === 0 ? MPI.ANY_SOURCE : m.source, mode === 2 ? m.tag : MPI.ANY_TAG));
  const sends = plan.filter((m) => m.source === rank).map((m, i) => {
    const buf = sendBuffers[i]!;
    new Int32Array(buf.buffer, buf.byteOffset, 4).set([m.source, m.seq, m.bytes, m.tag]);
    buf.fill(fillByte(m.source, m.seq), HEADER, m.bytes);
    return comm.Isend([buf, m.bytes, MPI.BYTE], m.dest, m.tag);
  });
  await MPI.Request.Waitall(receives, statuses);
  await MPI.Request.Waitall(sends);
  mine.forEach((expected, i) => {
    const status = statuses[i]!;
    const buf = receiveBuffers[i]!;
    const [source, seq, bytes, tag] = new Int32Array(buf.buffer, buf.byteOffset, 4);
    assert.equal(status.Get_source(), source, 'status source matches the message');
    assert.equal(status.Get_tag(), tag, 'status tag matches the message');
    assert.equal(status.Get_count(MPI.BYTE), bytes, 'status count matches the message');
    if (mode === 0) {
      // wildcard receives take the messages of each source in sending order
      assert.equal(seq, lastSeq[source!]! + 1, `message ${seq} from ${source} out of order or lost`);
    } else {
      // receives that name the source (and tag) are posted in sending order, so each gets exactly its message
      assert.deepEqual({ source, seq, bytes, tag }, { source: expected.source, seq: expected.seq, bytes: expected.bytes,
        tag: expected.tag });
    }
    lastSeq[source!] = Math.max(lastSeq[source!]!, seq!);
    received[source!]!++;
    const fill = fillByte(source!, seq!);
    for (const at of [HEADER, bytes! - 1, (bytes! >> 1), HEADER + ((bytes! - HEADER) >> 2)]) {
      if (at >= HEADER && at < bytes!) assert.equal(buf[at], fill, `byte ${at} of message ${seq} from ${source}`);
    }
    checkedBytes += bytes!;
  });
  // Wildcard receives of the next round must not take this round's messages.
  await comm.Barrier();
}
// every planned message arrived exactly once
for (let s = 0; s < size; s++) assert.equal(received[s], nextSeq[s * size + rank], `messages from ${s}`);
const mineTotal = Array.from(received).reduce((a, b) => a + b, 0);
if (rank === 0) {
  let all = mineTotal;
  for (let s = 1; s < size; s++) all += await comm.recv(s, 1) as number;
  console.log(`stress ok messages=${all} rounds=${rounds} bytes_checked_rank0=${checkedBytes}`);
} else {
  await comm.send(mineTotal, 0, 1);
}
