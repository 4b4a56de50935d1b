import type { HostTensor } from '../../core/host.js';
import { tableRows } from './rel_pos.js';

/**
 * Source coordinates of a (2s−1)-point offset axis stretched geometrically to span a (2d−1)-point axis:
 * offsets 0, ±1, ±(1+q), ±(1+q+q²)…, with q chosen so the outermost lands on d−1 (BEiT/SimMIM's scheme).
 */
function geometricCoords(s: number, d: number): Float64Array {
  const half = s - 1;
  const target = d - 1;
  // Shrinking: the geometric series would need q → 0 and crowd the offsets together (the spline then
  // divides by ~0); place them uniformly instead, extremes on extremes (a plain linear rescale).
  if (d < s) return Float64Array.from({ length: 2 * s - 1 }, (_, i) => ((i - half) * target) / half);
  const reach = (q: number): number => {
    let sum = 0;
    for (let k = 0; k < half; k++) sum += q ** k;
    return sum;
  };
  let lo = 1e-3;
  let hi = 4;
  for (let it = 0; it < 200; it++) {
    const mid = (lo + hi) / 2;
    if (reach(mid) > target) hi = mid;
    else lo = mid;
  }
  const q = (lo + hi) / 2;
  const out = new Float64Array(2 * s - 1);
  let pos = 0;
  out[half] = 0;
  for (let k = 0; k < half; k++) {
    pos += q ** k;
    out[half + k + 1] = pos;
    out[half - k - 1] = -pos;
  }
  return out;
}

/** Natural cubic spline through (xs, ys), evaluated at `at`. */
function spline(xs: Float64Array, ys: Float64Array, at: Float64Array): Float64Array {
  const n = xs.length;
  const out = new Float64Array(at.length);
  if (n === 1) return out.fill(ys[0]!);
  const m = new Float64Array(n); // second derivatives
  const c = new Float64Array(n);
  const dd = new Float64Array(n);
  for (let i = 1; i < n - 1; i++) {
    const h0 = xs[i]! - xs[i - 1]!;
    const h1 = xs[i + 1]! - xs[i]!;
    const diag = 2 * (h0 + h1) - h0 * c[i - 1]!;
    c[i] = h1 / diag;
    dd[i] = (6 * ((ys[i + 1]! - ys[i]!) / h1 - (ys[i]! - ys[i - 1]!) / h0) - h0 * dd[i - 1]!) / diag;
  }
  for (let i = n - 2; i >= 1; i--) m[i] = dd[i]! - c[i]! * m[i + 1]!;
  at.forEach((x, k) => {
    let i = 0;
    while (i < n - 2 && x > xs[i + 1]!) i++;
    const h = xs[i + 1]! - xs[i]!;
    const a = (xs[i + 1]! - x) / h;
    const b = (x - xs[i]!) / h;
    out[k] = a * ys[i]! + b * ys[i + 1]! + ((a ** 3 - a) * m[i]! + (b ** 3 - b) * m[i + 1]!) * h * h / 6;
  });
  return out;
}

/**
 * Resize a relative-position table from a (sh, sw) window to (dh, dw). The offset grid keeps its
 * orientation (rows = vertical offsets) — unlike the official loader, which transposes it. The three
 * cls rows are carried over unchanged. Same size returns an identical copy.
 */
export function resizeRelPosTable(t: HostTensor<'float32'>, from: readonly [number, number], to: readonly [number, number]): HostTensor<'float32'> {
  const [sh, sw] = from;
  const [dh, dw] = to;
  const heads = t.shape[1]!;
  if (t.shape.length !== 2 || t.shape[0] !== tableRows(sh, sw)) {
    throw new Error(`relative position table [${t.shape.join(',')}] does not fit a ${sh}×${sw} window`);
  }
  if (sh === dh && sw === dw) return { dtype: 'float32', shape: [...t.shape], data: t.data.slice() };
  const [sH, sW, dH, dW] = [2 * sh - 1, 2 * sw - 1, 2 * dh - 1, 2 * dw - 1];
  const ys = geometricCoords(sh, dh);
  const xs = geometricCoords(sw, dw);
  const ty = Float64Array.from({ length: dH }, (_, i) => i - (dh - 1));
  const tx = Float64Array.from({ length: dW }, (_, i) => i - (dw - 1));
  const rows = tableRows(dh, dw);
  const out = new Float32Array(rows * heads);
  for (let h = 0; h < heads; h++) {
    // Along x for each source row, then along y for each target column (separable tensor-product spline).
    const mid = new Float64Array(sH * dW);
    for (let r = 0; r < sH; r++) {
      const line = Float64Array.from({ length: sW }, (_, cI) => t.data[(r * sW + cI) * heads + h]!);
      mid.set(spline(xs, line, tx), r * dW);
    }
    for (let cI = 0; cI < dW; cI++) {
      const col = Float64Array.from({ length: sH }, (_, r) => mid[r * dW + cI]!);
      spline(ys, col, ty).forEach((v, r) => { out[(r * dW + cI) * heads + h] = v; });
    }
    for (let k = 1; k <= 3; k++) out[(rows - k) * heads + h] = t.data[(t.shape[0]! - k) * heads + h]!;
  }
  return { dtype: 'float32', shape: [rows, heads], data: out };
}
