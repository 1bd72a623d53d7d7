// Messages over 2^31-1 bytes on the mpi transport, between 2 ranks: one
// buffer of 2 GiB + 16 MiB + 3 bytes, every byte checked after each transfer.
//   buffers: Send/Recv (with Probe and Get_count), Isend/Irecv, Sendrecv, Bcast
//   objects: send/recv of a value whose encoding is over 2 GiB
// Prints "large <mode> ok <rank>". Needs about 5 GiB (buffers) or 9 GiB (objects).
import { MPI } from 'mpi4ts';

const comm = MPI.COMM_WORLD;
const mode = process.argv[2] ?? 'buffers';
const N = 2 ** 31 + 2 ** 24 + 3;
const words = Math.floor(N / 4);

/** Word w of the pattern: differs from block to block of 2^30 bytes, so that a misplaced block shows. */
const word = (w: number, seed: number): number => (Math.imul(w ^ seed, 2654435761) ^ (w >>> 18)) >>> 0;

function fill(bytes: Uint8Array, seed: number): void {
  const view = new Uint32Array(bytes.buffer, bytes.byteOffset, words);
  for (let w = 0; w < words; w++) view[w] = word(w, seed);
  for (let i = words * 4; i < N; i++) bytes[i] = (i + seed) & 0xff;
}

function check(bytes: Uint8Array, seed: number, what: string): void {
  if (bytes.byteLength !== N) throw new Error(`${what}: ${bytes.byteLength} bytes, expected ${N}`);
  const view = new Uint32Array(bytes.buffer, bytes.byteOffset, words);
  for (let w = 0; w < words; w++) {
    if (view[w] !== word(w, seed)) throw new Error(`${what}: word ${w} (byte ${w * 4}) is ${view[w]}, expected ${word(w, seed)}`);
  }
  for (let i = words * 4; i < N; i++) {
    if (bytes[i] !== ((i + seed) & 0xff)) throw new Error(`${what}: byte ${i} is ${bytes[i]}`);
  }
}

if (comm.size !== 2) throw new Error('run with 2 ranks');
const status = new MPI.Status();

if (mode === 'buffers') {
  const buf = new Uint8Array(N);
  let seed = 1;
  // Send / Recv, with Probe first: the Status tells the whole length.
  if (comm.rank === 0) {
    fill(buf, seed);
    await comm.Send(buf, 1, 11);
  } else {
    await comm.Probe(0, 11, status);
    if (status.Get_count(MPI.BYTE) !== N) throw new Error(`Probe counted ${status.Get_count(MPI.BYTE)} bytes`);
    await comm.Recv(buf, 0, 11, status);
    if (status.Get_count(MPI.BYTE) !== N) throw new Error(`Recv counted ${status.Get_count(MPI.BYTE)} bytes`);
    check(buf, seed, 'Send/Recv');
  }
  // Isend / Irecv, the other way.
  seed = 2;
  if (comm.rank === 1) {
    fill(buf, seed);
    await comm.Isend(buf, 0, 12).Wait();
  } else {
    await comm.Irecv(buf, 1, 12).Wait(status);
    if (status.Get_count(MPI.BYTE) !== N) throw new Error(`Irecv counted ${status.Get_count(MPI.BYTE)} bytes`);
    check(buf, seed, 'Isend/Irecv');
  }
  // Sendrecv: the large message one way, a small one back.
  seed = 3;
  const small = new Float64Array(4);
  if (comm.rank === 0) {
    fill(buf, seed);
    await comm.Sendrecv(buf, 1, 13, small, 1, 14);
    if (small.join() !== '1,2,3,4') throw new Error(`Sendrecv small part: ${small.join()}`);
  } else {
    await comm.Sendrecv(Float64Array.of(1, 2, 3, 4), 0, 14, buf, 0, 13, status);
    if (status.Get_count(MPI.BYTE) !== N) throw new Error(`Sendrecv counted ${status.Get_count(MPI.BYTE)} bytes`);
    check(buf, seed, 'Sendrecv');
  }
  // Bcast from rank 1.
  seed = 4;
  if (comm.rank === 1) fill(buf, seed);
  else buf.fill(0);
  await comm.Bcast(buf, 1);
  check(buf, seed, 'Bcast');
} else {
  // An object whose encoding is over 2 GiB: a typed array of N bytes inside a plain object.
  const seed = 5;
  if (comm.rank === 0) {
    const bytes = new Uint8Array(N);
    fill(bytes, seed);
    await comm.send({ name: 'large', bytes }, 1, 21);
  } else {
    const got = await comm.recv(0, 21, status) as { name: string; bytes: Uint8Array };
    if (got.name !== 'large') throw new Error(`object name ${got.name}`);
    if (!(got.bytes instanceof Uint8Array)) throw new Error('object bytes is not a Uint8Array');
    check(got.bytes, seed, 'send/recv of an object');
    if (status.Get_count(MPI.BYTE) <= N) throw new Error(`recv counted ${status.Get_count(MPI.BYTE)} bytes, the encoding is larger`);
  }
}
await comm.Barrier();
console.log(`large ${mode} ok ${comm.rank}`);
