/**
 * A communicator on the shm transport: a context id and a group of world ranks.
 *
 * MPI-4.1 §7.1 (contexts separate the traffic of communicators), §7.4.2
 * (`MPI_Comm_split`). Each communicator owns consecutive contexts: one for
 * point-to-point, the next for its collectives, the third for the library's
 * own protocols, so user messages never match anything else.
 *
 * @module
 */

import { PointToPointCollectives } from '../../collective/point_to_point.js';
import { UNDEFINED } from '../../constants.js';
import type { Collectives, Endpoint, Envelope, Operation } from '../transport.js';
import type { ShmEngine } from './engine.js';

const ANY = -1;

/** The shm side of one communicator. */
export class ShmEndpoint implements Endpoint {
  readonly rank: number;
  readonly size: number;
  readonly copiesOnSend = true;
  /** World rank to rank in this communicator, -1 for ranks outside it. */
  private readonly rankOf: Int32Array;
  private collectiveEndpoint: Collectives | undefined;
  private auxiliaryEndpoint: Endpoint | undefined;

  /**
   * @param group - world ranks of the members, in rank order
   */
  constructor(private readonly engine: ShmEngine, readonly context: number, private readonly group: Int32Array) {
    this.size = group.length;
    this.rankOf = new Int32Array(engine.size).fill(-1);
    group.forEach((world, rank) => { this.rankOf[world] = rank; });
    this.rank = this.rankOf[engine.rank]!;
  }

  get collectives(): Collectives {
    this.collectiveEndpoint ??= new PointToPointCollectives(new ShmEndpoint(this.engine, this.context + 1, this.group));
    return this.collectiveEndpoint;
  }

  get auxiliary(): Endpoint {
    this.auxiliaryEndpoint ??= new ShmEndpoint(this.engine, this.context + 2, this.group);
    return this.auxiliaryEndpoint;
  }

  isend(data: Uint8Array, dest: number, tag: number, sync: boolean): Operation {
    return this.engine.isend(this.context, this.group[dest]!, tag, data, sync, dest);
  }

  irecv(into: Uint8Array | undefined, source: number, tag: number): Operation {
    return this.engine.irecv(this.context, source === ANY ? ANY : this.group[source]!, tag, into, this.rankOf, source);
  }

  iprobe(source: number, tag: number): Envelope | undefined {
    const found = this.engine.iprobe(this.context, source === ANY ? ANY : this.group[source]!, tag);
    return found === undefined ? undefined : { source: this.rankOf[found.source]!, tag: found.tag, byteLength: found.bytes };
  }

  async probe(source: number, tag: number): Promise<Envelope> {
    let found = this.iprobe(source, tag);
    if (found === undefined) {
      const label = `Probe(source=${source === ANY ? 'ANY_SOURCE' : source}, tag=${tag === ANY ? 'ANY_TAG' : tag})`;
      await this.engine.waitUntil({
        isReady: () => (found = this.iprobe(source, tag)) !== undefined,
        describe: () => label,
      });
    }
    return found!;
  }

  worldRankOf(rank: number): number {
    return this.group[rank]!;
  }

  async split(color: number, key: number): Promise<Endpoint | undefined> {
    // Everybody learns everybody's (color, key); rank 0 adds a fresh context
    // for all the new communicators (their groups are disjoint, so they can share it).
    const mine = new Int32Array([color, key, this.rank === 0 ? this.engine.allocateContext() : 0]);
    const all = new Int32Array(3 * this.size);
    const counts = new Array<number>(this.size).fill(12);
    await this.collectives.allgatherv(new Uint8Array(mine.buffer), new Uint8Array(all.buffer), counts,
      counts.map((_, i) => 12 * i));
    if (color === UNDEFINED) return undefined;
    const members: number[] = [];
    for (let r = 0; r < this.size; r++) if (all[3 * r] === color) members.push(r);
    members.sort((a, b) => all[3 * a + 1]! - all[3 * b + 1]! || a - b);
    return new ShmEndpoint(this.engine, all[2]!, Int32Array.from(members, (r) => this.group[r]!));
  }

  free(): void {
    // Context ids are never reused, so there is nothing to release.
  }
}
