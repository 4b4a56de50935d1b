import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HostTensor } from '../../core/host.js';
import { relativePositionIndex, tableRows } from './rel_pos.js';
import { resizeRelPosTable } from './table_resize.js';

test('relative position index: cls rows/cols get the last three table rows; patch pairs by offset', () => {
  const [wh, ww] = [2, 3];
  const idx = relativePositionIndex(wh, ww);
  const n = wh * ww + 1;
  const L = tableRows(wh, ww);
  assert.equal(L, 3 * 5 + 3);
  assert.equal(idx[0], BigInt(L - 1));
  for (let j = 1; j < n; j++) assert.equal(idx[j], BigInt(L - 3));
  for (let i = 1; i < n; i++) assert.equal(idx[i * n], BigInt(L - 2));
  // Same patch → zero offset → centre of the (2wh-1)x(2ww-1) grid.
  const centre = BigInt((wh - 1) * (2 * ww - 1) + (ww - 1));
  for (let i = 1; i < n; i++) assert.equal(idx[i * n + i], centre);
  // Patch 0 (0,0) attending to patch 5 (1,2): dh = -1, dw = -2 → (0)(5) + 0 = 0.
  assert.equal(idx[1 * n + 6], 0n);
  // and the reverse pair (dh = +1, dw = +2) → last offset row.
  assert.equal(idx[6 * n + 1], BigInt(3 * 5 - 1));
});

function table(wh: number, ww: number, heads: number, f: (dh: number, dw: number, h: number) => number): HostTensor<'float32'> {
  const rows = tableRows(wh, ww);
  const data = new Float32Array(rows * heads);
  for (let r = 0; r < 2 * wh - 1; r++) for (let c = 0; c < 2 * ww - 1; c++) for (let h = 0; h < heads; h++) {
    data[(r * (2 * ww - 1) + c) * heads + h] = f(r - (wh - 1), c - (ww - 1), h);
  }
  for (let k = 1; k <= 3; k++) for (let h = 0; h < heads; h++) data[(rows - k) * heads + h] = 100 * k + h;
  return { dtype: 'float32', shape: [rows, heads], data };
}

test('table resize to the same window is the identity', () => {
  const t = table(14, 14, 2, (a, b, h) => Math.sin(a * 0.3 + b * 0.7 + h));
  const r = resizeRelPosTable(t, [14, 14], [14, 14]);
  assert.deepEqual(r.data, t.data);
  assert.notEqual(r.data, t.data);
});

test('table resize keeps orientation: a table depending only on the vertical offset stays so', () => {
  const t = table(14, 14, 3, (dh, _dw, h) => dh * dh * 0.01 + h);
  const r = resizeRelPosTable(t, [14, 14], [32, 32]);
  const W = 2 * 32 - 1;
  for (let row = 0; row < W; row++) {
    for (let h = 0; h < 3; h++) {
      const first = r.data[(row * W) * 3 + h]!;
      for (let c = 1; c < W; c++) assert.ok(Math.abs(r.data[(row * W + c) * 3 + h]! - first) < 1e-4, `row ${row} col ${c}`);
    }
  }
  // Vertical profile actually varies (not constant) and is symmetric.
  const at = (row: number): number => r.data[(row * W) * 3]!;
  assert.ok(Math.abs(at(0) - at(W - 1)) < 1e-4);
  assert.ok(at(0) > at(31) + 1);
  // cls rows carried over.
  const rows = tableRows(32, 32);
  assert.equal(r.data[(rows - 1) * 3 + 2], 102);
  assert.equal(r.data[(rows - 3) * 3], 300);
});

test('table resize reproduces the source values at the original offsets ±1 (geometric grid keeps them)', () => {
  const t = table(7, 7, 1, (dh, dw) => 0.1 * dh - 0.05 * dw + 0.01 * dh * dw);
  const r = resizeRelPosTable(t, [7, 7], [12, 12]);
  const W = 23;
  const centre = 11;
  const v = (dh: number, dw: number): number => r.data[(dh + centre) * W + (dw + centre)]!;
  assert.ok(Math.abs(v(0, 0)) < 1e-6);
  assert.ok(Math.abs(v(1, 0) - 0.1) < 1e-5 && Math.abs(v(0, -1) - 0.05) < 1e-5 && Math.abs(v(-1, 1) - (-0.1 - 0.05 - 0.01)) < 1e-5);
  // Non-square target works and rejects a table that does not fit its window.
  assert.deepEqual(resizeRelPosTable(t, [7, 7], [4, 6]).shape, [tableRows(4, 6), 1]);
  assert.throws(() => resizeRelPosTable(t, [6, 6], [7, 7]), /does not fit a 6×6 window/);
});

test('table shrink (e.g. 14×14 → 2×2 for a 32 px input) rescales the offsets linearly and stays finite', () => {
  // Linear in the offsets: a linear rescale of the axis keeps it linear, with the extremes on the extremes.
  const t = table(14, 14, 2, (dh, dw) => 0.5 + 0.02 * dh - 0.03 * dw);
  for (const to of [[2, 2], [4, 4], [3, 7]] as const) {
    const r = resizeRelPosTable(t, [14, 14], to);
    assert.ok(r.data.every(Number.isFinite), `${to.join('×')}: finite`);
    const [dh, dw] = to;
    const W = 2 * dw - 1;
    for (let i = -(dh - 1); i <= dh - 1; i++) {
      for (let j = -(dw - 1); j <= dw - 1; j++) {
        const want = 0.5 + 0.02 * (dh > 1 ? (i * 13) / (dh - 1) : 0) - 0.03 * (dw > 1 ? (j * 13) / (dw - 1) : 0);
        const got = r.data[((i + dh - 1) * W + (j + dw - 1)) * 2]!;
        assert.ok(Math.abs(got - want) < 1e-5, `${to.join('×')} offset (${i},${j}): ${got} vs ${want}`);
      }
    }
  }
});
