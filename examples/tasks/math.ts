// Task functions of examples/par_map_futures.ts.
export const sqrt = Math.sqrt;
