// piscina's equivalent of chunksize 100: one task that maps sqrt over a chunk.
import { sqrt } from './tasks.mjs';

export default function chunk(items) {
  return items.map(sqrt);
}
