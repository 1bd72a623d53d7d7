/**
 * Port names, the name service and `MPI_Comm_join` on the mpi transport:
 * the MPI library's own calls (native/ports.c). MPI-4.1 §11.9.2
 * (`MPI_Open_port`, `MPI_Close_port`), §11.9.4 (`MPI_Publish_name`,
 * `MPI_Unpublish_name`, `MPI_Lookup_name`), §11.10.5 (`MPI_Comm_join`).
 *
 * With Open MPI 4.1, ports and names work between the ranks of one
 * `mpiexec` job (its runtime is the name server); between separate jobs
 * Open MPI needs an `ompi-server` that both jobs are pointed at
 * (`mpiexec --ompi-server ...`).
 *
 * Unfinished: info arguments are not passed to MPI.
 *
 * @module
 */

import type { InterEndpoint, PortService } from '../transport.js';
import type { MpiContext } from './context.js';
import { type MpiEndpoint, MpiInterEndpoint } from './endpoint.js';
import { asMPIError } from './native.js';

/** The mpi transport's {@link PortService}. */
export class MpiPortService implements PortService {
  /** @param self - `COMM_SELF`, the local group of a joined intercommunicator */
  constructor(private readonly ctx: MpiContext, private readonly self: MpiEndpoint) {}

  openPort(call: string): string {
    return this.native(call, 'MPI_Open_port', () => this.ctx.native.openPort());
  }

  closePort(port: string, call: string): void {
    this.native(call, 'MPI_Close_port', () => this.ctx.native.closePort(port));
  }

  publishName(service: string, port: string, call: string): void {
    this.native(call, 'MPI_Publish_name', () => this.ctx.native.publishName(service, port, true));
  }

  unpublishName(service: string, port: string, call: string): void {
    this.native(call, 'MPI_Unpublish_name', () => this.ctx.native.publishName(service, port, false));
  }

  lookupName(service: string, call: string): string {
    return this.native(call, 'MPI_Lookup_name', () => this.ctx.native.lookupName(service));
  }

  /** MPI_Comm_join blocks until the process at the other end of the socket joins too. */
  async join(fd: number, call: string): Promise<InterEndpoint> {
    this.ctx.progress.watch?.stop();
    const handle = this.native(call, 'MPI_Comm_join', () => this.ctx.native.commJoin(fd));
    return MpiInterEndpoint.create(this.ctx, handle, 'join', this.self);
  }

  private native<T>(call: string, cFunction: string, work: () => T): T {
    try {
      return work();
    } catch (e) {
      throw asMPIError(this.ctx.native, e, call, cFunction);
    }
  }
}
