/**
 * The script that `MPIPoolExecutor` spawns: serves the parent's tasks until
 * the pool shuts down, then disconnects.
 *
 * @module
 */

import { MPI } from '../mpi.js';
import { serve } from './server.js';

const parent = MPI.Comm.Get_parent();
if (parent === null) throw new Error('mpi4ts/futures: this worker is started by MPIPoolExecutor, not by hand');
await serve(parent, 0);
await parent.Disconnect();
