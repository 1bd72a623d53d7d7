/**
 * The datatypes' former module, kept so that `./datatype.js` imports keep
 * working: everything lives in `src/datatype/` now.
 *
 * MPI-4.1 §3.2.2, §5.1, §5.2 (see `datatype/datatype.ts`).
 *
 * Unfinished: nothing here; see `datatype/datatype.ts`.
 *
 * @module
 */

export * from './datatype/index.js';
