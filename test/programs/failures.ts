// Ways for a job to fail, one per mode (the first argument); every other
// rank meanwhile waits in a receive that will never be satisfied, so the
// launcher must stop them.
import { MPI } from 'mpi4ts';

const comm = MPI.COMM_WORLD;
const mode = process.argv[2];
const culprit = comm.size - 1;

await comm.Barrier();
if (comm.rank !== culprit) {
  console.log(`rank ${comm.rank} waiting`);
  await comm.recv(culprit, 99);
  throw new Error('unreachable: nobody sends tag 99');
}
switch (mode) {
  case 'throw':
    throw new Error('boom from the culprit');
  case 'throw-string':
    throw 'a string from the culprit';
  case 'reject':
    void Promise.reject(new RangeError('unhandled rejection from the culprit'));
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    break;
  case 'abort':
    comm.Abort(7);
    break;
  case 'exit':
    process.exit(5);
    break;
  case 'truncate': {
    await MPI.COMM_SELF.Send(new Float64Array(8), 0, 1);
    await MPI.COMM_SELF.Recv(new Float64Array(4), 0, 1);
    break;
  }
  case 'unserializable':
    await comm.send({ callback: () => 1 }, 0);
    break;
  case 'bad-rank':
    await comm.send('x', comm.size + 10);
    break;
  case 'bad-tag':
    await comm.send('x', 0, -3);
    break;
  case 'unsettled':
    // Nothing will resolve it: Node ends the rank's thread (exit code 13).
    await new Promise(() => undefined);
    break;
  case 'spin':
    // A rank that computes forever is never mistaken for a deadlock.
    for (;;) Math.sqrt(Math.random());
  default:
    throw new Error(`unknown mode ${mode}`);
}
