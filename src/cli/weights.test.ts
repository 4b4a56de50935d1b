// Which fine-tuning defaults a --weights value gets: random init, our pretraining (bundled, or any encoder
// `usfm pretrain` wrote, converted or not) and anything else (the official recipe).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { writeSafetensors } from '../checkpoint/safetensors.js';
import { scratch } from '../checkpoint/testing/tmp.js';
import { RECORD_KEY } from '../train/pretrain_record.js';
import { pretrainedHere, recipeDefaults } from './weights.js';

const { dir } = await scratch();
const tensor = new Map([['w', { dtype: 'float32' as const, shape: [1], data: new Float32Array(1) }]]);

describe('recipeDefaults', () => {
  it('gives random init and the bundled backbone their measured rates, layer decay and epochs', () => {
    assert.deepEqual(recipeDefaults('none', 'seg'), { lr: 1.28e-2, layerDecay: 1, epochs: 30 });
    assert.deepEqual(recipeDefaults('none', 'cls'), { lr: 6.4e-2, layerDecay: 1, epochs: 30 });
    assert.deepEqual(recipeDefaults('bundled', 'seg'), { lr: 1.28e-2, layerDecay: 1, epochs: 30 });
    assert.deepEqual(recipeDefaults('bundled', 'cls'), { lr: 2e-2, layerDecay: 0.75, epochs: 60 });
  });

  it('gives an encoder usfm pretrain wrote the bundled recipe, and any other checkpoint the official one', async () => {
    const ours = join(dir, 'encoder.safetensors');
    await writeSafetensors(ours, tensor, { [RECORD_KEY]: '{"objective":{}}', 'usfm.converted': 'fp16' });
    const other = join(dir, 'other.safetensors');
    await writeSafetensors(other, tensor, { format: 'pt' });
    assert.equal(pretrainedHere(ours), true);
    assert.equal(pretrainedHere(other), false);
    assert.deepEqual(recipeDefaults(ours, 'seg'), recipeDefaults('bundled', 'seg'));
    assert.deepEqual(recipeDefaults(ours, 'cls'), recipeDefaults('bundled', 'cls'));
    assert.deepEqual(recipeDefaults(other, 'seg'), { lr: 3.2e-3, layerDecay: 0.65, epochs: 30 });
    assert.deepEqual(recipeDefaults(other, 'cls'), { lr: 1.25e-3, layerDecay: 0.65, epochs: 60 });
    // Told by content, not by name: the same encoder under another name still gets our recipe.
    const renamed = join(dir, 'encoder-fp16.bin');
    await writeSafetensors(renamed, tensor, { [RECORD_KEY]: '{"objective":{}}' });
    assert.deepEqual(recipeDefaults(renamed, 'seg'), recipeDefaults('bundled', 'seg'));
  });

  it('leaves unreadable, damaged and non-safetensors files (a .pth zip) to the official recipe (loading them names the problem)', () => {
    const damaged = join(dir, 'damaged.safetensors');
    writeFileSync(damaged, new Uint8Array([255, 255, 255, 255, 0, 0, 0, 0, 1, 2]));
    const pth = join(dir, 'USFM_latest.pth');
    writeFileSync(pth, new Uint8Array([0x50, 0x4b, 3, 4, 20, 0, 0, 0, 8, 0])); // a zip's first bytes, as torch.save writes
    for (const f of [damaged, pth, join(dir, 'missing.safetensors')]) {
      assert.equal(pretrainedHere(f), false, f);
      assert.deepEqual(recipeDefaults(f, 'seg'), { lr: 3.2e-3, layerDecay: 0.65, epochs: 30 });
    }
  });
});
