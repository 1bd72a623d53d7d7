/**
 * Derived datatypes as MPI datatypes: the typemap of an mpi4ts `Datatype`
 * (`src/datatype/typemap.ts`) built in the MPI library
 * (`MPI_Type_create_struct` of its blocks, resized to its bounds,
 * committed; native/datatype.c), for the calls that must hand MPI a
 * datatype rather than packed bytes: MPI-IO file views and RMA on the mpi
 * transport.
 *
 * MPI-4.1 §5.1.2, §5.1.7, §5.1.9 (the constructors used, commit and free).
 *
 * Used by MPI-IO file views (`file.ts`, which owns and frees the types of
 * each view) and by the native tests
 * (test/native/datatype.ts), which check mpi4ts's layouts and packing
 * against the library's.
 *
 * Unfinished: point-to-point and collectives do not use these (a derived
 * type's data moves packed on both transports, `src/buffer.ts`).
 *
 * @module
 */

import type { Datatype } from '../../datatype/index.js';
import { errors } from '../../errors.js';
import { asMPIError, type NativeMPI } from './native.js';

/** The MPI datatype of each mpi4ts datatype, built once. */
export class NativeDatatypes {
  readonly #handles = new WeakMap<Datatype, number>();
  #indexByName: Map<string, number> | undefined;

  constructor(private readonly native: NativeMPI) {}

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
    this.#indexByName ??= new Map(this.native.datatypeNames.map((n, i) => [n, i]));
    const map = datatype.typemap;
    const basics = map.blockTypes.map((t) => {
      const i = this.#indexByName!.get(t.name);
      if (i === undefined) throw errors.type(call, `${t.name} has no MPI counterpart`);
      return i;
    });
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
