/**
 * Port names and the name service on the shm transport (MPI-4.1 §11.9.2
 * `MPI_Open_port`, `MPI_Close_port`; §11.9.4 `MPI_Publish_name`,
 * `MPI_Unpublish_name`, `MPI_Lookup_name`): synchronous calls of the
 * launcher's port broker (launcher/ports.ts); and §11.10.5 `MPI_Comm_join`,
 * which has no meaning here.
 *
 * Unfinished: `Comm.Join` is `ERR_UNSUPPORTED_OPERATION`: ranks of one shm
 * job are threads of one process and need no socket to meet (`Accept` and
 * `Connect` do that), and a socket cannot join two shm jobs, which share no
 * memory. A script started without the launcher (a singleton) has no port
 * broker: its port and name calls are `ERR_PORT`.
 *
 * @module
 */

import { errors } from '../../errors.js';
import type { InterEndpoint, PortService } from '../transport.js';
import { askNameService, hasLauncher, type NameReply, type NameRequest } from './launcher_link.js';

/** The shm transport's {@link PortService}. */
export class ShmPortService implements PortService {
  openPort(call: string): string {
    return this.ask(call, { op: 'open' });
  }

  closePort(port: string, call: string): void {
    this.ask(call, { op: 'close', port });
  }

  publishName(service: string, port: string, call: string): void {
    this.ask(call, { op: 'publish', service, port });
  }

  unpublishName(service: string, port: string, call: string): void {
    this.ask(call, { op: 'unpublish', service, port });
  }

  lookupName(service: string, call: string): string {
    return this.ask(call, { op: 'lookup', service });
  }

  join(fd: number, call: string): Promise<InterEndpoint> {
    void fd;
    return Promise.reject(errors.unsupported(call, 'the shm transport cannot join through a socket: its ranks meet ' +
      'with Accept and Connect within a job, and two shm jobs share no memory; use the mpi transport'));
  }

  private ask(call: string, request: Omit<NameRequest, 'type' | 'reply' | 'flag'>): string {
    if (!hasLauncher()) {
      throw errors.port(call, `${call.slice(4)} needs the mpi4ts launcher: start the job with npx mpi4ts`);
    }
    const reply: NameReply = askNameService(request);
    if (reply.error !== undefined) throw errors[reply.error.kind](call, reply.error.text);
    return reply.value ?? '';
  }
}
