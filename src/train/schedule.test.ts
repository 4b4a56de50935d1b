import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cosineWithWarmup, LR_REFERENCE_BATCH, scaleLr } from './schedule.js';

const close = (a: number, b: number, tol = 1e-12): void => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} ≉ ${b}`);

const opts = { baseLr: 5e-4, minLr: 5e-6, warmupLr: 5e-7, warmupSteps: 100, totalSteps: 1100 };

test('cosineWithWarmup endpoints: warmupLr at 0, baseLr at the end of warmup, minLr at and after totalSteps', () => {
  const lr = cosineWithWarmup(opts);
  close(lr(0), opts.warmupLr);
  close(lr(opts.warmupSteps), opts.baseLr);
  close(lr(opts.totalSteps), opts.minLr);
  close(lr(opts.totalSteps + 1), opts.minLr);
  close(lr(10 * opts.totalSteps), opts.minLr);
});

test('cosineWithWarmup warmup is linear and stops one slope short of baseLr (timm semantics)', () => {
  const lr = cosineWithWarmup(opts);
  const slope = (opts.baseLr - opts.warmupLr) / opts.warmupSteps;
  close(lr(1), opts.warmupLr + slope);
  close(lr(50), opts.warmupLr + 50 * slope);
  close(lr(99), opts.baseLr - slope);
});

test('cosineWithWarmup is non-decreasing through warmup and non-increasing after', () => {
  const lr = cosineWithWarmup(opts);
  for (let s = 1; s <= opts.warmupSteps; s++) assert.ok(lr(s) > lr(s - 1), `warmup step ${s}`);
  for (let s = opts.warmupSteps + 1; s <= opts.totalSteps + 5; s++) assert.ok(lr(s) <= lr(s - 1), `decay step ${s}`);
  for (let s = opts.warmupSteps; s <= opts.totalSteps + 5; s++) assert.ok(lr(s) >= opts.minLr, `floor at ${s}`);
});

test('cosineWithWarmup midpoint of the cosine is the mean of baseLr and minLr; quarter points follow cos', () => {
  const lr = cosineWithWarmup(opts);
  const T = opts.totalSteps - opts.warmupSteps;
  close(lr(opts.warmupSteps + T / 2), (opts.baseLr + opts.minLr) / 2);
  close(lr(opts.warmupSteps + T / 4), opts.minLr + 0.5 * (opts.baseLr - opts.minLr) * (1 + Math.SQRT1_2));
  close(lr(opts.warmupSteps + (3 * T) / 4), opts.minLr + 0.5 * (opts.baseLr - opts.minLr) * (1 - Math.SQRT1_2));
});

test('cosineWithWarmup with warmupSteps 0 starts at baseLr and ignores warmupLr', () => {
  const lr = cosineWithWarmup({ ...opts, warmupSteps: 0, totalSteps: 1000 });
  close(lr(0), opts.baseLr);
  close(lr(500), (opts.baseLr + opts.minLr) / 2);
  close(lr(1000), opts.minLr);
});

test('cosineWithWarmup rejects totalSteps ≤ warmupSteps, negative warmup and bad steps', () => {
  assert.throws(() => cosineWithWarmup({ ...opts, totalSteps: 100 }), /totalSteps \(100\) must exceed warmupSteps \(100\)/);
  assert.throws(() => cosineWithWarmup({ ...opts, totalSteps: 50 }), /must exceed warmupSteps/);
  assert.throws(() => cosineWithWarmup({ ...opts, warmupSteps: 0, totalSteps: 0 }), /must exceed warmupSteps/);
  assert.throws(() => cosineWithWarmup({ ...opts, warmupSteps: -1 }), /warmupSteps must be ≥ 0/);
  assert.throws(() => cosineWithWarmup({ ...opts, baseLr: Number.NaN }), /baseLr must be a finite number/);
  const lr = cosineWithWarmup(opts);
  assert.throws(() => lr(-1), /step must be a finite number ≥ 0/);
  assert.throws(() => lr(Number.NaN), /step must be/);
});

test('scaleLr is the official linear batch-size scaling lr · batch · world / 512', () => {
  assert.equal(LR_REFERENCE_BATCH, 512);
  close(scaleLr(5e-4, 512), 5e-4);
  close(scaleLr(5e-4, 64), 6.25e-5);
  close(scaleLr(5e-4, 64, 8), 5e-4);
  close(scaleLr(1e-3, 128, 2), 5e-4);
  assert.throws(() => scaleLr(5e-4, 0), /batchSize must be a positive integer/);
  assert.throws(() => scaleLr(5e-4, 32, 0), /worldSize must be a positive integer/);
  assert.throws(() => scaleLr(Number.POSITIVE_INFINITY, 32), /lr must be finite/);
});
