// k-means with random restarts, shared by seq_kmeans, par_kmeans and
// par_kmeans2 (the seed used scipy.cluster.vq: whiten, then kmeans). Each
// restart r draws its starting centroids from its own stream of the seed, so
// the result depends only on which restarts run, not on which rank runs them:
// the parallel versions give exactly the sequential answer.
import { readFileSync } from 'node:fs';
import { Random } from './random.js';

/** Points in `dim` dimensions, row-major. */
export interface Observations {
  readonly data: Float64Array;
  readonly count: number;
  readonly dim: number;
}

/** The best clustering found: `k` centroids (row-major), their distortion, and which restart found it. */
export interface Clustering {
  readonly centroids: Float64Array;
  readonly distortion: number;
  readonly restart: number;
}

export const DATA_FILE = new URL('../data/kmeans.csv', import.meta.url);

/** Reads a CSV of numbers, one point per line. */
export function readObservations(file: URL | string = DATA_FILE): Observations {
  const rows = readFileSync(file, 'utf8').trim().split('\n').map((line) => line.split(',').map(Number));
  const dim = rows[0].length;
  return { data: Float64Array.from(rows.flat()), count: rows.length, dim };
}

/** Scales every feature to unit standard deviation (scipy's whiten), so no axis dominates the distances. */
export function whiten(obs: Observations): Observations {
  const data = obs.data.slice();
  for (let d = 0; d < obs.dim; d++) {
    let mean = 0;
    for (let i = 0; i < obs.count; i++) mean += data[i * obs.dim + d];
    mean /= obs.count;
    let variance = 0;
    for (let i = 0; i < obs.count; i++) variance += (data[i * obs.dim + d] - mean) ** 2;
    const sd = Math.sqrt(variance / obs.count);
    for (let i = 0; i < obs.count; i++) data[i * obs.dim + d] /= sd;
  }
  return { data, count: obs.count, dim: obs.dim };
}

/** Restarts [start, stop) of `total` for `rank`: contiguous blocks whose sizes differ by at most one. */
export function restartsOf(total: number, size: number, rank: number): [number, number] {
  const base = Math.floor(total / size);
  const extra = total % size;
  const start = rank * base + Math.min(rank, extra);
  return [start, start + base + (rank < extra ? 1 : 0)];
}

/** One run of Lloyd's algorithm from `k` random observations, until the distortion stops improving. */
function lloyd(obs: Observations, k: number, random: Random, threshold: number): { centroids: Float64Array; distortion: number } {
  const { data, count, dim } = obs;
  const centroids = new Float64Array(k * dim);
  random.sample(count, k).forEach((p, j) => centroids.set(data.subarray(p * dim, (p + 1) * dim), j * dim));
  const nearest = new Int32Array(count);
  let previous = Infinity;
  for (let iteration = 0; iteration < 300; iteration++) {
    let total = 0; // distortion: mean distance of each point to its nearest centroid
    for (let i = 0; i < count; i++) {
      let best = Infinity;
      for (let j = 0; j < k; j++) {
        let d2 = 0;
        for (let d = 0; d < dim; d++) d2 += (data[i * dim + d] - centroids[j * dim + d]) ** 2;
        if (d2 < best) {
          best = d2;
          nearest[i] = j;
        }
      }
      total += Math.sqrt(best);
    }
    const distortion = total / count;
    if (previous - distortion <= threshold) return { centroids, distortion };
    previous = distortion;
    const sums = new Float64Array(k * dim);
    const members = new Int32Array(k);
    for (let i = 0; i < count; i++) {
      members[nearest[i]]++;
      for (let d = 0; d < dim; d++) sums[nearest[i] * dim + d] += data[i * dim + d];
    }
    // A centroid that lost all its points stays where it is (scipy drops it; a fixed k keeps buffers fixed).
    for (let j = 0; j < k; j++) {
      if (members[j] > 0) for (let d = 0; d < dim; d++) centroids[j * dim + d] = sums[j * dim + d] / members[j];
    }
  }
  return { centroids, distortion: previous };
}

/**
 * The best of restarts [start, stop): lowest distortion, and on a tie the
 * lowest restart, so splitting the restarts across ranks cannot change the answer.
 * With no restarts at all, the distortion is Infinity (and loses every comparison).
 */
export function kmeans(obs: Observations, k: number, [start, stop]: [number, number], seed: number,
  threshold = 1e-5): Clustering {
  let best: Clustering = { centroids: new Float64Array(k * obs.dim), distortion: Infinity, restart: -1 };
  for (let restart = start; restart < stop; restart++) {
    const run = lloyd(obs, k, Random.stream(seed, restart), threshold);
    if (run.distortion < best.distortion) best = { ...run, restart };
  }
  return best;
}

/** The centroids at fixed precision, for printing and comparing runs: one per line, or joined by `separator`. */
export function formatCentroids(centroids: Float64Array, dim: number, separator = '\n'): string {
  const lines: string[] = [];
  for (let j = 0; j < centroids.length / dim; j++) {
    lines.push(`centroid ${j}: ${Array.from(centroids.subarray(j * dim, (j + 1) * dim), (v) => v.toFixed(6)).join(' ')}`);
  }
  return lines.join(separator);
}
