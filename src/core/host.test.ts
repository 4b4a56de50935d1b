import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bf16ToFloat, floatToBf16, floatToHalf, halfToFloat } from './host.js';

test('float16 conversion: exact values, rounding to nearest even, overflow, subnormals', () => {
  for (const v of [0, 1, -2.5, 0.5, 65504, 2 ** -24, 6.103515625e-5]) assert.equal(halfToFloat(floatToHalf(v)), v);
  assert.equal(halfToFloat(floatToHalf(1 + 2 ** -11)), 1); // tie → even
  assert.equal(halfToFloat(floatToHalf(1 + 3 * 2 ** -11)), 1 + 2 ** -9);
  assert.equal(halfToFloat(floatToHalf(2047.9)), 2048); // mantissa carry into the exponent
  assert.equal(halfToFloat(floatToHalf(1e6)), Infinity);
  assert.ok(Number.isNaN(halfToFloat(floatToHalf(NaN))));
});

test('bfloat16 conversion rounds to nearest even and keeps NaN', () => {
  for (const v of [0, 1, -3, 0.5, 1e30, -1e-30]) assert.ok(Math.abs(bf16ToFloat(floatToBf16(v)) - v) <= Math.abs(v) * 2 ** -8);
  assert.equal(bf16ToFloat(floatToBf16(1 + 2 ** -8)), 1); // tie → even
  assert.equal(bf16ToFloat(floatToBf16(1 + 3 * 2 ** -8)), 1 + 2 ** -6);
  assert.ok(Number.isNaN(bf16ToFloat(floatToBf16(NaN))));
});
