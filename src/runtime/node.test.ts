import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { input } from '../core/tensor.js';
import { emitModel } from '../onnx/emit.js';
import { mul } from '../ops/index.js';
import { denormalMode, flushDenormals, nodeBackend } from './node.js';

const node = new URL('./node.ts', import.meta.url).href;
const tensor = new URL('../core/tensor.ts', import.meta.url).href;
const emit = new URL('../onnx/emit.ts', import.meta.url).href;
const ops = new URL('../ops/index.ts', import.meta.url).href;

/**
 * In a fresh process (the mode is per process): the bits of x·2 from onnxruntime for a denormal x, and what JavaScript
 * makes of Number.MIN_VALUE afterwards.
 */
function probe(flush: boolean): { bits: number; minValuePositive: boolean; mode: string } {
  const script = `
    import { denormalMode, flushDenormals, nodeBackend } from '${node}';
    import { input } from '${tensor}';
    import { emitModel } from '${emit}';
    import { mul } from '${ops}';
    ${flush ? 'flushDenormals();' : ''}
    const x = input('x', 'float32', [2]);
    const s = await nodeBackend.createSession(emitModel({ inputs: [x], outputs: [{ name: 'y', tensor: mul(x, 2) }] }).bytes);
    const y = await s.run({ x: { dtype: 'float32', shape: [2], data: new Float32Array([1e-39, 1]) } });
    // The output's bits, not a number read from them (this thread may flush that read too).
    console.log(JSON.stringify({ bits: new Uint32Array(y.y.data.buffer, y.y.data.byteOffset, 1)[0], minValuePositive: Number.MIN_VALUE > 0, mode: denormalMode() }));`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').at(-1)!) as { bits: number; minValuePositive: boolean; mode: string };
}

describe('node backend: denormals', () => {
  it('keeps IEEE denormals by default, and computes with them as zero after flushDenormals()', () => {
    const ieee = probe(false);
    assert.equal(ieee.bits, new Uint32Array(Float32Array.of(2e-39).buffer)[0], 'onnxruntime computed 2 × 1e-39 as the denormal 2e-39');
    assert.equal(ieee.minValuePositive, true);
    assert.equal(ieee.mode, 'ieee');
    const flushed = probe(true);
    assert.equal(flushed.bits, 0, 'onnxruntime computed 2 × 1e-39 as +0');
    assert.equal(flushed.minValuePositive, false, 'the process-wide effect flushDenormals documents');
    assert.equal(flushed.mode, 'flush', 'the mode runs record');
  });

  it('refuses flushDenormals() once a session exists (it could no longer reach the calling thread)', async () => {
    const x = input('x', 'float32', [1]);
    const s = await nodeBackend.createSession(emitModel({ inputs: [x], outputs: [{ name: 'y', tensor: mul(x, 1) }] }).bytes);
    await s.release();
    assert.throws(() => flushDenormals(), /before the first onnxruntime session/);
    assert.equal(denormalMode(), 'ieee', 'a refused call changes nothing');
  });
});
