// Client/server: the two halves of a job meet through a published port name,
// as a server and its clients started apart would under MPI.
import { MPI } from 'mpi4ts';

const world = MPI.COMM_WORLD;
const isServer = world.rank % 2 === 0;
const half = (await world.Split(isServer ? 0 : 1, world.rank))!;

let port = '';
if (isServer && half.rank === 0) {
  port = MPI.Open_port();
  MPI.Publish_name('adder', port);
}
await world.Barrier();                                        // published before anyone looks it up
if (isServer) {
  const clients = await half.Accept(port);                    // the port counts at the root only
  const numbers = await clients.gather(null, half.rank === 0 ? MPI.ROOT : MPI.PROC_NULL);
  if (half.rank === 0) console.log(`server got ${JSON.stringify(numbers)}`);
  await clients.Disconnect();
  if (half.rank === 0) {
    MPI.Unpublish_name('adder', port);
    MPI.Close_port(port);
  }
} else {
  const server = await half.Connect(half.rank === 0 ? MPI.Lookup_name('adder') : '');
  await server.gather(10 * (half.rank + 1), 0);               // 0: the server's root
  await server.Disconnect();
}
