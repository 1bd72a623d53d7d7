/**
 * Client/server connections: port names and the name service, `MPI.Open_port`,
 * `MPI.Close_port`, `MPI.Publish_name`, `MPI.Unpublish_name`,
 * `MPI.Lookup_name` (MPI-4.1 §11.9.2, §11.9.4). A server opens a port and
 * accepts on it (`Intracomm.Accept`), a client connects to its name
 * (`Intracomm.Connect`); the name can travel through a message or the name
 * service (`Publish_name` at the server, `Lookup_name` at the client).
 *
 * On shm, the launcher keeps the ports and names of its job: groups of one
 * job connect (halves of a `Split`, parents and spawned children); a port of
 * another shm job is `ERR_PORT` (two shm jobs share no memory). On mpi these
 * are the MPI library's calls: with Open MPI, between the ranks of one
 * `mpiexec` job (separate jobs need `ompi-server`).
 *
 * Unfinished: info arguments are checked, not used; the name service on shm
 * is the job's own.
 *
 * @module
 */

import { transport } from '../environment.js';
import { errors } from '../errors.js';
import { INFO_NULL, Info } from './info.js';

/** Checks an `info` argument: an `MPI.Info` (`MPI.INFO_NULL` included). */
export function infoArgument(info: unknown, call: string): void {
  if (!(info instanceof Info)) throw errors.info(call, `expected an MPI.Info, got ${String(info)}`);
}

function text(value: unknown, call: string, what: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw errors.arg(call, `${what} must be a non-empty string, got ${JSON.stringify(value) ?? String(value)}`);
  }
  return value;
}

/**
 * `MPI_Open_port` (MPI-4.1 §11.9.2): a new port name to accept connections on.
 *
 * @example
 * ```ts
 * const port = MPI.Open_port();
 * const clients = await MPI.COMM_SELF.Accept(port);
 * MPI.Close_port(port);
 * ```
 */
export function Open_port(info: Info = INFO_NULL): string {
  const call = 'MPI.Open_port';
  infoArgument(info, call);
  return transport().ports.openPort(call);
}

/**
 * `MPI_Close_port` (MPI-4.1 §11.9.2): the port can no longer be connected to.
 *
 * @example
 * ```ts
 * MPI.Close_port(MPI.Open_port());
 * ```
 */
export function Close_port(port_name: string): void {
  const call = 'MPI.Close_port';
  transport().ports.closePort(text(port_name, call, 'port_name'), call);
}

/**
 * `MPI_Publish_name` (MPI-4.1 §11.9.4): `service_name` names `port_name`
 * for `Lookup_name`; `ERR_SERVICE` when the service is published already (shm).
 *
 * @example
 * ```ts
 * const port = MPI.Open_port();
 * MPI.Publish_name('solver', port);
 * ```
 */
export function Publish_name(service_name: string, port_name: string, info: Info = INFO_NULL): void {
  const call = 'MPI.Publish_name';
  infoArgument(info, call);
  transport().ports.publishName(text(service_name, call, 'service_name'), text(port_name, call, 'port_name'), call);
}

/**
 * `MPI_Unpublish_name` (MPI-4.1 §11.9.4): withdraws a name of `Publish_name`.
 *
 * @example
 * ```ts
 * MPI.Unpublish_name('solver', port);
 * ```
 */
export function Unpublish_name(service_name: string, port_name: string, info: Info = INFO_NULL): void {
  const call = 'MPI.Unpublish_name';
  infoArgument(info, call);
  transport().ports.unpublishName(text(service_name, call, 'service_name'), text(port_name, call, 'port_name'), call);
}

/**
 * `MPI_Lookup_name` (MPI-4.1 §11.9.4): the port published under
 * `service_name`; `ERR_NAME` when none is.
 *
 * @example
 * ```ts
 * const server = await MPI.COMM_SELF.Connect(MPI.Lookup_name('solver'));
 * ```
 */
export function Lookup_name(service_name: string, info: Info = INFO_NULL): string {
  const call = 'MPI.Lookup_name';
  infoArgument(info, call);
  return transport().ports.lookupName(text(service_name, call, 'service_name'), call);
}
