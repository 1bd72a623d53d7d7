/**
 * Conformance chapter: derived datatypes (MPI-4.1 chapter 5). Constructors'
 * sizes, bounds, extents, envelopes and contents checked against values
 * worked out by hand from the standard's examples (§5.1.2: the oldtype
 * {(double, 0), (char, 8)} of extent 16); Pack/Unpack round trips and the
 * external32 byte order; a matrix column, a subarray block and a struct sent
 * and received with derived types on both sides, matching plain elements of
 * the same type signature; collectives with derived types; and the errors of
 * misuse. An SPMD program for 1 or more ranks on any transport; see cases.ts.
 *
 * @module
 */
import { MPI, type Datatype } from 'mpi4ts';
import { fromTypedArray, toTypedArray } from 'mpi4ts/util/dtlib';
import { type Case, check, runCases } from './cases.js';

/** Size, lb, ub, true lb, true ub and extent of `t`, all at once. */
function shape(t: Datatype): number[] {
  return [t.size, t.lb, t.ub, t.true_lb, t.true_ub, t.extent, t.true_extent];
}

/** The standard's oldtype of §5.1.2: {(double, 0), (char, 8)}, extent 16. */
function exampleType(): Datatype {
  return MPI.Datatype.Create_struct([1, 1], [0, 8], [MPI.DOUBLE, MPI.CHAR]).Create_resized(0, 16);
}

/** An n x n row-major matrix with entry (i, j) = 1000 * seed + 10 * i + j. */
function matrix(n: number, seed: number): Float64Array {
  return Float64Array.from({ length: n * n }, (_, k) => 1000 * seed + 10 * Math.floor(k / n) + (k % n));
}

const cases: Case[] = [
  {
    name: 'attributes on datatypes: Create_keyval, Set_attr, Get_attr, copy on Dup, delete on Free and Delete_attr',
    run: async () => {
      const deleted: unknown[] = [];
      const copied = MPI.Datatype.Create_keyval(true, (_t, _k, value) => { deleted.push(value); });
      const doubled = MPI.Datatype.Create_keyval((_t, _k, value) => 2 * (value as number));
      const private_ = MPI.Datatype.Create_keyval();
      const t = MPI.DOUBLE.Create_contiguous(3).Commit();
      check.equal(t.Get_attr(copied), undefined);
      t.Set_attr(copied, 'a');
      t.Set_attr(copied, 'b'); // replaces: the delete callback sees 'a'
      t.Set_attr(doubled, 21);
      t.Set_attr(private_, { x: 1 });
      check.deepEqual(deleted, ['a']);
      const dup = t.Dup();
      check.deepEqual([dup.Get_attr(copied), dup.Get_attr(doubled), dup.Get_attr(private_)], ['b', 42, undefined]);
      dup.Delete_attr(copied);
      check.deepEqual(deleted, ['a', 'b']);
      check.throwsMPI(() => dup.Delete_attr(copied), MPI.ERR_KEYVAL, /Datatype\.Delete_attr/);
      t.Free();
      check.deepEqual(deleted, ['a', 'b', 'b']);
      // predefined types take attributes too; a communicator's keyval is not a datatype's
      MPI.INT.Set_attr(private_, 7);
      check.equal(MPI.INT.Get_attr(private_), 7);
      MPI.INT.Delete_attr(private_);
      const commKey = MPI.Comm.Create_keyval();
      check.throwsMPI(() => MPI.INT.Get_attr(commKey), MPI.ERR_KEYVAL, /Datatype\.Get_attr/);
      check.throwsMPI(() => MPI.COMM_SELF.Get_attr(copied), MPI.ERR_KEYVAL, /Comm\.Get_attr/);
      check.equal(MPI.Datatype.Free_keyval(copied), MPI.KEYVAL_INVALID);
      check.throwsMPI(() => MPI.INT.Set_attr(copied, 1), MPI.ERR_KEYVAL, /Datatype\.Set_attr/);
      MPI.Comm.Free_keyval(commKey);
      MPI.Datatype.Free_keyval(doubled);
      MPI.Datatype.Free_keyval(private_);
    },
  },
  {
    name: 'predefined C and Fortran types, mpi4py\'s aliases, complex reductions, Create_f90_* and Match_size',
    run: async (comm) => {
      const { rank, size } = comm;
      const sum = size * (size + 1) / 2;
      // mpi4py's other names are the same objects
      check.equal(MPI.SIGNED_INT, MPI.INT);
      check.equal(MPI.F_DOUBLE, MPI.DOUBLE_PRECISION);
      check.equal(MPI.INT_INT, MPI.TWOINT);
      check.equal(MPI.C_FLOAT_COMPLEX, MPI.C_COMPLEX);
      check.deepEqual([MPI.INTEGER8.size, MPI.LOGICAL.size, MPI.COMPLEX.size, MPI.DOUBLE_COMPLEX.size, MPI.AINT.size, MPI.WCHAR.size],
        [8, 4, 8, 16, 8, 4]);
      check.equal(MPI.DOUBLE_COMPLEX.Get_name(), 'MPI_DOUBLE_COMPLEX');
      // Fortran integers, reals and logicals in reductions
      const ints = new Int32Array([rank + 1, -(rank + 1)]);
      const intSums = new Int32Array(2);
      await comm.Allreduce([ints, MPI.INTEGER], [intSums, MPI.INTEGER], MPI.SUM);
      check.deepEqual(Array.from(intSums), [sum, -sum]);
      const big = new BigInt64Array([BigInt(rank + 1) << 40n]);
      const bigMax = new BigInt64Array(1);
      await comm.Allreduce([big, MPI.INTEGER8], [bigMax, MPI.INTEGER8], MPI.MAX);
      check.equal(bigMax[0], BigInt(size) << 40n);
      const offsets = new BigInt64Array([BigInt(rank)]);
      const offsetSum = new BigInt64Array(1);
      await comm.Allreduce([offsets, MPI.OFFSET], [offsetSum, MPI.OFFSET], MPI.SUM);
      check.equal(offsetSum[0], BigInt(sum - size));
      const reals = new Float64Array([0.5 * (rank + 1)]);
      const realSum = new Float64Array(1);
      await comm.Allreduce([reals, MPI.REAL8], [realSum, MPI.REAL8], MPI.SUM);
      check.equal(realSum[0], sum / 2);
      // LOGICAL: every rank true in slot 0, only rank 0 in slot 1
      const logicals = new Int32Array([1, rank === 0 ? 1 : 0]);
      const and = new Int32Array(2);
      const or = new Int32Array(2);
      await comm.Allreduce([logicals, MPI.LOGICAL], [and, MPI.LOGICAL], MPI.LAND);
      await comm.Allreduce([logicals, MPI.LOGICAL], [or, MPI.LOGICAL], MPI.LOR);
      check.deepEqual(Array.from(and), [1, size === 1 ? 1 : 0]);
      check.deepEqual(Array.from(or), [1, 1]);
      // Complex numbers: (real, imaginary) pairs; rank r holds 1 + r i and 2 - i
      const z = new Float64Array([1, rank, 2, -1]);
      const zSum = new Float64Array(4);
      await comm.Allreduce([z, MPI.C_DOUBLE_COMPLEX], [zSum, MPI.C_DOUBLE_COMPLEX], MPI.SUM);
      check.deepEqual(Array.from(zSum), [size, sum - size, 2 * size, -size]);
      const zProd = new Float64Array(4);
      await comm.Allreduce([z, 2, MPI.DOUBLE_COMPLEX], [zProd, 2, MPI.DOUBLE_COMPLEX], MPI.PROD);
      let re = 1, im = 0, re2 = 1, im2 = 0;
      for (let r = 0; r < size; r++) {
        [re, im] = [re * 1 - im * r, re * r + im * 1];
        [re2, im2] = [re2 * 2 - im2 * -1, re2 * -1 + im2 * 2];
      }
      check.deepEqual(Array.from(zProd), [re, im, re2, im2]);
      const single = new Float32Array([rank, 1]);
      const singleSum = new Float32Array(2);
      await comm.Allreduce([single, MPI.C_COMPLEX], [singleSum, MPI.C_COMPLEX], MPI.SUM);
      check.deepEqual(Array.from(singleSum), [sum - size, size]);
      await check.rejectsMPI(comm.Allreduce([z, MPI.C_DOUBLE_COMPLEX], [zSum, MPI.C_DOUBLE_COMPLEX], MPI.MAX), MPI.ERR_OP);
      // Complex buffers travel point to point as any other
      const ring = new Float64Array(2);
      await Promise.all([comm.Sendrecv([new Float64Array([rank, -rank]), MPI.COMPLEX16], (rank + 1) % size, 3,
        [ring, MPI.COMPLEX16], (rank + size - 1) % size, 3)]);
      const left = (rank + size - 1) % size;
      check.deepEqual(Array.from(ring), [left, -left]);
      // Create_f90_* and Match_size (MPI-4.1 §19.2.5)
      const i9 = MPI.Datatype.Create_f90_integer(9);
      check.deepEqual([i9.size, i9.combiner, i9.is_named, i9.is_predefined], [4, MPI.COMBINER_F90_INTEGER, false, true]);
      check.deepEqual(i9.Get_envelope(), [1, 0, 0, MPI.COMBINER_F90_INTEGER]);
      check.deepEqual(i9.Get_contents(), [[9], [], []]);
      check.deepEqual(i9.decode()[1], 'F90_INTEGER');
      check.deepEqual(i9.decode()[2], { r: 9 });
      check.deepEqual([1, 2, 3, 4, 5, 10, 18].map((r) => MPI.Datatype.Create_f90_integer(r).size), [1, 1, 2, 2, 4, 8, 8]);
      check.deepEqual([[6, 37], [7, MPI.UNDEFINED], [MPI.UNDEFINED, 300]].map(([p, r]) => MPI.Datatype.Create_f90_real(p!, r!).size), [4, 8, 8]);
      const c15 = MPI.Datatype.Create_f90_complex(15, 300);
      check.deepEqual([c15.size, c15.combiner], [16, MPI.COMBINER_F90_COMPLEX]);
      check.deepEqual(c15.decode()[2], { p: 15, r: 300 });
      check.throwsMPI(() => MPI.Datatype.Create_f90_integer(19), MPI.ERR_ARG, /Datatype\.Create_f90_integer/);
      check.throwsMPI(() => MPI.Datatype.Create_f90_real(40, MPI.UNDEFINED), MPI.ERR_ARG, /Datatype\.Create_f90_real/);
      check.throwsMPI(() => i9.Free(), MPI.ERR_TYPE, /cannot be freed/);
      check.equal(MPI.Datatype.Match_size(MPI.TYPECLASS_INTEGER, 8), MPI.INTEGER8);
      check.equal(MPI.Datatype.Match_size(MPI.TYPECLASS_REAL, 4), MPI.REAL4);
      check.equal(MPI.Datatype.Match_size(MPI.TYPECLASS_COMPLEX, 16), MPI.COMPLEX16);
      check.throwsMPI(() => MPI.Datatype.Match_size(MPI.TYPECLASS_INTEGER, 3), MPI.ERR_ARG, /Datatype\.Match_size/);
      // An f90 type works in communication without Commit
      const values = new Int32Array([rank === 0 ? 77 : 0, rank === 0 ? -5 : 0]);
      await comm.Bcast([values, i9], 0);
      check.deepEqual(Array.from(values), [77, -5]);
      // The null handles and the error classes of names and ports
      check.deepEqual([MPI.OP_NULL, MPI.WIN_NULL], [null, null]);
      check.match(MPI.Get_error_string(MPI.ERR_NOT_SAME), /not identical/);
      check.equal(MPI.Get_error_class(MPI.ERR_PORT), MPI.ERR_PORT);
    },
  },
  {
    name: 'constructors: sizes, bounds and extents of the standard examples',
    run: async () => {
      const old = exampleType();
      check.deepEqual(shape(old), [9, 0, 16, 0, 9, 16, 9]);
      // Create_contiguous(3): {(double,0),(char,8),(double,16),(char,24),(double,32),(char,40)}
      check.deepEqual(shape(old.Create_contiguous(3)), [27, 0, 48, 0, 41, 48, 41]);
      // Create_vector(2, 3, 4): blocks at 0 and 64, three elements each: last char at 104
      check.deepEqual(shape(old.Create_vector(2, 3, 4)), [54, 0, 112, 0, 105, 112, 105]);
      // Create_vector(3, 1, -2): elements at 0, -32, -64
      check.deepEqual(shape(old.Create_vector(3, 1, -2)), [27, -64, 16, -64, 9, 80, 73]);
      // Create_hvector(2, 3, 4) on DOUBLE: blocks 4 bytes apart overlap; bounds follow the formula
      check.deepEqual(shape(MPI.DOUBLE.Create_hvector(2, 3, 4)), [48, 0, 28, 0, 28, 28, 28]);
      // Create_indexed([3, 1], [4, 0]): 3 elements at 64, 1 at 0
      const indexed = old.Create_indexed([3, 1], [4, 0]);
      check.deepEqual(shape(indexed), [36, 0, 112, 0, 105, 112, 105]);
      check.deepEqual(shape(MPI.INT.Create_hindexed([2, 1], [8, 0])), [12, 0, 16, 0, 16, 16, 16]);
      check.deepEqual(shape(MPI.INT.Create_indexed_block(2, [0, 5])), [16, 0, 28, 0, 28, 28, 28]);
      check.deepEqual(shape(MPI.SHORT.Create_hindexed_block(1, [6, 2])), [4, 2, 8, 2, 8, 6, 6]);
      // Create_struct([2, 1, 3], [0, 16, 26], [FLOAT, old, CHAR]): ub max(8, 32, 29) = 32 (no padding)
      const struct = MPI.Datatype.Create_struct([2, 1, 3], [0, 16, 26], [MPI.FLOAT, old, MPI.CHAR]);
      check.deepEqual(shape(struct), [20, 0, 32, 0, 29, 32, 29]);
      // Create_resized
      check.deepEqual(shape(MPI.INT.Create_resized(-4, 16)), [4, -4, 12, 0, 4, 16, 4]);
      check.deepEqual(MPI.INT.Create_resized(-4, 16).Get_extent(), [-4, 16]);
      check.deepEqual(old.Create_vector(3, 1, -2).Get_true_extent(), [-64, 73]);
      // Predefined
      check.deepEqual(shape(MPI.DOUBLE), [8, 0, 8, 0, 8, 8, 8]);
      check.equal(MPI.DOUBLE.Get_size(), 8);
    },
  },
  {
    name: 'constructors: subarray (C and Fortran order) and darray (block, cyclic, none)',
    run: async () => {
      // 2 x 3 block at (1, 2) of a 4 x 6 array of doubles
      const c = MPI.DOUBLE.Create_subarray([4, 6], [2, 3], [1, 2], MPI.ORDER_C);
      check.deepEqual(shape(c), [48, 0, 192, 64, 136, 192, 72]);
      const f = MPI.DOUBLE.Create_subarray([4, 6], [2, 3], [1, 2], MPI.ORDER_FORTRAN);
      check.deepEqual(shape(f), [48, 0, 192, 72, 152, 192, 80]);
      // default order is C
      check.deepEqual(shape(MPI.DOUBLE.Create_subarray([4, 6], [2, 3], [1, 2])), shape(c));
      // 4 x 6 ints on a 2 x 2 grid, block x block: rank 3 is (1, 1): rows 2..3, columns 3..5
      const block = MPI.INT.Create_darray(4, 3, [4, 6], [MPI.DISTRIBUTE_BLOCK, MPI.DISTRIBUTE_BLOCK],
        [MPI.DISTRIBUTE_DFLT_DARG, MPI.DISTRIBUTE_DFLT_DARG], [2, 2]);
      check.deepEqual(shape(block), [24, 0, 96, 60, 96, 96, 36]);
      // 10 ints, cyclic(2) over 2 processes: rank 1 owns 2, 3, 6, 7
      const cyclic = MPI.INT.Create_darray(2, 1, [10], [MPI.DISTRIBUTE_CYCLIC], [2], [2]);
      check.deepEqual(shape(cyclic), [16, 0, 40, 8, 32, 40, 24]);
      const owned = new Int32Array(4);
      cyclic.Commit().Pack(Int32Array.from({ length: 10 }, (_, i) => i), owned, 0);
      check.deepEqual(Array.from(owned), [2, 3, 6, 7]);
      // not distributed in dimension 0, block in dimension 1 over 2: rank 1 owns the right half of each row
      const half = MPI.INT.Create_darray(2, 1, [4, 4], [MPI.DISTRIBUTE_NONE, MPI.DISTRIBUTE_BLOCK],
        [MPI.DISTRIBUTE_DFLT_DARG, MPI.DISTRIBUTE_DFLT_DARG], [1, 2]).Commit();
      const right = new Int32Array(8);
      half.Pack(Int32Array.from({ length: 16 }, (_, i) => i), right, 0);
      check.deepEqual(Array.from(right), [2, 3, 6, 7, 10, 11, 14, 15]);
      // Fortran order subarray: column-major, the first index runs fastest
      const sub = MPI.INT.Create_subarray([3, 2], [2, 1], [1, 1], MPI.ORDER_FORTRAN).Commit();
      const picked = new Int32Array(2);
      sub.Pack(Int32Array.from({ length: 6 }, (_, i) => i), picked, 0);
      check.deepEqual(Array.from(picked), [4, 5]);
    },
  },
  {
    name: 'envelopes, contents, decode, names, Dup, predefined properties',
    run: async () => {
      const v = MPI.DOUBLE.Create_vector(3, 1, 4);
      check.deepEqual(v.Get_envelope(), [3, 0, 1, MPI.COMBINER_VECTOR]);
      check.deepEqual(v.envelope, [3, 0, 1, MPI.COMBINER_VECTOR]);
      const [ints, addrs, types] = v.Get_contents();
      check.deepEqual(ints, [3, 1, 4]);
      check.deepEqual(addrs, []);
      check.ok(types.length === 1 && types[0] === MPI.DOUBLE);
      check.equal(v.combiner, MPI.COMBINER_VECTOR);
      const [base, name, params] = v.decode();
      check.ok(base === MPI.DOUBLE);
      check.equal(name, 'VECTOR');
      check.deepEqual(params, { count: 3, blocklength: 1, stride: 4 });
      check.deepEqual(MPI.INT.Create_hvector(2, 1, 16).Get_envelope(), [2, 1, 1, MPI.COMBINER_HVECTOR]);
      check.deepEqual(MPI.INT.Create_hvector(2, 1, 16).contents.slice(0, 2), [[2, 1], [16]]);
      check.deepEqual(MPI.INT.Create_indexed([3, 1], [4, 0]).Get_contents()[0], [2, 3, 1, 4, 0]);
      check.deepEqual(MPI.INT.Create_hindexed([3, 1], [4, 0]).Get_envelope(), [3, 2, 1, MPI.COMBINER_HINDEXED]);
      check.deepEqual(MPI.INT.Create_indexed_block(2, [0, 5]).Get_contents()[0], [2, 2, 0, 5]);
      check.deepEqual(MPI.INT.Create_hindexed_block(2, [0, 5]).Get_envelope(), [2, 2, 1, MPI.COMBINER_HINDEXED_BLOCK]);
      const s = MPI.Datatype.Create_struct([1, 2], [0, 8], [MPI.DOUBLE, MPI.INT]);
      check.deepEqual(s.Get_envelope(), [3, 2, 2, MPI.COMBINER_STRUCT]);
      check.deepEqual(s.decode()[2], { blocklengths: [1, 2], displacements: [0, 8], datatypes: [MPI.DOUBLE, MPI.INT] });
      check.deepEqual(MPI.INT.Create_contiguous(5).decode().slice(1), ['CONTIGUOUS', { count: 5 }]);
      check.deepEqual(MPI.INT.Create_subarray([4, 6], [2, 3], [1, 2]).Get_contents()[0], [2, 4, 6, 2, 3, 1, 2, MPI.ORDER_C]);
      check.deepEqual(MPI.INT.Create_subarray([4, 6], [2, 3], [1, 2]).decode()[2],
        { sizes: [4, 6], subsizes: [2, 3], starts: [1, 2], order: MPI.ORDER_C });
      const d = MPI.INT.Create_darray(2, 1, [10], [MPI.DISTRIBUTE_CYCLIC], [2], [2]);
      check.deepEqual(d.Get_envelope(), [8, 0, 1, MPI.COMBINER_DARRAY]);
      check.deepEqual(d.decode()[2], { size: 2, rank: 1, gsizes: [10], distribs: [MPI.DISTRIBUTE_CYCLIC], dargs: [2],
        psizes: [2], order: MPI.ORDER_C });
      const r = MPI.INT.Create_resized(-4, 16);
      check.deepEqual(r.Get_envelope(), [0, 2, 1, MPI.COMBINER_RESIZED]);
      check.deepEqual(r.decode()[2], { lb: -4, extent: 16 });
      // predefined
      check.deepEqual(MPI.DOUBLE.Get_envelope(), [0, 0, 0, MPI.COMBINER_NAMED]);
      check.ok(MPI.DOUBLE.is_named && MPI.DOUBLE.is_predefined);
      check.ok(!v.is_named && !v.is_predefined);
      check.deepEqual(MPI.DOUBLE.decode().slice(1), ['NAMED', {}]);
      check.throwsMPI(() => MPI.DOUBLE.Get_contents(), MPI.ERR_TYPE, /Datatype\.Get_contents/);
      // names
      check.equal(MPI.DOUBLE.Get_name(), 'MPI_DOUBLE');
      check.equal(v.Get_name(), '');
      v.Set_name('column');
      check.equal(v.Get_name(), 'column');
      check.equal(v.name, 'column');
      check.throwsMPI(() => MPI.INT.Set_name('x'), MPI.ERR_TYPE, /cannot be renamed/);
      // Dup keeps the typemap and the commit state
      const dup = v.Commit().Dup();
      check.equal(dup.combiner, MPI.COMBINER_DUP);
      check.deepEqual(shape(dup), shape(v));
      check.ok(dup.decode()[0] === v);
      check.equal(MPI.DATATYPE_NULL, null);
    },
  },
  {
    name: 'Pack, Unpack, Pack_size: round trips and positions',
    run: async (comm) => {
      const n = 4;
      const column = MPI.DOUBLE.Create_vector(n, 1, n).Commit();
      const a = matrix(n, 1);
      check.equal(column.Pack_size(1, comm), 32);
      check.equal(column.Pack_size(3, comm), 96);
      const out = new Uint8Array(8 + 32);
      // a first item, then the column, positions chaining as in MPI_Pack
      let position = MPI.INT.Pack(Int32Array.of(7, 8), out, 0, comm);
      check.equal(position, 8);
      position = column.Pack([a, 1], out, position, comm);
      check.equal(position, 40);
      check.deepEqual(Array.from(new Float64Array(out.buffer, 8, 4)), [1000, 1010, 1020, 1030]);
      const ints = new Int32Array(2);
      const back = new Float64Array(n * n);
      position = MPI.INT.Unpack(out, 0, ints, comm);
      position = column.Unpack(out, position, [back, 1], comm);
      check.equal(position, 40);
      check.deepEqual(Array.from(ints), [7, 8]);
      check.deepEqual(Array.from(back), Array.from({ length: n * n }, (_, k) => (k % n === 0 ? a[k]! : 0)));
      // a whole buffer holds as many elements as fit: one column of the n x n matrix
      check.equal(column.Pack(a, new Uint8Array(32), 0), 32);
      // struct {double x; int n;} of extent 16: packs 12 bytes each, skipping the padding
      const pair = MPI.Datatype.Create_struct([1, 1], [0, 8], [MPI.DOUBLE, MPI.INT]).Create_resized(0, 16).Commit();
      const raw = new ArrayBuffer(32);
      new Float64Array(raw)[0] = 1.5;
      new Int32Array(raw)[2] = 3;
      new Int32Array(raw)[3] = -1;
      new Float64Array(raw)[2] = 2.5;
      new Int32Array(raw)[6] = 4;
      check.equal(pair.Pack_size(2, comm), 24);
      const packed = new Uint8Array(24);
      check.equal(pair.Pack(new Uint8Array(raw), packed, 0, comm), 24);
      const view = new DataView(packed.buffer);
      check.deepEqual([view.getFloat64(0, true), view.getInt32(8, true), view.getFloat64(12, true), view.getInt32(20, true)],
        [1.5, 3, 2.5, 4]);
      const unpacked = new Uint8Array(32).fill(0xee);
      pair.Unpack(packed, 0, unpacked, comm);
      check.deepEqual(Array.from(unpacked.subarray(12, 16)), [0xee, 0xee, 0xee, 0xee]);
      check.deepEqual(Array.from(unpacked.subarray(0, 12)), Array.from(new Uint8Array(raw, 0, 12)));
      check.throwsMPI(() => column.Pack(a, new Uint8Array(16), 0), MPI.ERR_COUNT, /do not fit/);
    },
  },
  {
    name: 'external32: big-endian packing, sizes and round trips',
    run: async () => {
      const out = new Uint8Array(8);
      check.equal(MPI.INT.Pack_external('external32', Int32Array.of(1, 0x01020304), out, 0), 8);
      check.deepEqual(Array.from(out), [0, 0, 0, 1, 1, 2, 3, 4]);
      const d = new Uint8Array(8);
      MPI.DOUBLE.Pack_external('external32', Float64Array.of(1), d, 0);
      check.deepEqual(Array.from(d), [0x3f, 0xf0, 0, 0, 0, 0, 0, 0]);
      check.equal(MPI.DOUBLE.Pack_external_size('external32', 3), 24);
      const s = MPI.Datatype.Create_struct([1, 1], [0, 8], [MPI.SHORT, MPI.INT]).Create_resized(0, 12).Commit();
      check.equal(s.Pack_external_size('external32', 2), 12);
      const buf = new ArrayBuffer(24);
      new Int16Array(buf)[0] = 0x0102;
      new Int32Array(buf)[2] = 0x03040506;
      new Int16Array(buf)[6] = -2;
      new Int32Array(buf)[5] = 7;
      const ext = new Uint8Array(12);
      check.equal(s.Pack_external('external32', new Uint8Array(buf), ext, 0), 12);
      check.deepEqual(Array.from(ext), [1, 2, 3, 4, 5, 6, 0xff, 0xfe, 0, 0, 0, 7]);
      const back = new Uint8Array(24);
      check.equal(s.Unpack_external('external32', ext, 0, back), 12);
      check.deepEqual(new Int16Array(back.buffer)[6], -2);
      check.deepEqual(new Int32Array(back.buffer)[2], 0x03040506);
      const ints = new Int32Array(1);
      MPI.INT.Unpack_external('external32', Uint8Array.of(0, 0, 1, 0), 0, ints);
      check.equal(ints[0], 256);
      check.throwsMPI(() => MPI.INT.Pack_external_size('native', 1), MPI.ERR_ARG, /external32/);
    },
  },
  {
    name: 'Send a matrix column: received as plain doubles and into a column, Get_count and Get_elements',
    minRanks: 2,
    run: async (comm) => {
      const { rank, size } = comm;
      const right = (rank + 1) % size;
      const left = (rank - 1 + size) % size;
      const n = 5;
      const column = MPI.DOUBLE.Create_vector(n, 1, n).Commit();
      const a = matrix(n, rank);
      const j = rank % n;
      // column j of a: n doubles, matched by n MPI.DOUBLE
      const plain = new Float64Array(n);
      const status = new MPI.Status();
      await Promise.all([comm.Send([a.subarray(j), 1, column], right, 1), comm.Recv(plain, left, 1, status)]);
      const jl = left % n;
      check.deepEqual(Array.from(plain), Array.from({ length: n }, (_, i) => 1000 * left + 10 * i + jl));
      check.equal(status.Get_count(column), 1);
      check.equal(status.Get_elements(column), n);
      check.equal(status.Get_count(MPI.DOUBLE), n);
      // plain doubles into column 2 of a zero matrix
      const target = new Float64Array(n * n);
      await Promise.all([comm.Send(Float64Array.of(1, 2, 3, 4, 5), right, 2), comm.Recv([target.subarray(2), 1, column], left, 2)]);
      check.deepEqual(Array.from(target), Array.from({ length: n * n }, (_, k) => (k % n === 2 ? Math.floor(k / n) + 1 : 0)));
      // column to column with nonblocking calls, large enough to leave the eager path on shm
      const m = 200;
      const big = MPI.DOUBLE.Create_vector(m, 1, m).Commit();
      const src = Float64Array.from({ length: m * m }, (_, k) => rank * 1e6 + k);
      const dst = new Float64Array(m * m);
      const recv = comm.Irecv([dst, 1, big], left, 3);
      const send = comm.Isend([src, 1, big], right, 3);
      const st = new MPI.Status();
      await recv.wait(st);
      await send.wait();
      check.equal(st.Get_count(big), 1);
      let ok = true;
      for (let k = 0; k < m * m; k++) if (dst[k] !== (k % m === 0 ? left * 1e6 + k : 0)) ok = false;
      check.ok(ok, 'column 0 received, nothing else written');
      // a partial message fills the first elements of the type; Get_count is UNDEFINED, Get_elements counts them
      const part = new Float64Array(n * n);
      const st2 = new MPI.Status();
      await Promise.all([comm.Send(Float64Array.of(9, 8), right, 4), comm.Recv([part, 1, column], left, 4, st2)]);
      check.deepEqual([part[0], part[n], part[2 * n]], [9, 8, 0]);
      check.equal(st2.Get_count(column), MPI.UNDEFINED);
      check.equal(st2.Get_elements(column), 2);
      // Sendrecv_replace on a column
      const rep = matrix(n, rank);
      await comm.Sendrecv_replace([rep, 1, column], right, 5, left, 5);
      check.deepEqual(Array.from({ length: n }, (_, i) => rep[i * n]), Array.from({ length: n }, (_, i) => 1000 * left + 10 * i));
      check.equal(rep[1], 1000 * rank + 1);
      // a matched probe's receive into a column (its data once went to packed bytes and never reached the buffer)
      const probed = new Float64Array(n * n);
      const sent = comm.Send(Float64Array.of(1, 2, 3, 4, 5), right, 6);
      const message = await comm.Mprobe(left, 6);
      const st3 = new MPI.Status();
      await message.Recv([probed.subarray(1), 1, column], st3);
      await sent;
      check.deepEqual(Array.from(probed), Array.from({ length: n * n }, (_, k) => (k % n === 1 ? Math.floor(k / n) + 1 : 0)));
      check.equal(st3.Get_count(column), 1);
      probed.fill(0);
      const sentToo = comm.Send(Float64Array.of(6, 7, 8, 9, 10), right, 7);
      let found = comm.Improbe(left, 7);
      while (found === null) {
        await new Promise((resolve) => setTimeout(resolve, 1));
        found = comm.Improbe(left, 7);
      }
      await found.Irecv([probed.subarray(4), 1, column]).Wait();
      await sentToo;
      check.deepEqual(Array.from(probed), Array.from({ length: n * n }, (_, k) => (k % n === 4 ? Math.floor(k / n) + 6 : 0)));
      // a cancelled receive into a column is cancelled, and writes nothing (it once unpacked zeros over the column)
      const kept = new Float64Array(n * n).fill(3);
      const pending = comm.Irecv([kept, 1, column], left, 8);
      pending.Cancel();
      const cancelled = new MPI.Status();
      await pending.Wait(cancelled);
      check.equal(cancelled.Is_cancelled(), true);
      check.ok(kept.every((v) => v === 3), 'the cancelled receive wrote nothing');
    },
  },
  {
    name: 'Send a subarray block and a struct array',
    minRanks: 2,
    run: async (comm) => {
      const { rank, size } = comm;
      const right = (rank + 1) % size;
      const left = (rank - 1 + size) % size;
      // 2 x 3 block at (1, 2) of a 4 x 6 array, into the block at (2, 0) of another
      const from = MPI.DOUBLE.Create_subarray([4, 6], [2, 3], [1, 2]).Commit();
      const into = MPI.DOUBLE.Create_subarray([4, 6], [2, 3], [2, 0]).Commit();
      const a = Float64Array.from({ length: 24 }, (_, k) => rank * 100 + k);
      const b = new Float64Array(24).fill(-1);
      await Promise.all([comm.Send([a, 1, from], right, 1), comm.Recv([b, 1, into], left, 1)]);
      const expect = new Array<number>(24).fill(-1);
      for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) expect[(2 + i) * 6 + j] = left * 100 + (1 + i) * 6 + 2 + j;
      check.deepEqual(Array.from(b), expect);
      // struct { double x; int n; } x 3 of extent 16: padding untouched on the receiver
      const rec = MPI.Datatype.Create_struct([1, 1], [0, 8], [MPI.DOUBLE, MPI.INT]).Create_resized(0, 16).Commit();
      const out = new ArrayBuffer(48);
      for (let i = 0; i < 3; i++) {
        new Float64Array(out)[2 * i] = rank + i / 4;
        new Int32Array(out)[4 * i + 2] = rank * 10 + i;
      }
      const got = new ArrayBuffer(48);
      new Uint8Array(got).fill(0xaa);
      const st = new MPI.Status();
      await Promise.all([comm.Send([new Uint8Array(out), 3, rec], right, 2), comm.Recv([new Uint8Array(got), 3, rec], left, 2, st)]);
      for (let i = 0; i < 3; i++) {
        check.equal(new Float64Array(got)[2 * i], left + i / 4);
        check.equal(new Int32Array(got)[4 * i + 2], left * 10 + i);
        check.equal(new Uint32Array(got)[4 * i + 3], 0xaaaaaaaa);
      }
      check.equal(st.Get_count(rec), 3);
      check.equal(st.Get_elements(rec), 6);
      check.equal(st.count, 36);
    },
  },
  {
    name: 'collectives with derived datatypes: Bcast, Gather, Allgather into columns, Scatterv, Alltoall, reductions',
    run: async (comm) => {
      const { rank, size } = comm;
      const n = 4;
      const column = MPI.DOUBLE.Create_vector(n, 1, n).Commit();
      // Bcast a column of the root's matrix into column 1 of everyone's
      const m = rank === 0 ? matrix(n, 7) : new Float64Array(n * n);
      await comm.Bcast([m.subarray(rank === 0 ? 0 : 1), 1, column], 0);
      if (rank !== 0) check.deepEqual(Array.from({ length: n }, (_, i) => m[i * n + 1]), [7000, 7010, 7020, 7030]);
      else check.equal(m[1], 7001);
      // Gather a column of each rank (n doubles each) into contiguous rows at the root
      const mine = matrix(n, rank);
      const rows = rank === 0 ? new Float64Array(size * n) : null;
      await comm.Gather([mine.subarray(2), 1, column], rows, 0);
      if (rows !== null) {
        check.deepEqual(Array.from(rows), Array.from({ length: size * n }, (_, k) => 1000 * Math.floor(k / n) + 10 * (k % n) + 2));
      }
      // Allgather each rank's n values into column r of an n x size matrix: a column type resized to one double
      const col = MPI.DOUBLE.Create_vector(n, 1, size).Create_resized(0, 8).Commit();
      const grid = new Float64Array(n * size);
      await comm.Allgather(Float64Array.from({ length: n }, (_, i) => rank * 10 + i), [grid, 1, col]);
      check.deepEqual(Array.from(grid), Array.from({ length: n * size }, (_, k) => (k % size) * 10 + Math.floor(k / size)));
      // Scatterv columns: rank r gets r+1 columns' worth... one column each, of varying length (counts in elements of col)
      const source = rank === 0 ? Float64Array.from({ length: n * size }, (_, k) => k) : null;
      const got = new Float64Array(n);
      await comm.Scatterv(rank === 0 ? [source!, [new Array(size).fill(1), Array.from({ length: size }, (_, r) => r)], col] : null,
        got, 0);
      check.deepEqual(Array.from(got), Array.from({ length: n }, (_, i) => i * size + rank));
      // Alltoall: block r of the send buffer is column r of an n x size matrix
      const send = Float64Array.from({ length: n * size }, (_, k) => rank * 1000 + k);
      const recv = new Float64Array(n * size);
      await comm.Alltoall([send, 1, col], [recv, 1, col]);
      check.deepEqual(Array.from(recv),
        Array.from({ length: n * size }, (_, k) => (k % size) * 1000 + Math.floor(k / size) * size + rank));
      // Allreduce and Reduce over a column: only the column is written
      const sums = new Float64Array(n * n).fill(-1);
      await comm.Allreduce([matrix(n, rank), 1, column], [sums, 1, column], MPI.SUM);
      const total = (size * (size - 1)) / 2;
      for (let k = 0; k < n * n; k++) check.equal(sums[k], k % n === 0 ? 1000 * total + size * 10 * (k / n) : -1);
      const maxes = rank === 0 ? new Float64Array(n * n) : null;
      await comm.Reduce([matrix(n, rank).subarray(3), 1, column], maxes === null ? null : [maxes.subarray(3), 1, column],
        MPI.MAX, 0);
      if (maxes !== null) check.deepEqual(Array.from({ length: n }, (_, i) => maxes[i * n + 3]), Array.from({ length: n }, (_, i) => 1000 * (size - 1) + 10 * i + 3));
      // a contiguous derived type reduces as its elements
      const triple = MPI.INT.Create_contiguous(3).Commit();
      const out = new Int32Array(6);
      await comm.Allreduce([Int32Array.of(1, 2, 3, 4, 5, 6), 2, triple], [out, 2, triple], MPI.SUM);
      check.deepEqual(Array.from(out), [1, 2, 3, 4, 5, 6].map((v) => v * size));
      // a struct of mixed types cannot be reduced with SUM
      const mixed = MPI.Datatype.Create_struct([1, 1], [0, 8], [MPI.DOUBLE, MPI.INT]).Create_resized(0, 16).Commit();
      await check.rejectsMPI(comm.Allreduce([new Uint8Array(16), 1, mixed], [new Uint8Array(16), 1, mixed], MPI.SUM), MPI.ERR_OP);
    },
  },
  {
    name: 'user ops on derived types get the call\'s datatype and whole elements, however long the vector',
    run: async (comm) => {
      const { rank, size } = comm;
      const P = 1009;
      const pair = MPI.DOUBLE.Create_contiguous(2).Commit();
      // complex multiplication modulo P: commutative, and wrong wherever a call splits a pair
      const seen: { datatype: unknown; length: number }[] = [];
      const complexMul = MPI.Op.Create((inv: Float64Array, inout: Float64Array, datatype?: Datatype) => {
        seen.push({ datatype, length: inv.length });
        for (let i = 0; i < inv.length; i += 2) {
          const [a, b, c, d] = [inv[i]!, inv[i + 1]!, inout[i]!, inout[i + 1]!];
          inout[i] = (((a * c - b * d) % P) + P) % P;
          inout[i + 1] = (a * d + b * c) % P;
        }
      }, true);
      const mine = (n: number, r: number): Float64Array => Float64Array.from({ length: 2 * n }, (_, k) => (r * 31 + k * 7 + 1) % P);
      const expected = (n: number, ranks: number[]): number[] => {
        const out = mine(n, ranks[0]!);
        for (const r of ranks.slice(1)) complexMul.Reduce_local([mine(n, r), n, pair], [out, n, pair]);
        return Array.from(out);
      };
      const everyRank = Array.from({ length: size }, (_, r) => r);
      // Reduce_local: the derived type itself, n whole pairs
      seen.length = 0;
      complexMul.Reduce_local([mine(3, 1), 3, pair], [mine(3, 2), 3, pair]);
      check.deepEqual(seen, [{ datatype: pair, length: 6 }]);
      // the same datatype on both sides, as one datatype argument of MPI's (predefined ops take either: they see doubles)
      check.throwsMPI(() => complexMul.Reduce_local(mine(3, 1), [mine(3, 2), 3, pair]), MPI.ERR_COUNT, /6 × MPI_DOUBLE but inoutbuf 3 × <CONTIGUOUS of 16 bytes>/);
      await check.rejectsMPI(comm.Allreduce(mine(3, rank), [new Float64Array(6), 3, pair], complexMul), MPI.ERR_TYPE,
        /the send buffer holds MPI_DOUBLE but the receive buffer <CONTIGUOUS of 16 bytes>/);
      for (const n of [3, 50_001]) {
        seen.length = 0;
        const sums = new Float64Array(2 * n);
        await comm.Allreduce([mine(n, rank), n, pair], [sums, n, pair], complexMul);
        check.deepEqual(Array.from(sums), expected(n, everyRank), `Allreduce of ${n} pairs`);
        check.ok(seen.every((s) => s.datatype === pair && s.length % 2 === 0), `Allreduce of ${n} pairs: whole pairs of ${pair.name}`);
        const root = size - 1;
        const reduced = rank === root ? new Float64Array(2 * n) : null;
        await comm.Reduce([mine(n, rank), n, pair], reduced === null ? null : [reduced, n, pair], complexMul, root);
        if (reduced !== null) check.deepEqual(Array.from(reduced), expected(n, everyRank), `Reduce of ${n} pairs`);
        const scanned = new Float64Array(2 * n);
        await comm.Scan([mine(n, rank), n, pair], [scanned, n, pair], complexMul);
        check.deepEqual(Array.from(scanned), expected(n, everyRank.slice(0, rank + 1)), `Scan of ${n} pairs`);
        const blocks = new Float64Array(2 * n * size);
        for (let r = 0; r < size; r++) blocks.set(mine(n, rank), 2 * n * r);
        const block = new Float64Array(2 * n);
        await comm.Reduce_scatter_block([blocks, size * n, pair], [block, n, pair], complexMul);
        check.deepEqual(Array.from(block), expected(n, everyRank), `Reduce_scatter_block of ${n} pairs`);
        check.ok(seen.every((s) => s.datatype === pair && s.length % 2 === 0), `${n} pairs: every call got whole pairs of ${pair.name}`);
      }
      // a struct of mixed types comes as packed bytes (12 a {double, int} here); a non-commutative op sees rank order
      const digit = MPI.Datatype.Create_struct([1, 1], [0, 8], [MPI.DOUBLE, MPI.INT]).Create_resized(0, 16).Commit();
      const append = MPI.Op.Create((inv: Uint8Array, inout: Uint8Array, datatype?: Datatype) => {
        check.ok(datatype === digit && inv.byteLength % 12 === 0, 'the struct arrives packed, in whole elements');
        const a = new DataView(inv.buffer, inv.byteOffset, inv.byteLength);
        const b = new DataView(inout.buffer, inout.byteOffset, inout.byteLength);
        for (let at = 0; at < inv.byteLength; at += 12) {
          const places = b.getInt32(at + 8, true);
          b.setFloat64(at, a.getFloat64(at, true) * 10 ** places + b.getFloat64(at, true), true);
          b.setInt32(at + 8, a.getInt32(at + 8, true) + places, true);
        }
      });
      const element = new ArrayBuffer(32);
      for (const k of [0, 1]) {
        new DataView(element).setFloat64(16 * k, ((rank + k) % 9) + 1, true);
        new DataView(element).setInt32(16 * k + 8, 1, true);
      }
      const joined = new ArrayBuffer(32);
      await comm.Allreduce([new Uint8Array(element), 2, digit], [new Uint8Array(joined), 2, digit], append);
      for (const k of [0, 1]) {
        const digits = Number(everyRank.map((r) => ((r + k) % 9) + 1).join(''));
        check.deepEqual([new DataView(joined).getFloat64(16 * k, true), new DataView(joined).getInt32(16 * k + 8, true)], [digits, size],
          `element ${k} of the struct Allreduce`);
      }
      // a column (one basic type, with gaps) comes as its packed doubles
      const n = 4;
      const column = MPI.DOUBLE.Create_vector(n, 1, n).Commit();
      const maxAbs = MPI.Op.Create((inv: Float64Array, inout: Float64Array, datatype?: Datatype) => {
        check.ok(datatype === column && inv.length % n === 0, 'the column arrives as its packed doubles');
        for (let i = 0; i < inv.length; i++) if (Math.abs(inv[i]!) > Math.abs(inout[i]!)) inout[i] = inv[i]!;
      }, true);
      const grid = Float64Array.from({ length: n * n }, (_, k) => (k % n === 0 ? (rank % 2 === 0 ? 1 : -1) * (rank * 10 + k / n) : 99));
      const out = new Float64Array(n * n).fill(-5);
      await comm.Allreduce([grid, 1, column], [out, 1, column], maxAbs);
      const top = size - 1;
      check.deepEqual(Array.from(out), Array.from({ length: n * n }, (_, k) => (k % n === 0 ? (top % 2 === 0 ? 1 : -1) * (top * 10 + k / n) : -5)));
    },
  },
  {
    name: 'v-collectives and MPI.IN_PLACE with derived receive types',
    run: async (comm) => {
      const { rank, size } = comm;
      const n = 3;
      const col = MPI.DOUBLE.Create_vector(n, 1, size).Create_resized(0, 8).Commit();
      const ones = new Array<number>(size).fill(1);
      const at = Array.from({ length: size }, (_, r) => r);
      const expected = Array.from({ length: n * size }, (_, k) => (k % size) * 10 + Math.floor(k / size));
      const grid = rank === 0 ? new Float64Array(n * size) : null;
      await comm.Gatherv(Float64Array.from({ length: n }, (_, i) => rank * 10 + i), grid === null ? null : [grid, [ones, at], col], 0);
      if (grid !== null) check.deepEqual(Array.from(grid), expected);
      // in place: each rank's own column is already in the receive buffer
      const mine = new Float64Array(n * size).fill(-1);
      for (let i = 0; i < n; i++) mine[i * size + rank] = rank * 10 + i;
      await comm.Allgatherv(MPI.IN_PLACE, [mine, [ones, at], col]);
      check.deepEqual(Array.from(mine), expected);
      // Alltoallv: column r of the send matrix to rank r, received as plain doubles in rank order
      const send = Float64Array.from({ length: n * size }, (_, k) => rank * 100 + k);
      const recv = new Float64Array(n * size);
      await comm.Alltoallv([send, [ones, at], col], [recv, [new Array<number>(size).fill(n), null], MPI.DOUBLE]);
      check.deepEqual(Array.from(recv), Array.from({ length: n * size }, (_, k) => {
        const r = Math.floor(k / n);
        return r * 100 + (k % n) * size + rank;
      }));
    },
  },
  {
    name: 'intercommunicator and neighbour collectives with derived types',
    minRanks: 2,
    run: async (comm) => {
      const { rank, size } = comm;
      const color = rank < size / 2 ? 0 : 1;
      const half = (await comm.Split(color, rank))!;
      const inter = await half.Create_intercomm(0, comm, color === 0 ? Math.ceil(size / 2) : 0, 21);
      const remote = inter.Get_remote_size();
      const remoteRanks = Array.from({ length: remote }, (_, j) => (color === 0 ? Math.ceil(size / 2) : 0) + j);
      const n = 3;
      const colR = MPI.DOUBLE.Create_vector(n, 1, remote).Create_resized(0, 8).Commit();
      const grid = new Float64Array(n * remote);
      await inter.Allgather(Float64Array.from({ length: n }, (_, i) => rank * 10 + i), [grid, 1, colR]);
      check.deepEqual(Array.from(grid), Array.from({ length: n * remote }, (_, k) => remoteRanks[k % remote]! * 10 + Math.floor(k / remote)));
      // Bcast from local rank 0 of group 0: column 0 of its matrix into column 1 of the other group's matrices
      const column = MPI.DOUBLE.Create_vector(n, 1, n).Commit();
      const m = color === 0 && inter.rank === 0 ? matrix(n, 42) : new Float64Array(n * n);
      const root = color === 0 ? (inter.rank === 0 ? MPI.ROOT : MPI.PROC_NULL) : 0;
      await inter.Bcast([color === 1 ? m.subarray(1) : m, 1, column], root);
      if (color === 1) check.deepEqual(Array.from(m), Array.from({ length: n * n }, (_, k) => (k % n === 1 ? 42000 + 10 * Math.floor(k / n) : 0)));
      // a user op on pairs gets the pair type and whole pairs: here (a, b) + (c, d) = (a + c, b * d)
      const pair = MPI.INT.Create_contiguous(2).Commit();
      const types: unknown[] = [];
      const sumProd = MPI.Op.Create((inv: Int32Array, inout: Int32Array, datatype?: Datatype) => {
        types.push(datatype);
        for (let i = 0; i < inv.length; i += 2) [inout[i], inout[i + 1]] = [inv[i]! + inout[i]!, inv[i + 1]! * inout[i + 1]!];
      }, true);
      const pairs = new Int32Array(4);
      await inter.Allreduce([Int32Array.of(rank, rank + 1, 1, 2), 2, pair], [pairs, 2, pair], sumProd);
      const sumOf = remoteRanks.reduce((a, r) => a + r, 0);
      check.deepEqual(Array.from(pairs), [sumOf, remoteRanks.reduce((a, r) => a * (r + 1), 1), remote, 2 ** remote]);
      check.ok(types.every((t) => t === pair), 'the op sees the pair type');
      half.Free();
      // a ring: the two neighbours' values land in every other slot of the receive buffer (one int per
      // neighbour, blocks one resized extent of 8 bytes apart)
      const cart = (await comm.Create_cart([size], [true]))!;
      const everyOther = MPI.INT.Create_resized(0, 8).Commit();
      const got = new Int32Array(4).fill(-7);
      await cart.Neighbor_allgather(Int32Array.of(rank * 10), [got, 1, everyOther]);
      const [left, right] = cart.Shift(0, 1);
      check.deepEqual(Array.from(got), [left * 10, -7, right * 10, -7]);
      cart.Free();
    },
  },
  {
    name: 'errors: uncommitted and freed types, bad counts and arguments',
    run: async (comm) => {
      const dest = (comm.rank + 1) % comm.size;
      const loose = MPI.DOUBLE.Create_vector(2, 1, 2);
      await check.rejectsMPI(comm.Send([new Float64Array(4), 1, loose], dest), MPI.ERR_TYPE, /Comm\.Send.*not committed/);
      await check.rejectsMPI(comm.Bcast([new Float64Array(4), 1, loose], 0), MPI.ERR_TYPE, /Comm\.Bcast.*not committed/);
      // Packing moves a type's data as a message would: committed first, as Open MPI requires.
      check.throwsMPI(() => loose.Pack(new Float64Array(4), new Uint8Array(16), 0), MPI.ERR_TYPE, /Datatype\.Pack:.*not committed/);
      check.throwsMPI(() => loose.Unpack(new Uint8Array(16), 0, new Float64Array(4)), MPI.ERR_TYPE, /Datatype\.Unpack:.*not committed/);
      check.throwsMPI(() => loose.Pack_external('external32', new Float64Array(4), new Uint8Array(16), 0), MPI.ERR_TYPE,
        /Datatype\.Pack_external:.*not committed/);
      check.throwsMPI(() => loose.Unpack_external('external32', new Uint8Array(16), 0, new Float64Array(4)), MPI.ERR_TYPE,
        /Datatype\.Unpack_external:.*not committed/);
      const freed = MPI.INT.Create_contiguous(2).Commit();
      freed.Free();
      await check.rejectsMPI(comm.Send([new Int32Array(2), 1, freed], dest), MPI.ERR_TYPE, /freed/);
      check.throwsMPI(() => freed.Create_contiguous(2), MPI.ERR_TYPE, /Datatype\.Create_contiguous.*freed/);
      check.throwsMPI(() => MPI.DOUBLE.Free(), MPI.ERR_TYPE, /Datatype\.Free/);
      const column = loose.Commit();
      await check.rejectsMPI(comm.Send([new Float64Array(4), 2, column], dest), MPI.ERR_COUNT, /Comm\.Send.*count 2/);
      await check.rejectsMPI(comm.Send([new Float64Array(4), -1, column], dest), MPI.ERR_COUNT, /invalid count -1/);
      check.throwsMPI(() => MPI.INT.Create_vector(-1, 1, 1), MPI.ERR_COUNT, /Datatype\.Create_vector.*count -1/);
      check.throwsMPI(() => MPI.INT.Create_contiguous(1.5), MPI.ERR_COUNT, /count 1\.5/);
      check.throwsMPI(() => MPI.INT.Create_indexed([1, 2], [0]), MPI.ERR_ARG, /2 blocklengths but 1 displacements/);
      check.throwsMPI(() => MPI.Datatype.Create_struct([1], [0], []), MPI.ERR_ARG, /expected 1 datatypes/);
      check.throwsMPI(() => MPI.INT.Create_subarray([4], [3], [2]), MPI.ERR_ARG, /does not fit/);
      check.throwsMPI(() => MPI.INT.Create_subarray([4], [2], [0], 7), MPI.ERR_ARG, /invalid order 7/);
      check.throwsMPI(() => MPI.INT.Create_darray(4, 0, [8], [MPI.DISTRIBUTE_BLOCK], [MPI.DISTRIBUTE_DFLT_DARG], [2]),
        MPI.ERR_ARG, /do not multiply to 4/);
      check.throwsMPI(() => MPI.INT.Create_darray(2, 0, [8], [MPI.DISTRIBUTE_BLOCK], [2], [2]), MPI.ERR_ARG, /do not cover/);
      // a negative lower bound reaching before the buffer
      const before = MPI.INT.Create_resized(0, 4).Create_hindexed([1], [-4]).Commit();
      await check.rejectsMPI(comm.Send([new Int32Array(2), 1, before], dest), MPI.ERR_COUNT, /before the buffer's start/);
    },
  },
  {
    name: 'dtlib: fromTypedArray and toTypedArray',
    run: async () => {
      check.ok(fromTypedArray(Float64Array) === MPI.DOUBLE);
      check.ok(fromTypedArray(new Int32Array(2)) === MPI.INT);
      check.ok(fromTypedArray(Buffer.alloc(1)) === MPI.UNSIGNED_CHAR);
      check.ok(fromTypedArray(BigInt64Array) === MPI.INT64_T);
      check.ok(toTypedArray(MPI.FLOAT) === Float32Array);
      check.ok(toTypedArray(MPI.LONG) === BigInt64Array);
      check.ok(toTypedArray(MPI.INT.Create_vector(2, 1, 3)) === Int32Array);
      check.throwsMPI(() => toTypedArray(MPI.DOUBLE_INT), MPI.ERR_TYPE, /dtlib\.toTypedArray/);
      check.throwsMPI(() => toTypedArray(MPI.Datatype.Create_struct([1, 1], [0, 8], [MPI.DOUBLE, MPI.INT])), MPI.ERR_TYPE);
      for (const C of [Int8Array, Uint8Array, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array, Float64Array,
        BigInt64Array, BigUint64Array]) {
        check.ok(toTypedArray(fromTypedArray(C)) === C, C.name);
      }
    },
  },
];

await runCases('datatypes', cases);
