// Object semantics through a real job (2 ranks): rank 0 sends, rank 1 checks
// what arrived and prints one line per check. An instance of an unregistered
// class is refused on the sending rank with an MPIError; holes, extra array
// properties, shared memory and registered classes arrive as documented.
import { types } from 'node:util';
import { MPI } from 'mpi4ts';

class Point {
  constructor(readonly x: number, readonly y: number) {}
  norm(): number {
    return Math.hypot(this.x, this.y);
  }
}
class Unregistered {
  z = 1;
}
MPI.registerClass(Point);

const comm = MPI.COMM_WORLD;
if (comm.rank === 0) {
  try {
    await comm.send({ shapes: [{ centre: new Unregistered() }] }, 1);
    console.log('refusal: none');
  } catch (e) {
    const ok = e instanceof MPI.Exception;
    console.log(`refusal: ${ok ? e.code : String(e)} ${ok ? e.message : ''}`);
  }
  const sab = new SharedArrayBuffer(8);
  new Uint8Array(sab).set([1, 2, 3, 4, 5, 6, 7, 8]);
  const sparse: unknown[] = [];
  sparse[1e6] = 'last';
  const value = {
    holes: [1, , 3], // eslint-disable-line no-sparse-arrays
    sparse,
    named: Object.assign([1, 2], { name: 'x' }),
    sab,
    view: new Int16Array(sab, 2, 2),
    point: new Point(3, 4),
  };
  await comm.send(value, 1);
  await comm.bcast(value, 0);
} else if (comm.rank === 1) {
  const got = [await comm.recv(0), await comm.bcast(undefined, 0)] as Record<string, unknown>[];
  got.forEach((v, i) => {
    const holes = v.holes as unknown[];
    const sparse = v.sparse as unknown[];
    const named = v.named as unknown[] & { name?: string };
    const sab = v.sab as unknown;
    const view = v.view as Int16Array;
    const point = v.point as Point;
    console.log(`holes ${i}: ${holes.length} ${1 in holes} ${String(holes[2])}`);
    console.log(`sparse ${i}: ${sparse.length} ${Object.keys(sparse).join(',')} ${String(sparse[1e6])}`);
    console.log(`named ${i}: ${named.length} ${String(named.name)}`);
    console.log(`sab ${i}: ${types.isSharedArrayBuffer(sab)} ${[...new Uint8Array(sab as SharedArrayBuffer)].join(',')}`);
    console.log(`view ${i}: ${view instanceof Int16Array} ${types.isSharedArrayBuffer(view.buffer)} ${view.buffer.byteLength} ${view[0]}`);
    console.log(`point ${i}: ${point instanceof Point} ${point.norm()}`);
  });
} else {
  await comm.bcast(undefined, 0);
}
