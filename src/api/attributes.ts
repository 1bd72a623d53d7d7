/**
 * The predefined attributes of communicators: their keys.
 *
 * MPI-4.1 §7.7.2 and §11.10.1 (predefined attributes of `MPI_COMM_WORLD`:
 * `MPI_TAG_UB`, `MPI_HOST`, `MPI_IO`, `MPI_WTIME_IS_GLOBAL`,
 * `MPI_UNIVERSE_SIZE`, `MPI_APPNUM`, `MPI_LASTUSEDCODE`). `Comm.Get_attr`
 * answers them; user attributes are `src/attributes.ts`'s.
 *
 * `MPI.TAG_UB` is both the largest tag and, as in MPI, the key of the
 * attribute that holds it: `comm.Get_attr(MPI.TAG_UB)` returns `MPI.TAG_UB`.
 *
 * Unfinished: nothing known.
 *
 * @module
 */

/** Keys of the predefined attributes (MPI-4.1 §7.7.2, §11.10.1); `MPI.TAG_UB` is its own key. */
export const HOST = 1;
export const IO = 2;
export const WTIME_IS_GLOBAL = 3;
export const UNIVERSE_SIZE = 4;
export const APPNUM = 5;
export const LASTUSEDCODE = 6;
