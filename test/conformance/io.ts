/**
 * Conformance chapter: parallel I/O (MPI-4.1 chapter 14), every call with
 * values checked: explicit offsets, individual and shared file pointers,
 * ordered access, collective access through subarray and vector views,
 * nonblocking and split collective forms, sizes, atomicity, delete on close,
 * and the I/O error classes. Files live in a fresh directory under
 * `os.tmpdir()` that rank 0 removes at the end. An SPMD program for 1 or more
 * ranks on any transport; see cases.ts for how cases run and report.
 *
 * @module
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type Datatype, type File, type Intracomm, MPI } from 'mpi4ts';
import { type Case, check, runCases } from './cases.js';

const world = MPI.COMM_WORLD;
const directory = await world.bcast(world.rank === 0 ? fs.mkdtempSync(path.join(os.tmpdir(), 'mpi4ts-io-')) : '', 0);
if (world.rank === 0) process.on('exit', () => fs.rmSync(directory, { recursive: true, force: true }));
let files = 0;

/** A fresh file name in the chapter's directory (the same on every rank: cases call it in the same order). */
function fresh(): string {
  return path.join(directory, `f${files++}`);
}

/** Opens a fresh file for reading and writing on `comm`. */
async function create(comm: Intracomm, extra = 0): Promise<[File, string]> {
  const name = fresh();
  return [await MPI.File.Open(comm, name, MPI.MODE_CREATE | MPI.MODE_RDWR | extra), name];
}

/** The whole file as 32-bit integers, read by this rank alone. */
function ints(name: string): number[] {
  const bytes = fs.readFileSync(name);
  return Array.from(new Int32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4));
}

const range = (n: number, f: (i: number) => number = (i) => i): number[] => Array.from({ length: n }, (_, i) => f(i));

/** The subarray case with the aggregation hint `hint`. */
async function subarray(comm: Intracomm, hint: string): Promise<void> {
  const { rank, size } = comm;
  const [py, px] = MPI.Compute_dims(size, 2) as [number, number];
  const [ly, lx] = [3, 5];
  const [gy, gx] = [py * ly, px * lx];
  const [cy, cx] = [Math.floor(rank / px), rank % px];
  const block = MPI.DOUBLE.Create_subarray([gy, gx], [ly, lx], [cy * ly, cx * lx]).Commit();
  const local = Float64Array.from(range(ly * lx, (i) => (cy * ly + Math.floor(i / lx)) * gx + cx * lx + (i % lx)));
  const [file, name] = await create(comm);
  file.Set_info(MPI.Info.Create({ romio_cb_write: hint, romio_cb_read: hint }));
  await file.Set_view(0, MPI.DOUBLE, block);
  const [disp, etype, filetype, datarep] = file.Get_view();
  check.deepEqual([disp, etype, filetype, datarep], [0, MPI.DOUBLE, block, 'native']);
  const status = new MPI.Status();
  await file.Write_all(local, status);
  check.equal(status.Get_count(MPI.DOUBLE), ly * lx);
  const bytes = fs.readFileSync(name);
  check.deepEqual(Array.from(new Float64Array(bytes.buffer, bytes.byteOffset, gy * gx)), range(gy * gx));
  check.equal(bytes.byteLength, gy * gx * 8);
  file.Seek(0);
  const back = new Float64Array(ly * lx);
  await file.Read_all(back, status);
  check.deepEqual(Array.from(back), Array.from(local));
  check.equal(file.Get_byte_offset(lx), ((cy * ly + 1) * gx + cx * lx) * 8, 'row 1 of the block');
  block.Free();
  await file.Close();
}

const cases: Case[] = [
  {
    name: 'Write_at / Read_at: each rank its block at an explicit offset; a read past the end is short',
    run: async (comm) => {
      const { rank, size } = comm;
      const [file, name] = await create(comm);
      const status = new MPI.Status();
      await file.Write_at(rank * 16, Int32Array.from(range(4, (i) => rank * 10 + i)), status);
      check.equal(status.Get_count(MPI.INT), 4);
      await comm.Barrier();
      check.equal(file.Get_size(), 16 * size);
      check.deepEqual(ints(name), range(4 * size, (i) => Math.floor(i / 4) * 10 + (i % 4)));
      const back = new Int32Array(4);
      await file.Read_at((size - 1 - rank) * 16, back, status);
      check.deepEqual(Array.from(back), range(4, (i) => (size - 1 - rank) * 10 + i));
      const tail = new Int32Array(8);
      await file.Read_at(16 * size - 8, tail, status);
      check.equal(status.Get_count(MPI.INT), 2, 'a read past the end stops at the end');
      check.deepEqual(Array.from(tail.subarray(0, 2)), [(size - 1) * 10 + 2, (size - 1) * 10 + 3]);
      check.equal(file.Get_position(), 0, 'explicit offsets leave the individual pointer');
      await file.Close();
      check.ok(!file.isOpen);
    },
  },
  {
    name: 'individual file pointer: Write, Read, Seek (SET, CUR, END), Get_position, Get_byte_offset',
    run: async (comm) => {
      const [file, name] = await create(comm);
      await file.Set_view(comm.rank * 40, MPI.INT);
      await file.Write(Int32Array.of(1, 2, 3));
      check.equal(file.Get_position(), 3);
      await file.Write(Int32Array.of(4, 5));
      check.equal(file.Get_position(), 5);
      check.equal(file.Get_byte_offset(5), comm.rank * 40 + 20);
      file.Seek(1);
      const two = new Int32Array(2);
      await file.Read(two);
      check.deepEqual(Array.from(two), [2, 3]);
      file.Seek(1, MPI.SEEK_CUR);
      check.equal(file.Get_position(), 4);
      await comm.Barrier();
      file.Seek(-1, MPI.SEEK_END);
      // The end of the file in this rank's view: the last rank's data ends it.
      check.equal(file.Get_position(), (comm.size - 1 - comm.rank) * 10 + 4);
      check.throwsMPI(() => file.Seek(-1), MPI.ERR_ARG, /File\.Seek: cannot seek to -1/);
      check.throwsMPI(() => file.Seek(0, 7), MPI.ERR_ARG, /invalid whence 7/);
      await file.Close();
      check.deepEqual(ints(name).slice(comm.rank * 10, comm.rank * 10 + 5), [1, 2, 3, 4, 5]);
    },
  },
  {
    name: 'shared file pointer: Write_shared from every rank lands each block once; Seek_shared, Read_shared',
    run: async (comm) => {
      const { rank, size } = comm;
      const [file, name] = await create(comm);
      await file.Set_view(0, MPI.INT);
      await file.Write_shared(Int32Array.of(rank, rank));
      await comm.Barrier();
      check.equal(await file.Get_position_shared(), 2 * size);
      const all = ints(name);
      check.equal(all.length, 2 * size);
      const firsts = range(size, (i) => all[2 * i]!);
      check.deepEqual([...firsts].sort((a, b) => a - b), range(size), 'each rank\'s block once');
      check.ok(range(size).every((i) => all[2 * i + 1] === all[2 * i]), 'blocks are not torn');
      await file.Seek_shared(0);
      check.equal(await file.Get_position_shared(), 0);
      await comm.Barrier(); // before any rank moves it again
      const got = new Int32Array(2);
      const status = new MPI.Status();
      await file.Read_shared(got, status);
      check.equal(status.Get_count(MPI.INT), 2);
      check.equal(got[0], got[1]);
      const seen = await comm.allgather(got[0]!);
      check.deepEqual([...seen].sort((a, b) => a - b), range(size), 'every block read by one rank');
      await file.Seek_shared(-2, MPI.SEEK_END);
      check.equal(await file.Get_position_shared(), 2 * size - 2);
      await file.Close();
    },
  },
  {
    name: 'ordered: Write_ordered puts the ranks\' data in rank order; Read_ordered reads it back',
    run: async (comm) => {
      const { rank, size } = comm;
      const [file, name] = await create(comm);
      await file.Set_view(0, MPI.INT);
      const mine = new Int32Array(rank + 1).fill(rank);
      const status = new MPI.Status();
      await file.Write_ordered(mine, status);
      check.equal(status.Get_count(MPI.INT), rank + 1);
      const total = (size * (size + 1)) / 2;
      check.equal(await file.Get_position_shared(), total);
      check.deepEqual(ints(name), range(size).flatMap((r) => range(r + 1, () => r)));
      await file.Seek_shared(0);
      const back = new Int32Array(rank + 1);
      await file.Read_ordered(back);
      check.deepEqual(Array.from(back), range(rank + 1, () => rank));
      await file.Close();
    },
  },
  {
    name: 'collective with a subarray view: Write_all of 2D blocks gives the global array in row order; Read_all back; ' +
      'aggregated, and not (romio_cb_write/read disable)',
    run: async (comm) => {
      for (const hint of ['automatic', 'disable']) await subarray(comm, hint);
    },
  },
  {
    name: 'collective hints: romio_cb_write enable aggregates large ranges the same',
    run: async (comm) => {
      const [file, name] = await create(comm);
      file.Set_info(MPI.Info.Create({ romio_cb_write: 'enable', romio_cb_read: 'enable' }));
      const big = 8192;
      await file.Set_view(4 * big * comm.rank, MPI.INT);
      await file.Write_all(Int32Array.from(range(big, (i) => comm.rank * big + i)));
      check.deepEqual(ints(name), range(big * comm.size));
      const back = new Int32Array(big);
      file.Seek(0);
      await file.Read_all(back);
      check.ok(back.every((v, i) => v === comm.rank * big + i));
      await file.Close();
    },
  },
  {
    name: 'vector and resized filetypes: interleaved views, Write_at_all / Read_at_all, a derived memory type',
    run: async (comm) => {
      const { rank, size } = comm;
      const [file, name] = await create(comm);
      // Rank r owns ints r, r + size, r + 2 size, ...: one int per tile of size ints.
      const tile = MPI.INT.Create_resized(0, 4 * size).Commit();
      await file.Set_view(4 * rank, MPI.INT, tile);
      await file.Write_at_all(0, Int32Array.from(range(12, (i) => i * size + rank)));
      check.deepEqual(ints(name), range(12 * size));
      const last = Int32Array.of(-5, -5);
      const short = new MPI.Status();
      await file.Read_at_all(11, last, short);
      check.equal(short.Get_count(MPI.INT), 1, 'a collective read stops at the end of the file');
      check.deepEqual(Array.from(last), [11 * size + rank, -5]);
      // A vector view: 2 blocks of 2 ints with a stride of 4, from int 2 on; memory: every other int.
      const vector = MPI.INT.Create_vector(2, 2, 4).Commit();
      await file.Set_view(8, MPI.INT, vector);
      const strided = MPI.INT.Create_vector(4, 1, 2).Commit();
      const into = new Int32Array(8).fill(-1);
      const status = new MPI.Status();
      await file.Read_at_all(0, [into, 1, strided], status);
      check.equal(status.Get_count(MPI.INT), 4);
      check.deepEqual(Array.from(into), [2, -1, 3, -1, 6, -1, 7, -1]);
      check.equal(file.Get_byte_offset(3), 8 + 4 * 4 + 4, 'etype 3 is the second of the second block');
      await file.Read_at_all(2, [into, 1, strided]);
      check.deepEqual(Array.from(into), [6, -1, 7, -1, 8, -1, 9, -1], 'tiles are an extent (6 ints) apart');
      check.equal(file.Get_type_extent(vector), vector.extent);
      for (const type of [tile, vector, strided]) type.Free();
      await file.Close();
    },
  },
  {
    name: 'a read that ends inside the last etype of the file reads the bytes before the end, no more: ' +
      'Read_at_all, Read_all, Iread_all, Iread_at_all, Iread_at',
    run: async (comm) => {
      const { rank, size } = comm;
      const [file, name] = await create(comm);
      // 2 ints per rank, interleaved (rank r owns int r of each tile of size ints), then 2 bytes of rank 0's third.
      const tile = MPI.INT.Create_resized(0, 4 * size).Commit();
      await file.Set_view(4 * rank, MPI.INT, tile);
      await file.Write_at_all(0, Int32Array.from(range(2, (i) => 0x01010101 * (i * size + rank + 1))));
      if (rank === 0) await file.Write_at(2, Uint8Array.of(0x7a, 0x7b, 0x7c, 0x7d)); // int 2, cut to 2 bytes below
      await comm.Barrier();
      await file.Set_size(8 * size + 2);
      const expectedBytes = rank === 0 ? 10 : 8;
      for (const form of ['Read_at_all', 'Read_all', 'Iread_all', 'Iread_at_all', 'Iread_at'] as const) {
        const into = new Int32Array(3).fill(-1);
        const status = new MPI.Status();
        if (form === 'Read_at_all') await file.Read_at_all(0, into, status);
        else if (form === 'Iread_at_all') await file.Iread_at_all(0, into).Wait(status);
        else if (form === 'Iread_at') await file.Iread_at(0, into).Wait(status);
        else {
          file.Seek(0);
          if (form === 'Read_all') await file.Read_all(into, status);
          else await file.Iread_all(into).Wait(status);
          check.equal(file.Get_position(), 2, `${form}: the pointer moves past the whole etypes read`);
        }
        check.equal(status.Get_count(MPI.BYTE), expectedBytes, `${form}: the bytes before the end of the file`);
        const bytes = new Uint8Array(into.buffer);
        check.deepEqual(Array.from(into.subarray(0, 2)), range(2, (i) => 0x01010101 * (i * size + rank + 1)), form);
        check.deepEqual(Array.from(bytes.subarray(8)), rank === 0 ? [0x7a, 0x7b, 0xff, 0xff] : [0xff, 0xff, 0xff, 0xff],
          `${form}: the bytes of the last etype in the file, and the rest of the buffer as it was`);
      }
      check.equal(fs.statSync(name).size, 8 * size + 2);
      tile.Free();
      await file.Close();
    },
  },
  {
    name: 'nonblocking forms: Iwrite_at, Iread_at, Iwrite, Iread, Iwrite_all, Iread_all, Iwrite_shared, Iread_at_all',
    run: async (comm) => {
      const { rank, size } = comm;
      const [file, name] = await create(comm);
      await file.Set_view(0, MPI.INT);
      const status = new MPI.Status();
      let request = file.Iwrite_at(rank * 2, Int32Array.of(rank, 10 + rank));
      await request.Wait(status);
      check.equal(status.Get_count(MPI.INT), 2);
      await comm.Barrier();
      const back = new Int32Array(2 * size);
      await file.Iread_at(0, back).Wait(status);
      check.equal(status.Get_count(MPI.INT), 2 * size);
      check.deepEqual(Array.from(back), range(size).flatMap((r) => [r, 10 + r]));
      // Individual pointers: each rank's own area after the first 2 size ints.
      file.Seek(2 * size + 3 * rank);
      const requests = [file.Iwrite(Int32Array.of(7)), file.Iwrite(Int32Array.of(8, 9))];
      check.equal(file.Get_position(), 2 * size + 3 * rank + 3, 'the pointer moves at the call');
      await MPI.Request.Waitall(requests);
      await comm.Barrier();
      file.Seek(2 * size + 3 * rank);
      const three = new Int32Array(3);
      await file.Iread(three).Wait();
      check.deepEqual(Array.from(three), [7, 8, 9]);
      file.Seek(5 * size + rank);
      await file.Iwrite_all(Int32Array.of(100 + rank)).Wait();
      file.Seek(5 * size);
      const all = new Int32Array(size);
      await file.Iread_all(all).Wait(status);
      check.deepEqual(Array.from(all), range(size, (r) => 100 + r));
      await file.Seek_shared(6 * size);
      await file.Iwrite_shared(Int32Array.of(1000 + rank)).Wait();
      await comm.Barrier();
      const shared = new Int32Array(size);
      await file.Iread_at_all(6 * size, shared).Wait();
      check.deepEqual([...shared].sort((a, b) => a - b), range(size, (r) => 1000 + r));
      await file.Close();
      check.equal(ints(name).length, 7 * size);
    },
  },
  {
    name: 'split collectives: Write_all, Read_at_all, Write_at_all, Read_all, Write_ordered, Read_ordered begin/end; ' +
      'one at a time (ERR_IO), ended at Close',
    run: async (comm) => {
      const { rank, size } = comm;
      const [file, name] = await create(comm);
      await file.Set_view(4 * rank, MPI.INT, MPI.INT.Create_resized(0, 4 * size).Commit());
      const mine = Int32Array.from(range(3, (i) => i * size + rank));
      check.throwsMPI(() => file.Write_all_begin(new Uint8Array(3)), MPI.ERR_TYPE,
        /File\.Write_all_begin: 3 bytes are not a whole number of etypes/);
      file.Write_all_begin(mine);
      check.throwsMPI(() => file.Read_all_begin(new Int32Array(1)), MPI.ERR_IO,
        /File\.Read_all_begin: File\.Write_all_begin is still active on this file: call File\.Write_all_end first/);
      check.throwsMPI(() => file.Write_all_begin(mine), MPI.ERR_IO, /File\.Write_all_begin: .*still active/);
      await check.rejectsMPI(file.Read_all_end(mine), MPI.ERR_IO,
        /File\.Read_all_end: the active split collective is File\.Write_all_begin: end it with File\.Write_all_end/);
      // Independent accesses may run while a split collective is active.
      const aside = new Int32Array(1);
      await file.Read_at(100, aside);
      const status = new MPI.Status();
      await file.Write_all_end(mine, status);
      check.equal(status.Get_count(MPI.INT), 3);
      check.deepEqual(ints(name), range(3 * size));
      await comm.Barrier(); // before any rank writes again
      const back = new Int32Array(3);
      file.Read_at_all_begin(0, back);
      await file.Read_at_all_end(back);
      check.deepEqual(Array.from(back), Array.from(mine));
      file.Write_at_all_begin(3, Int32Array.of(3 * size + rank));
      await file.Write_at_all_end(Int32Array.of(0));
      file.Seek(3);
      const one = new Int32Array(1);
      file.Read_all_begin(one);
      await file.Read_all_end(one);
      check.equal(one[0], 3 * size + rank);
      await check.rejectsMPI(file.Read_all_end(one), MPI.ERR_IO,
        /File\.Read_all_end: no File\.Read_all_begin is active on this file/);
      // A split read that reaches past the end of the file stops there.
      const past = new Int32Array(3).fill(-1);
      file.Read_at_all_begin(3, past);
      await file.Read_at_all_end(past, status);
      check.equal(status.Get_count(MPI.INT), 1, 'a split collective read stops at the end of the file');
      check.deepEqual(Array.from(past), [3 * size + rank, -1, -1]);
      await file.Set_view(0, MPI.INT);
      await file.Seek_shared(4 * size);
      file.Write_ordered_begin(Int32Array.of(rank, rank));
      await file.Write_ordered_end(Int32Array.of(0));
      check.deepEqual(ints(name).slice(4 * size), range(2 * size, (i) => Math.floor(i / 2)));
      await file.Seek_shared(4 * size);
      const pair = new Int32Array(2);
      file.Read_ordered_begin(pair);
      await file.Read_ordered_end(pair, status);
      check.deepEqual(Array.from(pair), [rank, rank]);
      check.equal(status.Get_count(MPI.INT), 2);
      // A split collective still active at Close ends there; its data is written.
      await file.Seek_shared(6 * size);
      file.Write_ordered_begin(Int32Array.of(100 + rank));
      await file.Close();
      check.deepEqual(ints(name).slice(6 * size), range(size, (r) => 100 + r));
    },
  },
  {
    name: 'sizes and state: Set_size, Preallocate, Get_size, atomicity, Sync, Get_amode, Get_group, Get_info, FILE_NULL',
    run: async (comm) => {
      const [file] = await create(comm);
      check.equal(file.Get_size(), 0);
      await file.Set_size(1000);
      check.equal(file.Get_size(), 1000);
      await file.Preallocate(500);
      check.equal(file.Get_size(), 1000, 'Preallocate never shrinks');
      await file.Preallocate(4096);
      check.equal(file.Get_size(), 4096);
      await file.Set_size(10);
      check.equal(file.Get_size(), 10);
      check.equal(file.Get_atomicity(), false);
      await file.Set_atomicity(true);
      check.equal(file.Get_atomicity(), true);
      await file.Sync();
      check.equal(file.Get_amode(), MPI.MODE_CREATE | MPI.MODE_RDWR);
      check.equal(file.Get_group().Get_size(), comm.size);
      check.equal(file.Get_info().Get_nkeys(), 0);
      check.deepEqual(file.Get_view().slice(0, 3), [0, MPI.BYTE, MPI.BYTE]);
      check.equal(file.Get_errhandler(), MPI.ERRORS_RETURN);
      check.equal(file.Get_type_extent(MPI.DOUBLE), 8);
      await check.rejectsMPI(file.Set_size(-1), MPI.ERR_ARG, /File\.Set_size: invalid size -1/);
      await file.Close();
      check.ok(!MPI.FILE_NULL.isOpen);
      check.throwsMPI(() => file.Get_size(), MPI.ERR_FILE, /File\.Get_size: the file is closed/);
      await check.rejectsMPI(file.Close(), MPI.ERR_FILE, /File\.Close/);
    },
  },
  {
    name: 'MODE_DELETE_ON_CLOSE removes the file at Close; File.Delete removes one; MODE_APPEND starts at the end',
    run: async (comm) => {
      const [file, name] = await create(comm, MPI.MODE_DELETE_ON_CLOSE);
      await file.Write_at_all(comm.rank, Uint8Array.of(65 + comm.rank));
      check.ok(fs.existsSync(name));
      await file.Close();
      check.ok(!fs.existsSync(name), 'deleted on close');
      const other = fresh();
      if (comm.rank === 0) fs.writeFileSync(other, 'abcdef');
      await comm.Barrier();
      const appending = await MPI.File.Open(comm, other, MPI.MODE_WRONLY | MPI.MODE_APPEND);
      check.equal(appending.Get_position(), 6);
      check.equal(await appending.Get_position_shared(), 6);
      await appending.Write_ordered(Uint8Array.of(48 + comm.rank));
      await appending.Close();
      check.equal(fs.readFileSync(other, 'latin1'), 'abcdef' + range(comm.size).join(''));
      await comm.Barrier(); // every rank has read it
      if (comm.rank === 0) await MPI.File.Delete(other);
      await comm.Barrier();
      check.ok(!fs.existsSync(other), 'File.Delete removed it');
    },
  },
  {
    name: 'uneven _all sizes, a filetype with holes, I-forms waited in another order than started',
    run: async (comm) => {
      const { rank, size } = comm;
      const [file, name] = await create(comm);
      // Rank r writes r + 1 ints after those of the ranks before it; rank 0 also writes nothing at the end.
      const before = (rank * (rank + 1)) / 2;
      const total = (size * (size + 1)) / 2;
      await file.Write_at_all(4 * before, Int32Array.from(range(rank + 1, (i) => before + i)));
      check.deepEqual(ints(name), range(total));
      await file.Write_at_all(4 * total, new Int32Array(0));
      check.equal(file.Get_size(), 4 * total, 'an empty contribution writes nothing');
      // Each rank: 2 tiles of 6 ints from 48 * (rank + 1) bytes on; a tile holds int 0 and ints 3, 4 (holes between).
      const base = 12 * (rank + 1);
      await file.Write_at_all(4 * base, new Int32Array(12).fill(-1));
      const holes = MPI.INT.Create_indexed([1, 2], [0, 3]).Create_resized(0, 24).Commit();
      await file.Set_view(4 * base, MPI.INT, holes);
      const status = new MPI.Status();
      await file.Write_at_all(0, Int32Array.from(range(6, (i) => 100 * rank + i)), status);
      check.equal(status.Get_count(MPI.INT), 6);
      const mine = ints(name).slice(base, base + 12);
      check.deepEqual(mine, [0, -1, -1, 1, 2, -1, 3, -1, -1, 4, 5, -1].map((v) => (v < 0 ? v : 100 * rank + v)));
      check.equal(file.Get_byte_offset(4), 4 * base + 24 + 12, 'etype 4 is int 3 of the second tile');
      const back = new Int32Array(6);
      await file.Read_at_all(0, back);
      check.deepEqual(Array.from(back), range(6, (i) => 100 * rank + i));
      // Nonblocking accesses started A, B and waited B, A; two collective ones likewise.
      const a = file.Iwrite_at(0, Int32Array.of(-7, -8));
      const b = file.Iwrite_at(2, Int32Array.of(-9));
      await b.Wait(status);
      check.equal(status.Get_count(MPI.INT), 1);
      await a.Wait(status);
      check.equal(status.Get_count(MPI.INT), 2);
      const c = file.Iwrite_at_all(3, Int32Array.of(-10, -11, -12));
      const d = file.Iread_at_all(0, new Int32Array(2));
      await d.Wait();
      await c.Wait();
      await comm.Barrier();
      const all = new Int32Array(6);
      const e = file.Iread_at_all(0, all);
      await e.Wait(status);
      check.equal(status.Get_count(MPI.INT), 6);
      check.deepEqual(Array.from(all), [-7, -8, -9, -10, -11, -12]);
      holes.Free();
      await file.Close();
    },
  },
  {
    name: 'Register_datarep: a byte-swapping representation converts writes and reads; ERR_DUP_DATAREP, ERR_CONVERSION',
    run: async (comm) => {
      const { rank, size } = comm;
      const swap = (from: Uint8Array, datatype: Datatype, count: number, to: Uint8Array): void => {
        const n = datatype.size;
        for (let i = 0; i < count * n; i += n) for (let b = 0; b < n; b++) to[i + b] = from[i + n - 1 - b]!;
      };
      MPI.Register_datarep('mpi4ts-swap', swap, swap, (datatype) => datatype.extent);
      MPI.Register_datarep('mpi4ts-wide', swap, swap, (datatype) => 2 * datatype.extent);
      MPI.Register_datarep('mpi4ts-failing', swap, () => {
        throw new Error('no room');
      }, (datatype) => datatype.extent);
      check.throwsMPI(() => MPI.Register_datarep('mpi4ts-swap', swap, swap, (t) => t.extent), MPI.ERR_DUP_DATAREP,
        /MPI\.Register_datarep: the data representation mpi4ts-swap is already registered/);
      check.throwsMPI(() => MPI.Register_datarep('native', swap, swap, (t) => t.extent), MPI.ERR_DUP_DATAREP, /native/);
      const [file, name] = await create(comm);
      await file.Set_view(0, MPI.INT, MPI.INT, 'mpi4ts-swap');
      check.equal(file.Get_view()[3], 'mpi4ts-swap');
      await file.Write_at_all(2 * rank, Int32Array.of(0x01020304 + rank, -2 - rank));
      const swapped = (v: number): number => new DataView(Int32Array.of(v).buffer).getInt32(0, false);
      check.deepEqual(ints(name), range(size).flatMap((r) => [swapped(0x01020304 + r), swapped(-2 - r)]));
      const back = new Int32Array(2 * size);
      const status = new MPI.Status();
      await file.Read_at_all(0, back, status);
      check.equal(status.Get_count(MPI.INT), 2 * size);
      check.deepEqual(Array.from(back), range(size).flatMap((r) => [0x01020304 + r, -2 - r]));
      const one = new Int32Array(1);
      await file.Iread_at(2 * rank + 1, one).Wait();
      check.deepEqual(Array.from(one), [-2 - rank], 'a nonblocking read converts too');
      await check.rejectsMPI(file.Set_view(0, MPI.INT, MPI.INT, 'mpi4ts-wide'), MPI.ERR_UNSUPPORTED_DATAREP,
        /File\.Set_view: unsupported data representation mpi4ts-wide: its extent of MPI_INT \(8\)/);
      await file.Set_view(0, MPI.INT, MPI.INT, 'mpi4ts-failing');
      await check.rejectsMPI(file.Write_at(0, Int32Array.of(1)), MPI.ERR_CONVERSION,
        /File\.Write_at: the mpi4ts-failing conversion function failed: no room/);
      await file.Close();
    },
  },
  {
    name: 'errors: ERR_NO_SUCH_FILE, ERR_AMODE, ERR_FILE_EXISTS, ERR_READ_ONLY, ERR_ACCESS, datarep, sequential',
    run: async (comm) => {
      const missing = fresh();
      await check.rejectsMPI(MPI.File.Open(comm, missing, MPI.MODE_RDONLY), MPI.ERR_NO_SUCH_FILE,
        /File\.Open: .*f\d+: no such file or directory \(ENOENT\)/);
      await check.rejectsMPI(MPI.File.Delete(missing), MPI.ERR_NO_SUCH_FILE, /File\.Delete: .*no such file/);
      for (const amode of [MPI.MODE_RDONLY | MPI.MODE_CREATE, MPI.MODE_RDWR | MPI.MODE_SEQUENTIAL, MPI.MODE_CREATE,
        MPI.MODE_RDONLY | MPI.MODE_WRONLY, 1 << 20]) {
        await check.rejectsMPI(MPI.File.Open(comm, missing, amode), MPI.ERR_AMODE, /File\.Open: invalid amode/);
      }
      const [file, name] = await create(comm);
      await file.Close();
      await check.rejectsMPI(MPI.File.Open(comm, name, MPI.MODE_CREATE | MPI.MODE_EXCL | MPI.MODE_WRONLY),
        MPI.ERR_FILE_EXISTS, /File\.Open: .*file exists already/);
      const reading = await MPI.File.Open(comm, name, MPI.MODE_RDONLY);
      await check.rejectsMPI(reading.Write(Uint8Array.of(1)), MPI.ERR_READ_ONLY,
        /File\.Write: cannot write .* opened with MPI\.MODE_RDONLY/);
      await check.rejectsMPI(reading.Write_at_all(0, Uint8Array.of(1)), MPI.ERR_READ_ONLY, /File\.Write_at_all/);
      await check.rejectsMPI(reading.Set_view(0, MPI.BYTE, MPI.BYTE, 'external32'), MPI.ERR_UNSUPPORTED_DATAREP,
        /unsupported data representation external32/);
      // a filetype's displacements must be non-negative and not decrease (MPI-4.1 §14.3): the same error on both transports
      const backwards = MPI.INT.Create_indexed([1, 1], [2, 0]).Commit();
      await check.rejectsMPI(reading.Set_view(0, MPI.INT, backwards), MPI.ERR_TYPE,
        /File\.Set_view: the filetype <INDEXED of 8 bytes> has its displacements out of order \(0 after 8\)/);
      const negative = MPI.INT.Create_hindexed([1], [-4]).Commit();
      await check.rejectsMPI(reading.Set_view(8, MPI.INT, negative), MPI.ERR_TYPE, /negative displacement \(-4\)/);
      // on every rank (shm once failed rank 0 alone, and the next collective on the file deadlocked)
      await check.rejectsMPI(reading.Set_size(4), MPI.ERR_READ_ONLY, /File\.Set_size: cannot write/);
      await check.rejectsMPI(reading.Preallocate(64), MPI.ERR_READ_ONLY, /File\.Preallocate: cannot write/);
      await reading.Close();
      // a size the file system refuses fails on every rank, and the file's next collective goes on
      const growing = await MPI.File.Open(comm, name, MPI.MODE_RDWR);
      const refused = await growing.Set_size(Number.MAX_SAFE_INTEGER).then(() => undefined, (error: unknown) => error);
      check.ok(refused instanceof MPI.Exception, `Set_size(2^53 - 1) failed on rank ${comm.rank}`);
      await growing.Set_size(3);
      check.equal(growing.Get_size(), 3);
      await growing.Set_size(0);
      await growing.Close();
      const writing = await MPI.File.Open(comm, name, MPI.MODE_WRONLY);
      await check.rejectsMPI(writing.Read(new Uint8Array(1)), MPI.ERR_ACCESS, /File\.Read: cannot read/);
      await check.rejectsMPI(writing.Iread_at(0, new Uint8Array(1)).Wait(), MPI.ERR_ACCESS, /File\.Iread_at/);
      await writing.Close();
      const sequential = await MPI.File.Open(comm, name, MPI.MODE_WRONLY | MPI.MODE_SEQUENTIAL);
      await check.rejectsMPI(sequential.Write_at(0, Uint8Array.of(1)), MPI.ERR_UNSUPPORTED_OPERATION,
        /File\.Write_at: explicit offsets/);
      await sequential.Write_ordered(Uint8Array.of(comm.rank));
      await sequential.Close();
      check.equal(fs.statSync(name).size, comm.size);
      check.equal(MPI.Get_error_string(MPI.ERR_NO_SUCH_FILE), 'no such file or directory');
    },
  },
  {
    name: 'error handlers: a user handler on a file sees every failing call once, with the file; ERRORS_RETURN none',
    run: async (comm) => {
      const [made, name] = await create(comm);
      await made.Close();
      check.equal(MPI.FILE_NULL.Get_errhandler(), MPI.ERRORS_RETURN, 'the default of files');
      const file = await MPI.File.Open(comm, name, MPI.MODE_WRONLY);
      check.equal(file.Get_errhandler(), MPI.ERRORS_RETURN);
      const seen: [boolean, number][] = [];
      const handler = MPI.File.Create_errhandler((f, code) => { seen.push([f === file, code]); });
      file.Set_errhandler(handler);
      // Each call still rejects or throws to its caller, after the handler; collective calls fail on every rank.
      await check.rejectsMPI(file.Read(new Uint8Array(1)), MPI.ERR_ACCESS, /File\.Read: cannot read/);
      await check.rejectsMPI(file.Read_at_all(0, new Uint8Array(1)), MPI.ERR_ACCESS, /File\.Read_at_all: cannot read/);
      await check.rejectsMPI(file.Write_at(-1, Uint8Array.of(1)), MPI.ERR_ARG, /File\.Write_at: invalid offset -1/);
      await check.rejectsMPI(file.Set_view(0, 'no type' as never), MPI.ERR_TYPE, /File\.Set_view/);
      await check.rejectsMPI(file.Seek_shared(0, 99), MPI.ERR_ARG, /File\.Seek_shared: invalid whence 99/);
      await check.rejectsMPI(file.Set_size(-1), MPI.ERR_ARG, /File\.Set_size: invalid size -1/);
      check.throwsMPI(() => file.Seek(0, 99), MPI.ERR_ARG, /File\.Seek: invalid whence 99/);
      check.throwsMPI(() => file.Get_byte_offset(-1), MPI.ERR_ARG, /File\.Get_byte_offset: invalid offset -1/);
      check.throwsMPI(() => file.Get_type_extent('no type' as never), MPI.ERR_TYPE, /File\.Get_type_extent/);
      check.throwsMPI(() => file.Read_all_begin(new Uint8Array(1)), MPI.ERR_ACCESS, /File\.Read_all_begin: cannot read/);
      await check.rejectsMPI(file.Write_all_end(Uint8Array.of(1)), MPI.ERR_IO, /File\.Write_all_end: no File\.Write_all_begin/);
      check.throwsMPI(() => file.Set_errhandler(MPI.ERRHANDLER_NULL), MPI.ERR_ARG, /File\.Set_errhandler/);
      check.deepEqual(seen, [MPI.ERR_ACCESS, MPI.ERR_ACCESS, MPI.ERR_ARG, MPI.ERR_TYPE, MPI.ERR_ARG, MPI.ERR_ARG, MPI.ERR_ARG,
        MPI.ERR_ARG, MPI.ERR_TYPE, MPI.ERR_ACCESS, MPI.ERR_IO, MPI.ERR_ARG].map((code) => [true, code]));
      // A nonblocking access's failure goes through the handler at its completion, once.
      seen.length = 0;
      await check.rejectsMPI(file.Iread_at(0, new Uint8Array(1)).Wait(), MPI.ERR_ACCESS, /File\.Iread_at/);
      check.deepEqual(seen, [[true, MPI.ERR_ACCESS]]);
      // With ERRORS_RETURN the same calls fail and nothing is called.
      seen.length = 0;
      file.Set_errhandler(MPI.ERRORS_RETURN);
      await check.rejectsMPI(file.Read(new Uint8Array(1)), MPI.ERR_ACCESS, /File\.Read/);
      check.throwsMPI(() => file.Seek(0, 99), MPI.ERR_ARG, /File\.Seek/);
      await check.rejectsMPI(file.Set_view(0, 'no type' as never), MPI.ERR_TYPE, /File\.Set_view/);
      check.deepEqual(seen, []);
      // A closed file has no handler: its calls fail as with ERRORS_RETURN.
      file.Set_errhandler(handler);
      await file.Close();
      check.throwsMPI(() => file.Seek(0), MPI.ERR_FILE, /File\.Seek: the file is closed/);
      await check.rejectsMPI(file.Read(new Uint8Array(1)), MPI.ERR_FILE, /File\.Read/);
      check.deepEqual(seen, []);
      // MPI.FILE_NULL's handler is the default one (MPI-4.1 §14.7): Open and Delete, which have no file, go through it,
      // and a file opened after starts with it.
      const nullSeen: [boolean, number][] = [];
      const byDefault = MPI.File.Create_errhandler((f, code) => { nullSeen.push([f === MPI.FILE_NULL, code]); });
      MPI.FILE_NULL.Set_errhandler(byDefault);
      try {
        check.equal(MPI.FILE_NULL.Get_errhandler(), byDefault);
        await check.rejectsMPI(MPI.File.Open(comm, `${name}.missing`, MPI.MODE_RDONLY), MPI.ERR_NO_SUCH_FILE, /File\.Open/);
        await check.rejectsMPI(MPI.File.Open(comm, name, 0), MPI.ERR_AMODE, /File\.Open/);
        await check.rejectsMPI(MPI.File.Delete(`${name}.missing.${comm.rank}`), MPI.ERR_NO_SUCH_FILE, /File\.Delete/);
        check.deepEqual(nullSeen, [MPI.ERR_NO_SUCH_FILE, MPI.ERR_AMODE, MPI.ERR_NO_SUCH_FILE].map((code) => [true, code]));
        const later = await MPI.File.Open(comm, name, MPI.MODE_RDONLY);
        check.equal(later.Get_errhandler(), byDefault, 'a new file starts with the default file handler');
        await later.Close();
      } finally {
        MPI.FILE_NULL.Set_errhandler(MPI.ERRORS_RETURN);
      }
      check.equal(nullSeen.length, 3);
      handler.Free();
      byDefault.Free();
    },
  },
];

await runCases('io', cases);
await world.Barrier();
