/**
 * The launcher's port broker for client/server connections on the shm
 * transport (MPI-4.1 §11.9): port names (`MPI_Open_port`,
 * `MPI_Close_port`), the name service (`MPI_Publish_name`,
 * `MPI_Unpublish_name`, `MPI_Lookup_name`), and the meeting of an
 * `MPI_Comm_accept` with an `MPI_Comm_connect` on one port, as it brokers
 * `Spawn`: the root of each group posts its world ranks, and once both sides
 * of a port are there each learns the other's group and the context of the
 * intercommunicator (the acceptor's offer).
 *
 * A port name is `mpi4ts-shm:<launcher pid>:<n>`. Ranks of one job (any
 * groups: halves of a `Split`, parents and spawned children) connect; a port
 * of another job is `ERR_PORT` with the reason, since two shm jobs share no
 * memory. Accepts and connects on one port meet in the order they came; a
 * `Connect` waits for its `Accept` as long as the port is open, and
 * `Close_port` fails the calls still waiting on it.
 *
 * Unfinished: the name service is the job's own (a service published by
 * another job is not found); info arguments are not used.
 *
 * @module
 */

import type { Worker } from 'node:worker_threads';
import type { NameReply, NameRequest, PortReply, PortRequest } from '../transport/shm/launcher_link.js';

/** What port names of this launcher start with. */
const PREFIX = `mpi4ts-shm:${process.pid}:`;

interface Waiting {
  readonly requester: Worker;
  readonly request: PortRequest;
}

/** The ports and services of one job, and the groups waiting on them. */
export class PortBroker {
  private next = 1;
  /** Open ports: the accepts and connects waiting on each. */
  private readonly ports = new Map<string, { accepts: Waiting[]; connects: Waiting[] }>();
  private readonly services = new Map<string, string>();

  /** Answers a name-service call on its own port and wakes the rank that waits for it. */
  names(request: NameRequest): void {
    const reply = this.answer(request);
    request.reply.postMessage(reply);
    request.reply.close();
    Atomics.store(request.flag, 0, 1);
    Atomics.notify(request.flag, 0);
  }

  private answer(request: NameRequest): NameReply {
    const port = request.port ?? '';
    const service = request.service ?? '';
    switch (request.op) {
      case 'open': {
        const name = `${PREFIX}${this.next++}`;
        this.ports.set(name, { accepts: [], connects: [] });
        return { value: name };
      }
      case 'close': {
        const waiting = this.ports.get(port);
        if (waiting === undefined) return { error: { kind: 'port', text: this.unknown(port) } };
        this.ports.delete(port);
        for (const w of [...waiting.accepts, ...waiting.connects]) {
          this.reply(w, { error: `port ${port} was closed while the ${w.request.op} waited on it` });
        }
        return {};
      }
      case 'publish':
        if (this.services.has(service)) {
          return { error: { kind: 'service', text: `service ${JSON.stringify(service)} is published already` } };
        }
        this.services.set(service, port);
        return {};
      case 'unpublish':
        if (this.services.get(service) !== port) {
          return { error: { kind: 'service', text: `service ${JSON.stringify(service)} is not published with port ${port}` } };
        }
        this.services.delete(service);
        return {};
      case 'lookup': {
        const found = this.services.get(service);
        return found === undefined
          ? { error: { kind: 'name', text: `service ${JSON.stringify(service)} is not published in this job` } }
          : { value: found };
      }
    }
  }

  /** An `Accept` or `Connect` arrives: it waits on its port, or meets the other side there. */
  meet(requester: Worker, request: PortRequest): void {
    const waiting = this.ports.get(request.port);
    const entry: Waiting = { requester, request };
    if (waiting === undefined) {
      this.reply(entry, { error: this.unknown(request.port) });
      return;
    }
    const [mine, theirs] = request.op === 'accept' ? [waiting.accepts, waiting.connects] : [waiting.connects, waiting.accepts];
    const other = theirs.shift();
    if (other === undefined) {
      mine.push(entry);
      return;
    }
    const [acceptor, connector] = request.op === 'accept' ? [entry, other] : [other, entry];
    if (acceptor.request.group.some((r) => connector.request.group.includes(r))) {
      const error = 'the accepting and the connecting group share ranks; on shm they must be disjoint';
      this.reply(acceptor, { error });
      this.reply(connector, { error });
      return;
    }
    const context = acceptor.request.context;
    this.reply(acceptor, { group: connector.request.group, context });
    this.reply(connector, { group: acceptor.request.group, context });
  }

  /** Forgets the waiting calls of a rank that has exited. */
  forget(worker: Worker): void {
    for (const waiting of this.ports.values()) {
      waiting.accepts = waiting.accepts.filter((w) => w.requester !== worker);
      waiting.connects = waiting.connects.filter((w) => w.requester !== worker);
    }
  }

  private reply(to: Waiting, answer: Omit<PortReply, 'type' | 'id'>): void {
    const message: PortReply = { type: 'port-met', id: to.request.id, ...answer };
    to.requester.postMessage(message);
  }

  /** Why `port` names no open port of this job. */
  private unknown(port: string): string {
    const other = /^mpi4ts-shm:(\d+):\d+$/.exec(port);
    if (other !== null && other[1] !== String(process.pid)) {
      return `port ${port} belongs to another mpi4ts job (launcher pid ${other[1]}): shm jobs share no memory, ` +
        'so only ranks of one job connect (halves of a Split, or parents and spawned children); ' +
        'run both sides under one launcher, or use the mpi transport';
    }
    return other === null ? `${JSON.stringify(port)} is not a port name of MPI.Open_port` : `port ${port} is not open`;
  }
}
