// More of MPI: a matched probe, persistent requests, a buffered send, and a
// library's own communicator with info, an error handler and an attribute.
import { MPI } from 'mpi4ts';

const comm = MPI.COMM_WORLD;
const { rank, size } = comm;
const right = (rank + 1) % size;
const left = (rank - 1 + size) % size;

// Matched probe: learn the size, then receive exactly that message.
await comm.Send(new Int32Array(rank + 2).fill(rank), right, 1);
const status = new MPI.Status();
const message = await comm.Mprobe(left, 1, status);
const incoming = new Int32Array(status.Get_count(MPI.INT));
await message.Recv(incoming);

// Persistent requests: set up once, start at every step.
const out = new Float64Array(1);
const into = new Float64Array(1);
const send = comm.Send_init(out, right, 2);
const recv = comm.Recv_init(into, left, 2);
let total = 0;
for (let step = 1; step <= 3; step++) {
  out[0] = rank * step;
  MPI.Prequest.Startall([recv, send]);
  await MPI.Request.Waitall([send, recv]);
  total += into[0]!;
}
send.Free();
recv.Free();

// Buffered send: resolves once the message is copied out of the way.
MPI.Attach_buffer(new Uint8Array(1024 + MPI.BSEND_OVERHEAD));
await comm.bsend(`hello from ${rank}`, right, 3);
const greeting = await comm.recv<string>(left, 3);
await MPI.Detach_buffer();

// A communicator of one's own, with hints, an error handler and an attribute.
const mine = await comm.Dup_with_info(MPI.Info.Create({ purpose: 'demo' }));
const seen: number[] = [];
mine.Set_errhandler(MPI.Comm.Create_errhandler((_c, code) => {
  seen.push(code);
}));
await mine.Send(new Int32Array(1), size).catch(() => undefined); // no such rank: the handler sees ERR_RANK
const key = MPI.Comm.Create_keyval(true);
mine.Set_attr(key, { owner: 'demo' });
const copy = await mine.Dup(); // the handler, hints and attribute come along

console.log(`rank ${rank}: ${incoming.length} ints from ${status.Get_source()}, total ${total}, "${greeting}", ` +
  `handler saw ${seen.join(',')} (ERR_RANK ${MPI.ERR_RANK}), ` +
  `copy has ${JSON.stringify(copy.Get_attr(key))} and purpose=${copy.Get_info().Get('purpose')}`);
copy.Free();
mine.Free();
