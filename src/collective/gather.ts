/**
 * Gather and scatter of bytes, uniform or v-form: small blocks travel in
 * packages up or down a binomial tree, large ones go straight between their
 * rank and the root.
 *
 * MPI-4.1 §6.5 (`MPI_Gather`, `MPI_Gatherv`), §6.6 (`MPI_Scatter`,
 * `MPI_Scatterv`). Only the root knows every rank's count, so the choice is
 * made block by block from the block's size, which its rank and the root
 * both know: a block of at least `tuning.gatherDirectBytes` bytes takes one
 * message (one copy, as Open MPI's linear algorithm for large messages); the
 * others are packed by tree nodes into one message per subtree, so the root
 * handles ⌈log2 p⌉ messages instead of p - 1 (MPICH's binomial gather). A
 * rank whose block goes direct still relays its subtree's package.
 *
 * Buffers may be longer than the longest byte view (segmented bytes): a
 * block that long goes direct, as one point-to-point message of any length,
 * so the ranks need not agree on anything beyond each block's size
 * (`api/arguments.ts` runs Gatherv and Scatterv past that view here).
 *
 * @module
 */

import { blockOf, type Bytes, copyBytes, singleView } from '../buffer.js';
import type { Call } from './call.js';
import type { Algorithm } from './run.js';
import { absolute, childrenOf, type Entry, pack, parentOf, relative, subtreeEnd, unpack } from './tree.js';
import { tuning } from './tuning.js';

function isDirect(bytes: number): boolean {
  return bytes >= tuning.gatherDirectBytes;
}

/** The entries of a received package, or a mismatch error. */
function entriesOf(call: Call, data: Bytes | undefined, peer: number): Entry[] {
  const entries = unpack(data === undefined ? new Uint8Array(0) : singleView(data, call.name), call.size);
  if (typeof entries === 'string') throw call.malformed(peer, entries);
  return entries;
}

/**
 * Gatherv: block `r` (`counts[r]` bytes at `displs[r]` of `recv`) comes from
 * rank `r`; `send` undefined at the root means its block is in place.
 */
export function* gatherv(call: Call, send: Bytes | undefined, recv: Bytes | undefined,
  counts: readonly number[] | undefined, displs: readonly number[] | undefined, root: number): Algorithm<void> {
  const { rank, size } = call;
  const v = relative(rank, root, size);
  if (rank === root) {
    if (send !== undefined) copyBytes(recv!, displs![root]!, send, 0, counts![root]!);
    const direct = [];
    for (let r = 0; r < size; r++) {
      if (r !== root && isDirect(counts![r]!)) direct.push(call.recv(blockOf(recv!, counts!, displs!, r), r));
    }
    const children = childrenOf(0, size).map((c) => absolute(c, root, size));
    const packages = children.map((c) => call.recv(undefined, c));
    yield [...direct, ...packages];
    packages.forEach((p, i) => {
      for (const entry of entriesOf(call, p.data, children[i]!)) {
        const want = counts![entry.rank]!;
        if (entry.bytes.byteLength !== want || isDirect(want) || entry.rank === root) {
          throw call.malformed(entry.rank, `it gave ${entry.bytes.byteLength} bytes where the root expects ${want}`);
        }
        copyBytes(recv!, displs![entry.rank]!, entry.bytes, 0, want);
      }
    });
    return;
  }
  const mine = send!;
  const sends = [];
  if (isDirect(mine.byteLength)) sends.push(call.send(mine, root));
  const children = childrenOf(v, size).map((c) => absolute(c, root, size));
  const packages = children.map((c) => call.recv(undefined, c));
  if (packages.length > 0) yield packages;
  const entries: Entry[] = isDirect(mine.byteLength) ? [] : [{ rank, bytes: singleView(mine, call.name) }];
  packages.forEach((p, i) => entries.push(...entriesOf(call, p.data, children[i]!)));
  sends.push(call.send(pack(entries), absolute(parentOf(v), root, size)));
  yield sends;
}

/**
 * Scatterv: the root sends block `r` of `send` to rank `r`; `recv` undefined
 * at the root means its block stays in place.
 */
export function* scatterv(call: Call, send: Bytes | undefined, counts: readonly number[] | undefined,
  displs: readonly number[] | undefined, recv: Bytes | undefined, root: number): Algorithm<void> {
  const { rank, size } = call;
  const v = relative(rank, root, size);
  if (rank === root) {
    if (recv !== undefined) copyBytes(recv, 0, send!, displs![root]!, counts![root]!);
    const sends = [];
    for (let r = 0; r < size; r++) {
      if (r !== root && isDirect(counts![r]!)) sends.push(call.send(blockOf(send!, counts!, displs!, r), r));
    }
    for (const c of childrenOf(0, size)) {
      const entries: Entry[] = [];
      for (let u = c; u < subtreeEnd(c, size); u++) {
        const r = absolute(u, root, size);
        if (!isDirect(counts![r]!)) entries.push({ rank: r, bytes: singleView(blockOf(send!, counts!, displs!, r), call.name) });
      }
      sends.push(call.send(pack(entries), absolute(c, root, size)));
    }
    yield sends;
    return;
  }
  const mine = recv!;
  const ops = [];
  if (isDirect(mine.byteLength)) ops.push(call.recv(mine, root));
  const parent = absolute(parentOf(v), root, size);
  const incoming = call.recv(undefined, parent);
  yield incoming;
  const entries = entriesOf(call, incoming.data, parent);
  const subtrees = childrenOf(v, size).map((c) => ({ c, end: subtreeEnd(c, size), entries: [] as Entry[] }));
  let found = isDirect(mine.byteLength);
  for (const entry of entries) {
    const u = relative(entry.rank, root, size);
    if (entry.rank === rank) {
      if (entry.bytes.byteLength !== mine.byteLength || found) {
        throw call.malformed(root, `its block for this rank has ${entry.bytes.byteLength} bytes where ` +
          `this rank receives ${mine.byteLength}`);
      }
      copyBytes(mine, 0, entry.bytes, 0, entry.bytes.byteLength);
      found = true;
      continue;
    }
    const subtree = subtrees.find((s) => u >= s.c && u < s.end);
    if (subtree === undefined) throw call.malformed(parent, `a block for rank ${entry.rank} reached rank ${rank}`);
    subtree.entries.push(entry);
  }
  if (!found) throw call.malformed(root, `no block of ${mine.byteLength} bytes came for this rank`);
  for (const s of subtrees) ops.push(call.send(pack(s.entries), absolute(s.c, root, size)));
  yield ops;
}
