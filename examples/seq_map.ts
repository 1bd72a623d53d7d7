// The sequential map that par_map and par_map2 parallelize: sqrt of 0..19.
// Run: npx mpi4ts -n 1 examples/seq_map.ts
const x = Array.from({ length: 20 }, (_, i) => i);
console.log(JSON.stringify(x.map(Math.sqrt)));
