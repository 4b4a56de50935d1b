import assert from 'node:assert/strict';
import { it } from 'node:test';
import { CLS_AUGMENT, parseAugment, SEG_AUGMENT } from './augment_spec.js';
import { DEFAULT_AUGMENT } from './augment.js';

it('parses --augment lists, with defaults for omitted values', () => {
  assert.deepEqual(parseAugment(SEG_AUGMENT), { ...DEFAULT_AUGMENT });
  assert.deepEqual(parseAugment(CLS_AUGMENT), { hflip: 0.5, vflip: 0, rot90: 0 });
  assert.deepEqual(parseAugment('none'), { hflip: 0, vflip: 0, rot90: 0 });
  assert.deepEqual(parseAugment('hflip=0.25, crop=0.6,jitter'), { hflip: 0.25, vflip: 0, rot90: 0, crop: { scale: [0.6, 1] }, jitter: { brightness: 0.1, contrast: 0.1 } });
});

it('rejects bad entries with one line naming them', () => {
  assert.throws(() => parseAugment('hflip=2'), /^Error: --augment hflip=2: the probability must be in \[0, 1\]$/);
  assert.throws(() => parseAugment('blur'), /unknown augmentation 'blur'/);
  assert.throws(() => parseAugment('crop=0'), /crop=0: the smallest crop area fraction/);
  assert.throws(() => parseAugment('hflip,hflip'), /'hflip' given twice/);
  assert.throws(() => parseAugment('jitter=x'), /jitter=x/);
});
