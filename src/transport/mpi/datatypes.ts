/**
 * Derived datatypes as MPI datatypes: the typemap of an mpi4ts `Datatype`
 * (`src/datatype/typemap.ts`) built in the MPI library
 * (`MPI_Type_create_struct` of its blocks, resized to its bounds,
 * committed; native/datatype.c), for the calls that must hand MPI a
 * datatype rather than packed bytes.
 *
 * MPI-4.1 §5.1.2, §5.1.7, §5.1.9 (the constructors used, commit and free),
 * §6.9.5 (a user op is called with the reduction's datatype).
 *
 * Used by MPI-IO file views (`file.ts`, which owns and frees the types of
 * each view), by reductions with a user op on a derived type (the type of
 * one packed element, {@link NativeDatatypes.packedElement}: the data is
 * packed, and MPI must split it between elements, never within one) and by
 * the native tests (test/native/datatype.ts), which check mpi4ts's layouts
 * and packing against the library's.
 *
 * Unfinished: point-to-point and the other collectives do not use these (a
 * derived type's data moves packed on both transports, `src/buffer.ts`).
 *
 * @module
 */

import type { Datatype } from '../../datatype/index.js';
import { errors } from '../../errors.js';
import { asMPIError, type NativeMPI } from './native.js';

const tables = new WeakMap<NativeMPI, NativeDatatypes>();

/** The table of MPI datatypes of a binding (one per binding). */
export function nativeDatatypes(native: NativeMPI): NativeDatatypes {
  let table = tables.get(native);
  if (table === undefined) {
    table = new NativeDatatypes(native);
    tables.set(native, table);
  }
  return table;
}

/** The MPI datatype of each mpi4ts datatype, built once. */
export class NativeDatatypes {
  readonly #handles = new WeakMap<Datatype, number>();
  #indexByName: Map<string, number> | undefined;
  /** The packed element types, by datatype and back by handle; freed once their datatype is collected. */
  readonly #packed = new WeakMap<Datatype, number>();
  readonly #packedOf = new Map<number, WeakRef<Datatype>>();
  readonly #collected = new FinalizationRegistry<number>((handle) => {
    this.#packedOf.delete(handle);
    try {
      this.native.typeFree(handle);
    } catch {
      // MPI finalized: nothing left to free.
    }
  });

  constructor(private readonly native: NativeMPI) {}

  /**
   * The handle of an MPI datatype of one element of the derived `datatype`
   * as mpi4ts moves it, packed: its basic elements back to back, extent its
   * size. A reduction with a user op passes it (as the data calls' datatype
   * index `datatypeNames.length + handle`), so that MPI hands the op whole
   * elements and names this type, which {@link packedDatatype} maps back.
   */
  packedElement(datatype: Datatype, call: string): number {
    const known = this.#packed.get(datatype);
    if (known !== undefined) return known;
    datatype.checkUsable(call);
    const map = datatype.typemap;
    const disps: number[] = [];
    let at = 0;
    for (let b = 0; b < map.blockCounts.length; b++) {
      disps.push(at);
      at += map.blockCounts[b]! * map.blockTypes[b]!.size;
    }
    let handle: number;
    try {
      handle = this.native.typeCreate(disps, [...map.blockCounts], map.blockTypes.map((t) => this.basicIndex(t, call)), 0, map.size);
    } catch (e) {
      throw asMPIError(this.native, e, call, 'MPI_Type_create_struct');
    }
    this.#packed.set(datatype, handle);
    this.#packedOf.set(handle, new WeakRef(datatype));
    this.#collected.register(datatype, handle);
    return handle;
  }

  /** The datatype whose {@link packedElement} has `handle`, while it lives. */
  packedDatatype(handle: number): Datatype | undefined {
    return this.#packedOf.get(handle)?.deref();
  }

  /** The binding's index of a basic datatype. */
  private basicIndex(basic: Datatype, call: string): number {
    this.#indexByName ??= new Map(this.native.datatypeNames.map((n, i) => [n, i]));
    const i = this.#indexByName.get(basic.name);
    if (i === undefined) throw errors.type(call, `${basic.name} has no MPI counterpart`);
    return i;
  }

  /** The handle of `datatype`'s MPI datatype, built and committed on first use. */
  handle(datatype: Datatype, call: string): number {
    const known = this.#handles.get(datatype);
    if (known !== undefined) return known;
    const handle = this.build(datatype, call);
    this.#handles.set(datatype, handle);
    return handle;
  }

  /**
   * A new MPI datatype of `datatype`, built and committed, that the caller
   * owns and frees with `native.typeFree` (a file view's types live as long
   * as the view, `file.ts`). `forView`: built by `fileTypeCreate` (the
   * predefined type for one basic element, a vector or hindexed type where
   * the typemap is one: ompio reads and writes those much faster than a
   * struct) rather than `typeCreate`, and freed by `fileTypeFree`.
   */
  build(datatype: Datatype, call: string, forView = false): number {
    datatype.checkUsable(call);
    const map = datatype.typemap;
    const basics = map.blockTypes.map((t) => this.basicIndex(t, call));
    let handle: number;
    try {
      handle = (forView ? this.native.fileTypeCreate : this.native.typeCreate).call(this.native, [...map.blockDisps],
        [...map.blockCounts], basics, map.lb, map.extent);
    } catch (e) {
      throw asMPIError(this.native, e, call, forView ? 'MPI_Type_create_hvector' : 'MPI_Type_create_struct');
    }
    return handle;
  }

  /** Frees `datatype`'s MPI datatype, if it has one. */
  free(datatype: Datatype): void {
    const handle = this.#handles.get(datatype);
    if (handle === undefined) return;
    this.#handles.delete(datatype);
    this.native.typeFree(handle);
  }
}
