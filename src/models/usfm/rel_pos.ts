/** Rows of a relative-position table for a (wh, ww) patch window: all offsets plus 3 cls rows. */
export function tableRows(wh: number, ww: number): number {
  return (2 * wh - 1) * (2 * ww - 1) + 3;
}

/**
 * BEiT relative-position index [N*N] (N = wh*ww + 1, row-major, query i, key j). Patch pairs map to
 * (dh + wh − 1)(2ww − 1) + (dw + ww − 1); cls→patch uses row L−3, patch→cls L−2, cls→cls L−1.
 */
export function relativePositionIndex(wh: number, ww: number): BigInt64Array {
  const p = wh * ww;
  const n = p + 1;
  const rows = tableRows(wh, ww);
  const idx = new BigInt64Array(n * n);
  for (let i = 0; i < p; i++) {
    const hi = Math.floor(i / ww);
    const wi = i % ww;
    for (let j = 0; j < p; j++) {
      const hj = Math.floor(j / ww);
      const wj = j % ww;
      idx[(i + 1) * n + (j + 1)] = BigInt((hi - hj + wh - 1) * (2 * ww - 1) + (wi - wj + ww - 1));
    }
  }
  for (let j = 1; j < n; j++) idx[j] = BigInt(rows - 3);
  for (let i = 1; i < n; i++) idx[i * n] = BigInt(rows - 2);
  idx[0] = BigInt(rows - 1);
  return idx;
}
