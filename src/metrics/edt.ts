// Exact Euclidean distance transform (Felzenszwalb & Huttenlocher, "Distance Transforms of
// Sampled Functions", 2012): the squared EDT is separable, so one 1-D lower-envelope-of-parabolas
// pass per column and then per row gives the exact 2-D result in O(H·W) time.
// Anisotropic pixel spacing is handled by placing samples at physical positions q·s.

/**
 * 1-D squared distance transform of `f` (length n, spacing s) written into `d`:
 * d[p] = min_q ((p − q)·s)² + f[q]. Entries of `f` equal to Infinity are not sites.
 * `v` (Int32Array ≥ n) and `z` (Float64Array ≥ n + 1) are scratch buffers.
 */
export function sqDist1d(f: Float64Array, n: number, s: number, d: Float64Array, v: Int32Array, z: Float64Array): void {
  let k = -1;
  for (let q = 0; q < n; q++) {
    const fq = f[q]!;
    if (fq === Infinity) continue;
    const pq = q * s;
    if (k < 0) {
      k = 0;
      v[0] = q;
      z[0] = -Infinity;
      z[1] = Infinity;
      continue;
    }
    let inter = 0;
    for (;;) {
      const r = v[k]!;
      const pr = r * s;
      inter = (fq + pq * pq - (f[r]! + pr * pr)) / (2 * (pq - pr));
      // z[0] = −∞, so this stops at k = 0 at the latest.
      if (inter <= z[k]!) k--;
      else break;
    }
    k++;
    v[k] = q;
    z[k] = inter;
    z[k + 1] = Infinity;
  }
  if (k < 0) {
    d.fill(Infinity, 0, n);
    return;
  }
  k = 0;
  for (let q = 0; q < n; q++) {
    const p = q * s;
    while (z[k + 1]! < p) k++;
    const r = v[k]!;
    const dr = p - r * s;
    d[q] = dr * dr + f[r]!;
  }
}

/**
 * Squared Euclidean distance from every pixel to the nearest pixel with `sites[i] !== 0`,
 * for a row-major H×W grid with spacing [sy, sx]. All entries are Infinity when there is no site.
 */
export function squaredEdt(
  sites: Uint8Array,
  height: number,
  width: number,
  spacing: readonly [number, number] = [1, 1],
): Float64Array {
  if (sites.length !== height * width) throw new Error(`squaredEdt: ${sites.length} values for ${height}×${width}`);
  const [sy, sx] = spacing;
  const out = new Float64Array(height * width);
  const n = Math.max(height, width);
  const f = new Float64Array(n);
  const d = new Float64Array(n);
  const v = new Int32Array(n);
  const z = new Float64Array(n + 1);
  // Columns (y axis).
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) f[y] = sites[y * width + x] !== 0 ? 0 : Infinity;
    sqDist1d(f, height, sy, d, v, z);
    for (let y = 0; y < height; y++) out[y * width + x] = d[y]!;
  }
  // Rows (x axis).
  for (let y = 0; y < height; y++) {
    const o = y * width;
    for (let x = 0; x < width; x++) f[x] = out[o + x]!;
    sqDist1d(f, width, sx, d, v, z);
    for (let x = 0; x < width; x++) out[o + x] = d[x]!;
  }
  return out;
}

/**
 * Boundary of a binary mask (any value ≥ 1 is foreground): foreground pixels with a
 * 4-neighbour that is background or outside the image (as MedPy's erosion-XOR border).
 */
export function boundaryMask(mask: Uint8Array, height: number, width: number): Uint8Array {
  if (mask.length !== height * width) throw new Error(`boundaryMask: ${mask.length} values for ${height}×${width}`);
  const b = new Uint8Array(height * width);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (mask[i] === 0) continue;
      if (
        y === 0 || y === height - 1 || x === 0 || x === width - 1 ||
        mask[i - width] === 0 || mask[i + width] === 0 || mask[i - 1] === 0 || mask[i + 1] === 0
      ) {
        b[i] = 1;
      }
    }
  }
  return b;
}
