import assert from 'node:assert/strict';
import { it } from 'node:test';
import { GradAccumulator } from './accumulate.js';

it('averages the gradients of the micro-batches and resets', () => {
  const acc = new GradAccumulator();
  acc.add(new Map([['w', Float32Array.of(1, 2)], ['b', Float32Array.of(4)]]));
  acc.add(new Map([['w', Float32Array.of(3, -2)], ['b', Float32Array.of(0)]]));
  assert.equal(acc.count, 2);
  const g = acc.take();
  assert.deepEqual(Array.from(g.get('w')!), [2, 0]);
  assert.deepEqual(Array.from(g.get('b')!), [2]);
  assert.equal(acc.count, 0);
  assert.throws(() => acc.take(), /nothing accumulated/);
  acc.add(new Map([['w', Float32Array.of(5, 6)]]));
  assert.deepEqual(Array.from(acc.take().get('w')!), [5, 6], 'one micro-batch passes through unscaled');
  acc.add(new Map([['w', Float32Array.of(1, 1)]]));
  assert.throws(() => acc.add(new Map([['w', Float32Array.of(1)]])), /'w' missing or resized/);
});
