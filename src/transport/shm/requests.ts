/**
 * The sends of one rank that wait for their receiver's answer (a synchronous
 * eager send's or a rendezvous send's FIN), by request number.
 *
 * MPI-4.1 §3.4 (synchronous mode), §3.7 (completion). Numbers are handed out
 * in order and sends end roughly in order, so the live ones span a short
 * range: they sit in a table indexed by the number's low bits, and only one
 * whose slot is taken by a much older send goes to a Map. Unlike a Map
 * alone, the table allocates nothing per send: V8 gives a Map a new backing
 * table whenever it empties, which a rank's synchronous sends did at almost
 * every collective call of 16 KiB or more; a long-lived Map's table lives in
 * the old generation, and its fresh pages were a page fault every twenty
 * calls of a 64 KiB Allreduce (15-20 us each on a paravirtualised VM).
 *
 * @module
 */

/** What the table holds: something that carries its request number. */
export interface Numbered {
  request: number;
}

/** Slots of the table: more sends than this waiting at once share the overflow Map. */
const SLOTS = 256;

/** Request numbers and the sends that wait under them. */
export class RequestTable<T extends Numbered> {
  private readonly slots: (T | undefined)[] = new Array<T | undefined>(SLOTS).fill(undefined);
  /** Entries whose slot was taken when they came; almost always empty. */
  private readonly overflow = new Map<number, T>();
  /** The next number: an Int32 (it travels in a ring word), never 0 (no request). */
  private next = 1;
  private held = 0;

  /** Numbers `entry` (sets its `request`) and holds it until {@link take}; returns the number. */
  add(entry: T): number {
    const request = this.next;
    this.next = (this.next + 1) | 0 || 1;
    entry.request = request;
    this.held++;
    const slot = request & (SLOTS - 1);
    if (this.slots[slot] === undefined) this.slots[slot] = entry;
    else this.overflow.set(request, entry);
    return request;
  }

  /** The entry numbered `request`, which the table then forgets; undefined if none waits under that number. */
  take(request: number): T | undefined {
    const slot = request & (SLOTS - 1);
    const entry = this.slots[slot];
    if (entry !== undefined && entry.request === request) {
      this.slots[slot] = undefined;
      this.held--;
      return entry;
    }
    if (this.overflow.size === 0) return undefined;
    const overflowed = this.overflow.get(request);
    if (overflowed !== undefined) {
      this.overflow.delete(request);
      this.held--;
    }
    return overflowed;
  }

  /** How many entries the table holds. */
  get size(): number {
    return this.held;
  }

  /** Every entry held (for a report: it looks at every slot). */
  entries(): T[] {
    const kept = this.slots.filter((entry): entry is T => entry !== undefined);
    return [...kept, ...this.overflow.values()];
  }
}
