// Held-out images for the pretraining loss: taken in turn from each source up to the budget; never a training image.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { PretrainSource } from '../data/pretrain/sources.js';
import { heldOutItems } from './pretrain_heldout.js';

const source = (name: string, paths: readonly string[], frames = false): PretrainSource => ({
  name, root: `/d/${name}`, notes: [], items: paths.map((p, i) => (frames ? { path: `/d/${name}/${p}`, source: name, frame: i } : { path: `/d/${name}/${p}`, source: name })),
});

it('heldOutItems: in turn from each source, up to the budget; refuses a file that is also trained on', () => {
  const held = [source('a', ['1.png', '2.png', '3.png']), source('b', ['x.png'])];
  assert.deepEqual(heldOutItems(held, [], 3).map((it) => it.path), ['/d/a/1.png', '/d/b/x.png', '/d/a/2.png']);
  assert.equal(heldOutItems(held, [], 100).length, 4);
  assert.throws(() => heldOutItems(held, [source('a', ['2.png'])], 3), { message: '/d/a/2.png: is a training image too; held-out images (--val-data) must not be in --data' });
  // Another frame of a cine that is trained on is no held-out image (its neighbours are near copies).
  const cine = source('c', ['cine.dcm', 'cine.dcm'], true);
  assert.throws(() => heldOutItems([{ ...cine, items: [cine.items[1]!] }], [{ ...cine, items: [cine.items[0]!] }], 5), /cine\.dcm: is a training image too/);
});
