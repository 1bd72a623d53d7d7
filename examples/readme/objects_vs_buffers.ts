// Objects versus buffers: the lower-case send moves any value, the
// Capitalized Send moves the bytes of a typed array.
import { MPI } from 'mpi4ts';

const comm = MPI.COMM_WORLD;
if (comm.rank === 0) {
  await comm.send({ name: 'grid', step: 3, shape: [10, 100] }, 1);  // serialized, any value
  const data = Float64Array.from({ length: 1000 }, (_, i) => i / 2);
  await comm.Send(data, 1);                                         // raw bytes, no serialization
} else if (comm.rank === 1) {
  const header = await comm.recv(0);          // a new object, built from the message
  const data = new Float64Array(1000);        // the receiver provides the memory
  await comm.Recv(data, 0);
  console.log(JSON.stringify(header), data[999]);
}
