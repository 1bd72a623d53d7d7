// The tasks of the futures benchmark, one JavaScript file that both
// mpi4ts/futures and piscina load, so that both run the very same code.

/** A tiny task: the cost is all in the pool. */
export function sqrt(x) {
  return Math.sqrt(x);
}

/** A CPU-bound task: `n` square roots. */
export function cpu(n) {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.sqrt(i);
  return sum;
}
