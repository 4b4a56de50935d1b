import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { Rng } from '../../core/random.js';
import { decodeImage } from '../decode.js';
import { buildDicom, imageElements, TS } from '../dicom/testing/build.js';
import type { RasterImage } from '../image.js';
import { sampleRng } from '../loader/augment.js';
import { IMAGENET_MEAN, IMAGENET_STD, imageToTensor } from '../preprocess.js';
import { PretrainLoader } from './loader.js';
import type { Flips } from './sample.js';
import { decodeItem, FLIP_PROBABILITIES, pretrainLoad, pretrainSample } from './sample.js';
import type { PretrainItem } from './sources.js';
import { scanSources } from './sources.js';

const base = mkdtempSync(join(tmpdir(), 'usfm-pretrain-sample-'));
after(() => rmSync(base, { recursive: true, force: true }));

/** A grayscale PNG with a per-file pattern. */
async function writeGray(path: string, w: number, h: number, salt: number): Promise<void> {
  const data = Buffer.alloc(w * h);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7 + salt * 31 + ((i % w) * (i / w)) / 3) & 255;
  await sharp(data, { raw: { width: w, height: h, channels: 1 } }).png().toFile(path);
}

/** RGB ramp: R = x, G = y, so a crop's extent shows in the output's R and G ranges. */
function ramp(w: number, h: number): RasterImage {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set([x, y, 0], (y * w + x) * 3);
  return { width: w, height: h, channels: 3, data };
}

/** Min and max of channel c of a normalised [3, S, S] tensor, back in 0..255. */
function channelRange(t: Float32Array, c: number, plane: number): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = c * plane; i < (c + 1) * plane; i++) {
    const v = (t[i]! * IMAGENET_STD[c]! + IMAGENET_MEAN[c]!) * 255;
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return [lo, hi];
}

const item = (path: string): PretrainItem => ({ path, source: 's' });
let small = '';
let large = '';

before(async () => {
  small = join(base, 'small');
  large = join(base, 'large');
  mkdirSync(small);
  mkdirSync(large);
  await writeGray(join(small, 'a.png'), 50, 40, 1);
  await writeGray(join(small, 'b.png'), 45, 60, 2);
  for (let i = 0; i < 6; i++) await writeGray(join(large, `${i}.png`), 40 + i, 48, 10 + i);
});

describe('pretrainSample', () => {
  it('without crop or flips is exactly the fine-tuning preprocessing (gray → 3 channels)', async () => {
    const path = join(small, 'a.png');
    const s = await pretrainSample(item(path), { imgSize: 32, rng: new Rng(1), crop: null, hflip: 0, vflip: 0 });
    const ref = imageToTensor(await decodeImage(path), 32);
    assert.deepEqual(s.image.shape, [3, 32, 32]);
    assert.deepEqual(s.image.data, ref.data);
    assert.equal(s.mask, undefined);
    assert.equal(s.label, undefined);
  });

  it('replicates grayscale to three identical planes before normalising', async () => {
    const s = await pretrainSample(item(join(small, 'b.png')), { imgSize: 24, rng: new Rng(5) });
    const plane = 24 * 24;
    for (let i = 0; i < plane; i++) {
      const v = [0, 1, 2].map((c) => Math.round((s.image.data[c * plane + i]! * IMAGENET_STD[c]! + IMAGENET_MEAN[c]!) * 255));
      assert.ok(v[0] === v[1] && v[1] === v[2], `pixel ${i}: ${v.join(',')}`);
    }
  });

  it('is deterministic per RNG seed and varies across seeds', async () => {
    const p = item(join(small, 'a.png'));
    const a = await pretrainSample(p, { imgSize: 32, rng: sampleRng(0, 1, 2) });
    assert.deepEqual((await pretrainSample(p, { imgSize: 32, rng: sampleRng(0, 1, 2) })).image.data, a.image.data);
    assert.notDeepEqual((await pretrainSample(p, { imgSize: 32, rng: sampleRng(0, 1, 3) })).image.data, a.image.data);
  });

  it('crops 0.67–1 of the image area by default', async () => {
    const img = ramp(240, 180);
    const decode = async (): Promise<RasterImage> => img;
    const S = 120;
    const fractions: number[] = [];
    for (let k = 0; k < 200; k++) {
      const s = await pretrainSample(item('ramp'), { imgSize: S, rng: new Rng(k), decode });
      const [x0, x1] = channelRange(s.image.data, 0, S * S);
      const [y0, y1] = channelRange(s.image.data, 1, S * S);
      // Output pixel centres span the crop minus half an output pixel at each end.
      const w = ((x1 - x0) * S) / (S - 1) + 1;
      const h = ((y1 - y0) * S) / (S - 1) + 1;
      const ratio = w / h;
      assert.ok(ratio > 0.73 && ratio < 1.37, `aspect ${ratio}`);
      fractions.push((w * h) / (240 * 180));
    }
    const lo = Math.min(...fractions);
    const hi = Math.max(...fractions);
    assert.ok(lo > 0.65 && lo < 0.72, `smallest crop ${lo}`);
    assert.ok(hi > 0.93 && hi < 1.02, `largest crop ${hi}`);
  });

  it('flips horizontally and vertically with the given probabilities', async () => {
    const img = ramp(16, 12);
    const decode = async (): Promise<RasterImage> => img;
    const load = (hflip: number, vflip: number): Promise<Float32Array> => pretrainSample(item('r'), { imgSize: 16, rng: new Rng(0), crop: null, hflip, vflip, decode })
      .then((s) => s.image.data);
    const plain = await load(0, 0);
    const h = await load(1, 0);
    const v = await load(0, 1);
    const at = (t: Float32Array, c: number, y: number, x: number): number => t[c * 256 + y * 16 + x]!;
    for (let y = 0; y < 16; y++) {
      for (let x = 0; x < 16; x++) {
        assert.equal(at(h, 0, y, x), at(plain, 0, y, 15 - x));
        assert.equal(at(v, 1, y, x), at(plain, 1, 15 - y, x));
      }
    }
  });

  it('--flips choices: hv flips both ways, h never vertically, none never', async () => {
    const img = ramp(16, 12);
    const decode = async (): Promise<RasterImage> => img;
    const plain = (await pretrainSample(item('r'), { imgSize: 16, rng: new Rng(0), crop: null, hflip: 0, vflip: 0, decode })).image.data;
    const at = (t: Float32Array, c: number, y: number, x: number): number => t[c * 256 + y * 16 + x]!;
    const seen = async (flips: Flips): Promise<Set<string>> => {
      const kinds = new Set<string>();
      for (let seed = 0; seed < 40; seed++) {
        const t = (await pretrainSample(item('r'), { imgSize: 16, rng: new Rng(seed), crop: null, ...FLIP_PROBABILITIES[flips], decode })).image.data;
        // ramp() varies along x in channel 0 and along y in channel 1: a flip reverses that channel's gradient.
        kinds.add(`${at(t, 0, 0, 0) === at(plain, 0, 0, 15) ? 'h' : ''}${at(t, 1, 0, 0) === at(plain, 1, 15, 0) ? 'v' : ''}`);
      }
      return kinds;
    };
    assert.deepEqual([...await seen('hv')].sort(), ['', 'h', 'hv', 'v']);
    assert.deepEqual([...await seen('h')].sort(), ['', 'h']);
    assert.deepEqual([...await seen('none')], ['']);
  });

  it('names the file when decoding fails; decodes the requested DICOM frame', async () => {
    await assert.rejects(pretrainSample(item(join(base, 'missing.png')), { imgSize: 8, rng: new Rng(0) }), /missing\.png: no such file/);
    const cine = join(base, 'cine.dcm');
    writeFileSync(cine, buildDicom({ ts: TS.explicitLE, elements: imageElements({ rows: 2, columns: 3, frames: 3 }), pixels: Uint8Array.from({ length: 18 }, (_, i) => 10 * Math.floor(i / 6)) }));
    assert.deepEqual(Array.from((await decodeItem({ path: cine, source: 's', frame: 2 })).data), [20, 20, 20, 20, 20, 20]);
    await assert.rejects(decodeItem({ path: cine, source: 's', frame: 3 }), /cine\.dcm: frame 3 requested but the file has 3 frames/);
    await assert.rejects(pretrainSample(item('x'), { imgSize: 0, rng: new Rng(0) }), /imgSize must be a positive integer/);
  });
});

describe('PretrainLoader', () => {
  it('batches balanced draws with the existing collate; deterministic whatever the concurrency', async () => {
    const sources = await scanSources([small, large]);
    const run = async (concurrency: number): Promise<{ px: Float32Array[]; paths: string[] }> => {
      const loader = new PretrainLoader(sources, pretrainLoad({ imgSize: 32 }), { batchSize: 4, seed: 3, concurrency });
      assert.equal(loader.length, 2);
      const px: Float32Array[] = [];
      const paths: string[] = [];
      for await (const b of loader.epoch(1)) {
        assert.deepEqual(b.pixel_values.shape, [4, 3, 32, 32]);
        assert.equal(b.masks, undefined);
        assert.equal(b.labels, undefined);
        px.push(b.pixel_values.data);
        paths.push(...b.items.map((it) => it.path));
      }
      return { px, paths };
    };
    const a = await run(1);
    assert.deepEqual(await run(8), a);
    assert.equal(a.paths.filter((p) => p.startsWith(small)).length, 4);
    // The small source's two images are each drawn twice, with different augmentations.
    const flat = Float32Array.from(a.px.flatMap((x) => Array.from(x)));
    const n = 3 * 32 * 32;
    const first = a.paths.indexOf(join(small, 'a.png'));
    const second = a.paths.indexOf(join(small, 'a.png'), first + 1);
    assert.ok(second > first);
    assert.notDeepEqual(flat.subarray(first * n, (first + 1) * n), flat.subarray(second * n, (second + 1) * n));
  });

  it("plain sampling ('none'), lengths and dropLast", async () => {
    const sources = await scanSources([small, large]);
    const loader = new PretrainLoader(sources, pretrainLoad({ imgSize: 8 }), { batchSize: 3, balance: 'none', length: 10, dropLast: false });
    assert.equal(loader.length, 4);
    const sizes: number[] = [];
    for await (const b of loader.epoch(0)) sizes.push(b.items.length);
    assert.deepEqual(sizes, [3, 3, 3, 1]);
    assert.throws(() => new PretrainLoader(sources, pretrainLoad({ imgSize: 8 }), { batchSize: 0 }), /batchSize must be a positive integer/);
    assert.throws(() => new PretrainLoader(sources, pretrainLoad({ imgSize: 8 }), { batchSize: 2, length: 0 }), /length must be a positive integer/);
  });
});
