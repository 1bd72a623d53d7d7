// Loss, duplication, reordering and corruption under load, with senders that
// finish early. 4 ranks (or more); arguments: total messages (default
// 200,000), seed.
//
// Every rank draws the same plan from the seed: message m goes from rank
// m % size to a random receiving rank, with a size drawn log-uniformly from
// 0 B to 1 MiB, a random tag, and one of six classes, each on its own
// duplicate of COMM_WORLD: typed arrays (`Isend`/`Irecv`) or objects
// (`isend`/`irecv`), received by (ANY_SOURCE, ANY_TAG), (source, ANY_TAG) or
// (source, tag). Within a communicator every receive has the same form, so
// every receive has a message whatever the arrival order, and what each one
// must get follows from MPI's non-overtaking rule: the k-th (source, tag)
// receive gets the k-th such message, the k-th (source, ANY_TAG) receive the
// k-th message of that source, a wildcard receive the next message of the
// source it reports. Each message carries its sequence number and source
// and a content drawn from the seed, which the receiver compares byte for
// byte with what it regenerates.
//
// Roles: ranks 0 and 1 send and receive at once, but rank 0 sleeps a second
// before it receives anything, and both sleep a second before the last
// {@link SLOW_TAIL} messages of each class. The other ranks only send, and end
// as soon as their last send resolved; their last {@link EAGER_TAIL} messages
// are below the eager limit (log-uniform up to 60,000 B), so those sends
// resolve at once, and most of them still wait in the sender's queue while
// the receivers sleep and the sender's script is over. Sends and receives go through
// windows of 16 (one per class for receives), completed oldest first; the
// plan's order is the same for everybody, so a stall can only wait for a
// message that is earlier in it: they cannot deadlock.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Intracomm, MPI, type Request, type Status } from 'mpi4ts';

const world = MPI.COMM_WORLD;
const { rank, size } = world;
const total = Number(process.argv[2] ?? 200_000);
const seed = Number(process.argv[3] ?? 12345);
if (size < 4) throw new Error('stress needs at least 4 ranks');
const MAX_BYTES = 1 << 20;
const TAGS = 8;
const CLASSES = 6;
/** Bytes of the header: sequence number, then source * CLASSES + class. */
const HEADER = 8;
const WINDOW = 16;
const POOL_BYTES = 2 * MAX_BYTES;
const EAGER_TAIL = 1500;
const EAGER_TAIL_BYTES = 60_000;
const SLOW_TAIL = 300;
const started = performance.now();

/** xorshift32: every rank draws the same plan from the same seed. */
let state = seed | 1;
function random(): number {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return (state >>> 0) / 4294967296;
}

const pool = new Uint8Array(POOL_BYTES);
const poolWords = new Uint32Array(pool.buffer);
for (let i = 0; i < poolWords.length; i++) poolWords[i] = Math.floor(random() * 4294967296);

interface Message {
  readonly source: number;
  readonly dest: number;
  readonly cls: number;
  readonly tag: number;
  readonly bytes: number;
  /** Position among the messages from `source` to `dest` in class `cls`. */
  readonly seq: number;
}

const receivers = [0, 1];
const counters = new Int32Array(size * size * CLASSES);
const plan: Message[] = [];
for (let m = 0; m < total; m++) {
  const source = m % size;
  const choices = receivers.filter((r) => r !== source);
  const dest = choices[Math.floor(random() * choices.length)]!;
  const cls = Math.floor(random() * CLASSES);
  const tag = Math.floor(random() * TAGS);
  const largest = source >= 2 && m >= total - EAGER_TAIL * size ? EAGER_TAIL_BYTES : MAX_BYTES;
  const bytes = Math.floor((largest + 1) ** random()) - 1;
  plan.push({ source, dest, cls, tag, bytes, seq: counters[(source * size + dest) * CLASSES + cls]++ });
}

/** Where in the pool the content of a message starts. */
function poolOffset(m: Message): number {
  return ((m.seq * 2654435761 + m.source * 40503 + m.cls * 977) >>> 0) % (POOL_BYTES - MAX_BYTES);
}

/** Writes the content of `m` into `into` (at least `m.bytes` long). */
function fill(m: Message, into: Uint8Array): void {
  const header = new Uint8Array(Int32Array.of(m.seq, m.source * CLASSES + m.cls).buffer);
  into.set(header.subarray(0, Math.min(HEADER, m.bytes)));
  if (m.bytes > HEADER) into.set(pool.subarray(poolOffset(m) + HEADER, poolOffset(m) + m.bytes), HEADER);
}

/** Checks that `data` is the content of `m`. */
function verify(m: Message, data: Uint8Array, via: string): void {
  assert.equal(data.byteLength, m.bytes, `${via}: length of message ${m.seq} from ${m.source}`);
  const header = new Uint8Array(Int32Array.of(m.seq, m.source * CLASSES + m.cls).buffer);
  const head = Math.min(HEADER, m.bytes);
  for (let i = 0; i < head; i++) {
    if (data[i] !== header[i]) {
      assert.fail(`${via}: header of message ${m.seq} from ${m.source} class ${m.cls}: got ` +
        `${Array.from(data.subarray(0, head))}, want ${Array.from(header.subarray(0, head))} (lost, duplicated or reordered)`);
    }
  }
  if (m.bytes > HEADER) {
    const start = poolOffset(m);
    const got = Buffer.from(data.buffer, data.byteOffset + HEADER, m.bytes - HEADER);
    const want = Buffer.from(pool.buffer, start + HEADER, m.bytes - HEADER);
    if (!got.equals(want)) assert.fail(`${via}: content of message ${m.seq} from ${m.source} corrupted`);
  }
}

const comms: Intracomm[] = [];
for (let c = 0; c < CLASSES; c++) comms.push(await world.Dup());
const isObject = (cls: number): boolean => cls % 2 === 1;
/** 0: (ANY_SOURCE, ANY_TAG), 1: (source, ANY_TAG), 2: (source, tag). */
const modeOf = (cls: number): number => Math.floor(cls / 2);

let sentBytes = 0;
async function sendAll(): Promise<number> {
  const mine = plan.filter((m) => m.source === rank);
  // Half the send buffers are in the shared heap (sent in place), half are not (pipelined when large).
  const slots = Array.from({ length: WINDOW }, (_, i) =>
    i % 2 === 0 ? MPI.alloc(Uint8Array, MAX_BYTES) : new Uint8Array(MAX_BYTES));
  const pending: Request[] = [];
  for (let k = 0; k < mine.length; k++) {
    const m = mine[k]!;
    if (pending.length === WINDOW) await pending.shift()!.Wait();
    const slot = slots[k % WINDOW]!;
    fill(m, slot);
    const comm = comms[m.cls]!;
    pending.push(isObject(m.cls)
      ? comm.isend({ seq: m.seq, source: m.source, tag: m.tag, data: slot.subarray(0, m.bytes) }, m.dest, m.tag)
      : comm.Isend([slot, m.bytes, MPI.BYTE], m.dest, m.tag));
    sentBytes += m.bytes;
  }
  await MPI.Request.Waitall(pending);
  return mine.length;
}

interface ObjectMessage {
  seq: number;
  source: number;
  tag: number;
  data: Uint8Array;
}

let receivedBytes = 0;
/**
 * Receives the messages of class `cls` to this rank. Each class has its own
 * window: a wildcard receive may take a message planned for a later one, and
 * a shared window could then lack the receive an earlier send waits for.
 */
async function receiveClass(cls: number): Promise<number> {
  const mine = plan.filter((m) => m.dest === rank && m.cls === cls);
  const mode = modeOf(cls);
  const comm = comms[cls]!;
  // What a wildcard receive must get next from each source.
  const queues = Array.from({ length: size }, (_, source) => mine.filter((m) => m.source === source));
  const next = new Int32Array(size);
  const buffers = Array.from({ length: isObject(cls) ? 0 : WINDOW }, () => new Uint8Array(MAX_BYTES));
  const window: { planned: Message; request: Request<unknown>; status: Status; buffer: Uint8Array | undefined }[] = [];
  const check = async (): Promise<void> => {
    const { planned, request, status, buffer } = window.shift()!;
    const value = await request.wait(status);
    const source = status.Get_source();
    const m = mode === 0 ? queues[source]![next[source]++] : planned;
    assert.ok(m !== undefined, `class ${cls}: one message too many from ${source}`);
    assert.deepEqual([source, status.Get_tag()], [m.source, m.tag], `class ${cls}: envelope of message ${m.seq}`);
    if (buffer === undefined) {
      const got = value as ObjectMessage;
      assert.deepEqual([got.seq, got.source, got.tag], [m.seq, m.source, m.tag], `class ${cls}: object fields`);
      verify(m, got.data, `class ${cls}`);
    } else {
      assert.equal(status.Get_count(MPI.BYTE), m.bytes, `class ${cls}: count of message ${m.seq} from ${m.source}`);
      verify(m, buffer.subarray(0, m.bytes), `class ${cls}`);
    }
    receivedBytes += m.bytes;
  };
  for (let k = 0; k < mine.length; k++) {
    const planned = mine[k]!;
    if (window.length === WINDOW) await check();
    if (k === mine.length - SLOW_TAIL) await sleep(1000);
    const source = mode === 0 ? MPI.ANY_SOURCE : planned.source;
    const tag = mode === 2 ? planned.tag : MPI.ANY_TAG;
    const buffer = buffers[k % WINDOW];
    const request = buffer === undefined ? comm.irecv(source, tag) : comm.Irecv(buffer, source, tag);
    window.push({ planned, request, status: new MPI.Status(), buffer });
  }
  while (window.length > 0) await check();
  if (mode === 0) {
    for (let source = 0; source < size; source++) {
      assert.equal(next[source], queues[source]!.length, `class ${cls}: messages from ${source}`);
    }
  }
  return mine.length;
}

async function receiveAll(): Promise<number> {
  const counts = await Promise.all(Array.from({ length: CLASSES }, (_, cls) => receiveClass(cls)));
  return counts.reduce((a, b) => a + b, 0);
}

let sent: number;
let received = 0;
if (receivers.includes(rank)) {
  [sent, received] = await Promise.all([sendAll(), rank === 0 ? sleep(1000).then(receiveAll) : receiveAll()]);
} else {
  sent = await sendAll();
}
const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(`stress rank ${rank} sent=${sent} received=${received} sent_bytes=${sentBytes} received_bytes=${receivedBytes} ` +
  `seconds=${seconds}`);
