/**
 * Groups: ordered sets of ranks, and the set operations that build new ones.
 *
 * MPI-4.1 §7.3 (group management: accessors §7.3.1, constructors §7.3.2,
 * destructors §7.3.3; `MPI_GROUP_EMPTY`, `MPI_GROUP_NULL`). A group is a
 * local object: making one never communicates. Members are kept as ranks of
 * the transport's world. `MPI.GROUP_NULL` is `null`, as `MPI.COMM_NULL` is.
 *
 * Unfinished: a freed group still answers (`Free` only marks it, as groups
 * hold no resources); `MPI.GROUP_EMPTY` cannot be freed.
 *
 * @module
 */

import { IDENT, PROC_NULL, SIMILAR, UNDEFINED, UNEQUAL } from '../constants.js';
import { transport } from '../environment.js';
import { errors } from '../errors.js';

/**
 * An ordered set of processes (MPI-4.1 §7.3). Get one with
 * `comm.Get_group()`, make others with the set operations, and a
 * communicator from one with `comm.Create(group)`.
 *
 * @example
 * ```ts
 * const world = MPI.COMM_WORLD.Get_group();
 * const evens = world.Incl([0, 2, 4]);
 * const evenComm = await MPI.COMM_WORLD.Create(evens);
 * ```
 */
export class Group {
  /**
   * @param members - world ranks of the members, in group order
   * @param self - world rank of this process
   */
  constructor(readonly members: readonly number[], private readonly self: number) {}

  /** World rank of this process (-1 for `MPI.GROUP_EMPTY`, made before any transport). */
  get selfRank(): number {
    return this.self;
  }

  /** `MPI_Group_size`. */
  get size(): number {
    return this.members.length;
  }

  /** `MPI_Group_rank`: this process's rank in the group, `MPI.UNDEFINED` when not a member. */
  get rank(): number {
    const at = this.members.indexOf(this.self);
    return at < 0 ? UNDEFINED : at;
  }

  Get_size(): number {
    return this.size;
  }

  Get_rank(): number {
    return this.rank;
  }

  private check(ranks: readonly number[], call: string): void {
    const seen = new Set<number>();
    for (const r of ranks) {
      if (!Number.isInteger(r) || r < 0 || r >= this.size) throw errors.rank(call, r, this.size);
      if (seen.has(r)) throw errors.repeatedRank(call, r);
      seen.add(r);
    }
  }

  /** `MPI_Group_incl` (§7.3.2): the members at `ranks`, in that order. */
  Incl(ranks: readonly number[]): Group {
    this.check(ranks, 'Group.Incl');
    return new Group(ranks.map((r) => this.members[r]!), this.self);
  }

  /** `MPI_Group_excl` (§7.3.2): every member but those at `ranks`, in group order. */
  Excl(ranks: readonly number[]): Group {
    this.check(ranks, 'Group.Excl');
    const out = new Set(ranks);
    return new Group(this.members.filter((_, r) => !out.has(r)), this.self);
  }

  /** `MPI_Group_range_incl` (§7.3.2): ranks from `[first, last, stride]` triplets. */
  Range_incl(ranges: readonly (readonly [number, number, number])[]): Group {
    return this.Incl(expandRanges(ranges, 'Group.Range_incl'));
  }

  /** `MPI_Group_range_excl` (§7.3.2). */
  Range_excl(ranges: readonly (readonly [number, number, number])[]): Group {
    return this.Excl(expandRanges(ranges, 'Group.Range_excl'));
  }

  /** `MPI_Group_union` (§7.3.2): this group's members, then `other`'s that are not in it. */
  static Union(a: Group, b: Group): Group {
    checkGroups(a, b, 'Group.Union');
    const seen = new Set(a.members);
    return new Group([...a.members, ...b.members.filter((m) => !seen.has(m))], selfOf(a, b));
  }

  /** `MPI_Group_intersection` (§7.3.2): members of both, in `a`'s order. */
  static Intersection(a: Group, b: Group): Group {
    checkGroups(a, b, 'Group.Intersection');
    const inB = new Set(b.members);
    return new Group(a.members.filter((m) => inB.has(m)), selfOf(a, b));
  }

  /** `MPI_Group_difference` (§7.3.2): members of `a` not in `b`, in `a`'s order. */
  static Difference(a: Group, b: Group): Group {
    checkGroups(a, b, 'Group.Difference');
    const inB = new Set(b.members);
    return new Group(a.members.filter((m) => !inB.has(m)), selfOf(a, b));
  }

  /** Instance spelling of {@link Group.Union}, as in mpi4py. */
  Union(other: Group): Group {
    return Group.Union(this, other);
  }

  Intersection(other: Group): Group {
    return Group.Intersection(this, other);
  }

  Difference(other: Group): Group {
    return Group.Difference(this, other);
  }

  /**
   * `MPI_Group_translate_ranks` (§7.3.1): the ranks in `other` of the
   * members at `ranks` of this group, `MPI.UNDEFINED` where absent.
   * `ranks` defaults to every rank of this group and may repeat ranks;
   * `MPI.PROC_NULL` translates to `MPI.PROC_NULL`. `other` defaults to the
   * group of `MPI.COMM_WORLD`, as in mpi4py.
   *
   * @example
   * ```ts
   * evens.Translate_ranks([0, 1, 1, MPI.PROC_NULL], world); // [0, 2, 2, MPI.PROC_NULL]
   * ```
   */
  Translate_ranks(ranks?: readonly number[] | null, other?: Group | null): number[] {
    const call = 'Group.Translate_ranks';
    const list = ranks ?? this.members.map((_, r) => r);
    const target = other ?? worldGroup(this.self);
    if (!(target instanceof Group)) throw errors.group(call, 'expected an MPI.Group to translate to');
    return list.map((r) => {
      if (r === PROC_NULL) return PROC_NULL;
      if (!Number.isInteger(r) || r < 0 || r >= this.size) throw errors.rank(call, r, this.size);
      const at = target.members.indexOf(this.members[r]!);
      return at < 0 ? UNDEFINED : at;
    });
  }

  /** `MPI_Group_compare` (§7.3.1): `MPI.IDENT`, `MPI.SIMILAR` or `MPI.UNEQUAL`. */
  Compare(other: Group): number {
    if (!(other instanceof Group)) throw errors.group('Group.Compare', 'expected an MPI.Group to compare with');
    if (this.size !== other.size) return UNEQUAL;
    if (this.members.every((m, r) => other.members[r] === m)) return IDENT;
    const inOther = new Set(other.members);
    return this.members.every((m) => inOther.has(m)) ? SIMILAR : UNEQUAL;
  }

  /**
   * `MPI_Group_dup` (MPI-4.1 §7.3.2): a new group with the same members.
   *
   * @example
   * ```ts
   * const copy = world.Dup(); // copy.Compare(world) === MPI.IDENT
   * ```
   */
  Dup(): Group {
    return new Group([...this.members], this.self);
  }

  /**
   * `MPI_Group_free` (§7.3.3): groups hold no resources; kept for mpi4py
   * code. Freeing `MPI.GROUP_EMPTY` throws `ERR_GROUP`.
   */
  Free(): void {
    if (this === GROUP_EMPTY) throw errors.group('Group.Free', 'MPI.GROUP_EMPTY cannot be freed');
  }
}

/**
 * `MPI_GROUP_EMPTY` (MPI-4.1 §7.3): the group without members; its `rank`
 * is `MPI.UNDEFINED`.
 *
 * @example
 * ```ts
 * MPI.GROUP_EMPTY.size; // 0
 * ```
 */
export const GROUP_EMPTY: Group = new Group([], -1);

/** The group of `MPI.COMM_WORLD`: every rank of the transport's world, in order. */
function worldGroup(self: number): Group {
  return new Group(Array.from({ length: transport().worldSize }, (_, r) => r), self);
}

function expandRanges(ranges: readonly (readonly [number, number, number])[], call: string): number[] {
  const out: number[] = [];
  for (const [first, last, stride] of ranges) {
    if (!Number.isInteger(stride) || stride === 0) throw errors.arg(call, `invalid stride ${String(stride)}`);
    if (stride > 0 ? first > last : first < last) throw errors.emptyRange(call, first, last, stride);
    for (let r = first; stride > 0 ? r <= last : r >= last; r += stride) out.push(r);
  }
  return out;
}

function checkGroups(a: unknown, b: unknown, call: string): void {
  if (!(a instanceof Group) || !(b instanceof Group)) throw errors.group(call, 'expected two MPI.Group objects');
}

/** The world rank of this process, from whichever group knows it (`GROUP_EMPTY` does not). */
function selfOf(a: Group, b: Group): number {
  return a.selfRank >= 0 ? a.selfRank : b.selfRank;
}

/**
 * A numeric tag for a string tag (`Create_from_group`, `Create_from_groups`):
 * a 15-bit hash, the same on every rank.
 */
export function stringTag(tag: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < tag.length; i++) h = Math.imul(h ^ tag.charCodeAt(i), 0x01000193) >>> 0;
  return h & 0x7fff;
}
