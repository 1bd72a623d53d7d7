/**
 * Broadcast of bytes down a binomial tree: what `broadcast.ts` uses for
 * short messages, and what the shared area's set-up (`shared_area.ts`) sends
 * its slot with. Its own module so that those two need not import each other.
 *
 * MPI-4.1 §6.4. ⌈log2 p⌉ rounds of the whole message; any rank count.
 *
 * @module
 */

import type { Call } from './call.js';
import type { Algorithm } from './run.js';
import { absolute, childrenOf, parentOf, relative } from './tree.js';

/** Binomial tree: receive from the parent, then send to every child, largest subtree first. */
export function* binomial(call: Call, buf: Uint8Array, root: number): Algorithm<void> {
  const { rank, size } = call;
  const v = relative(rank, root, size);
  if (v !== 0) yield call.recv(buf, absolute(parentOf(v), root, size));
  const children = childrenOf(v, size);
  if (children.length > 0) yield children.map((c) => call.send(buf, absolute(c, root, size)));
}
