// `usfm demo` on the bundled HC18 subset (one short epoch) and `usfm predict` on its model.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, describe, it } from 'node:test';
import sharp from 'sharp';
import { writeSafetensors } from '../checkpoint/safetensors.js';
import { decodeFrames, decodeImage } from '../data/decode.js';
import { buildDicom, imageElements, TS } from '../data/dicom/testing/build.js';
import { DEMO_DATA } from './demo.js';
import { main } from './main.js';
import { tempDir } from '../testing/temp_dir.js';

const tmp = tempDir('usfm-predict-');
const demoOut = join(tmp, 'demo');
const ECHO = fileURLToPath(new URL('../../../shared/data/Dicom/US-PAL-8-10x-echo.dcm', import.meta.url));

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (t) => { out += t; }, err: (t) => { err += t; } });
  return { code, out, err };
}

describe('usfm demo and usfm predict', () => {
  before(async () => {
    const r = await cli(['demo', '--epochs', '1', '--img-size', '32', '--out', demoOut]);
    assert.equal(r.code, 0, r.err);
  });

  it('demo trains, evaluates the 10 bundled test images and writes overlays and a summary', async () => {
    const s = JSON.parse(readFileSync(join(demoOut, 'summary.json'), 'utf8')) as Record<string, { mean: number; n: number } | number | string[]>;
    assert.equal(s.testImages, 10);
    const dice = s.dice as { mean: number; n: number };
    assert.ok(dice.mean >= 0 && dice.mean <= 1 && dice.n === 10);
    assert.ok((s.hcErrorMm as { n: number }).n > 0, 'HC error in mm needs the bundled pixel size table');
    const overlays = readdirSync(join(demoOut, 'overlays')).sort();
    assert.equal(overlays.length, 10);
    const img = await decodeImage(join(DEMO_DATA, 'test_set', 'image', overlays[0]!.replace('_overlay', '')));
    const ov = await decodeImage(join(demoOut, 'overlays', overlays[0]!));
    assert.deepEqual([ov.width, ov.height, ov.channels], [img.width, img.height, 3]);
    assert.match(readFileSync(join(demoOut, 'summary.md'), 'utf8'), /\| Dice \| \d\.\d{3} ± \d\.\d{3} \|/);
  });

  it('predict writes a mask and an overlay per image at the image\'s own size, and predictions.json', async () => {
    const out = join(tmp, 'pred');
    const one = join(DEMO_DATA, 'test_set', 'image', '008_HC.png');
    const r = await cli(['predict', '--run', join(demoOut, 'run'), '--out', out, '--pixel-size', '0.1', one, join(DEMO_DATA, 'val_set', 'image')]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^11 predictions from 11 inputs → /);
    const json = JSON.parse(readFileSync(join(out, 'predictions.json'), 'utf8')) as { task: string; classes: string[]; predictions: { input: string; mask: string; overlay: string; width: number; height: number; frame: number | null; classPixels: Record<string, number>; ellipse: { perimeterPx: number; perimeterMm: number } | null }[] };
    assert.equal(json.task, 'seg');
    assert.equal(json.predictions.length, 11);
    for (const p of json.predictions) {
      const src = await decodeImage(p.input);
      const m = await decodeImage(join(out, p.mask));
      assert.deepEqual([m.width, m.height, m.channels], [src.width, src.height, 1], p.mask);
      assert.ok(m.data.every((v) => v === 0 || v === 255), `${p.mask}: binary mask values must be 0/255`);
      assert.equal(m.data.filter((v) => v === 255).length, p.classPixels['1'], `${p.mask}: foreground count in the JSON`);
      assert.ok(existsSync(join(out, p.overlay)));
      assert.equal(p.frame, null);
      if (p.ellipse) assert.ok(Math.abs(p.ellipse.perimeterMm - 0.1 * p.ellipse.perimeterPx) < 1e-9);
    }
    assert.ok(json.predictions.some((p) => p.ellipse), 'at least one mask has a fitted ellipse');
  });

  it('predict --tta hflip: the mask of a mirrored image is the mirrored mask (without TTA this model is not)', async () => {
    const dir = join(tmp, 'mirror-in');
    mkdirSync(dir);
    copyFileSync(join(DEMO_DATA, 'test_set', 'image', '008_HC.png'), join(dir, 'a.png'));
    await sharp(join(DEMO_DATA, 'test_set', 'image', '008_HC.png')).flop().toFile(join(dir, 'b.png'));
    /** Pixels where b's mask differs from a's mask mirrored, and the recorded TTA. */
    const mismatch = async (tta: string): Promise<[number, string]> => {
      const out = join(tmp, `pred-mirror-${tta}`);
      const r = await cli(['predict', '--run', join(demoOut, 'run'), '--out', out, '--tta', tta, dir]);
      assert.equal(r.code, 0, r.err);
      const [a, b] = [await decodeImage(join(out, 'a_mask.png')), await decodeImage(join(out, 'b_mask.png'))];
      let n = 0;
      for (let y = 0; y < a.height; y++) for (let x = 0; x < a.width; x++) if (a.data[y * a.width + x] !== b.data[y * a.width + a.width - 1 - x]) n++;
      return [n, (JSON.parse(readFileSync(join(out, 'predictions.json'), 'utf8')) as { tta: string }).tta];
    };
    const [plain, plainTta] = await mismatch('none');
    const [tta, ttaTta] = await mismatch('hflip');
    assert.deepEqual([plainTta, ttaTta], ['none', 'hflip']);
    assert.ok(plain > 1000, `the plain model disagrees with itself on the mirror image in ${plain} pixels`);
    // Exact up to resampling's float asymmetry at a few boundary pixels.
    assert.ok(tta <= 20, `${tta} pixels differ with --tta hflip`);
  });

  it('predicts every frame of a multi-frame DICOM (or the one --frames picks)', async () => {
    const [rows, columns, frames] = [40, 48, 3];
    const px = new Uint8Array(rows * columns * frames).map((_, i) => (i * 7 + Math.floor(i / (rows * columns)) * 50) % 256);
    const cine = join(tmp, 'cine.dcm');
    writeFileSync(cine, buildDicom({ ts: TS.explicitLE, elements: imageElements({ rows, columns, frames }), pixels: px }));
    const out = join(tmp, 'pred-cine');
    const r = await cli(['predict', '--run', join(demoOut, 'run'), '--out', out, cine]);
    assert.equal(r.code, 0, r.err);
    const json = JSON.parse(readFileSync(join(out, 'predictions.json'), 'utf8')) as { predictions: { frame: number; mask: string; width: number; height: number }[] };
    assert.deepEqual(json.predictions.map((p) => [p.frame, p.mask, p.width, p.height]), [0, 1, 2].map((f) => [f, `cine_f00${f}_mask.png`, columns, rows]));
    const one = await cli(['predict', '--run', join(demoOut, 'run'), '--out', join(tmp, 'pred-cine1'), '--frames', '1', cine]);
    assert.equal(one.code, 0, one.err);
    assert.deepEqual(readdirSync(join(tmp, 'pred-cine1')).sort(), ['cine_f001_mask.png', 'cine_f001_overlay.png', 'predictions.json']);
    // A folder of DICOM exports without extensions (IM1) or named by UID: found by content, UID names kept whole.
    const exportDir = join(tmp, 'export');
    mkdirSync(exportDir);
    copyFileSync(cine, join(exportDir, 'IM1'));
    copyFileSync(cine, join(exportDir, '1.2.840.5'));
    writeFileSync(join(exportDir, 'DICOMDIR.txt'), 'not an image');
    const exp = await cli(['predict', '--run', join(demoOut, 'run'), '--out', join(tmp, 'pred-export'), '--frames', '0', exportDir]);
    assert.equal(exp.code, 0, exp.err);
    assert.deepEqual(readdirSync(join(tmp, 'pred-export')).filter((f) => f.endsWith('_mask.png')).sort(), ['1.2.840.5_f000_mask.png', 'IM1_f000_mask.png']);
    const bad = await cli(['predict', '--run', join(demoOut, 'run'), '--out', join(tmp, 'pred-cine5'), '--frames', '5', cine]);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /cine\.dcm: frame 5 requested but the file has 3 frames/);
  });

  it('predicts on the real 10-frame ultrasound cine (../shared/data/Dicom)', async () => {
    if (!existsSync(ECHO)) {
      assert.notEqual(process.env.CI, 'true', `${ECHO} is missing, and CI must have the real data`);
      return;
    }
    const out = join(tmp, 'pred-echo');
    const r = await cli(['predict', '--run', join(demoOut, 'run'), '--out', out, ECHO]);
    assert.equal(r.code, 0, r.err);
    const overlays = readdirSync(out).filter((f) => f.endsWith('_overlay.png')).sort();
    assert.equal(overlays.length, 10);
    const ov = await decodeImage(join(out, overlays[9]!));
    const src = (await decodeFrames(ECHO, 9))[0]!;
    assert.deepEqual([ov.width, ov.height], [src.width, src.height]);
  });

  it('fails with one line naming the bad input, before writing anything', async () => {
    const bad = join(tmp, 'broken.png');
    writeFileSync(bad, 'not an image');
    const out = join(tmp, 'pred-bad');
    const r = await cli(['predict', '--run', join(demoOut, 'run'), '--out', out, join(DEMO_DATA, 'test_set', 'image', '008_HC.png'), bad]);
    assert.equal(r.code, 1);
    assert.equal(r.err.trim().split('\n').length, 1);
    assert.match(r.err, /broken\.png: /);
    assert.ok(!existsSync(out), 'nothing written for a failed command');
    const clash = await cli(['predict', '--run', join(demoOut, 'run'), '--out', out, join(DEMO_DATA, 'test_set', 'image', '008_HC.png'), join(DEMO_DATA, 'test_set', 'image', '..', 'image', '008_HC.png')]);
    assert.equal(clash.code, 2);
    assert.match(clash.err, /same output name '008_HC'/);
    const badBatch = await cli(['predict', '--run', join(demoOut, 'run'), '--out', out, '--batch-size', '0', join(DEMO_DATA, 'test_set', 'image', '008_HC.png')]);
    assert.equal(badBatch.code, 2);
    assert.ok(!existsSync(out), 'a bad flag writes nothing');
    const enc = join(tmp, 'encoder.safetensors');
    await writeSafetensors(enc, new Map([['cls_token', { dtype: 'float32', shape: [1, 1, 4], data: new Float32Array(4) }]]));
    const notTask = await cli(['predict', '--weights', enc, '--out', out, join(DEMO_DATA, 'test_set', 'image', '008_HC.png')]);
    assert.equal(notTask.code, 1);
    assert.match(notTask.err, /encoder\.safetensors: not a fine-tuned model/);
  });

  it('a failed demo (bad --weights) leaves the previous model in place', async () => {
    const before = readFileSync(join(demoOut, 'run', 'best.safetensors'));
    const r = await cli(['demo', '--epochs', '1', '--img-size', '32', '--weights', join(tmp, 'nope.pth'), '--out', demoOut]);
    assert.equal(r.code, 1);
    assert.match(r.err, /nope\.pth: /);
    assert.deepEqual(readFileSync(join(demoOut, 'run', 'best.safetensors')), before);
  });

  it('predict gives class probabilities for a classifier', async () => {
    const data = join(tmp, 'cls');
    for (const split of ['train', 'val']) {
      for (const [cls, v] of [['bright', 190], ['dark', 60]] as const) {
        mkdirSync(join(data, split, cls), { recursive: true });
        for (let i = 0; i < 4; i++) {
          await sharp(new Uint8Array(40 * 30).fill(v + i), { raw: { width: 40, height: 30, channels: 1 } }).png().toFile(join(data, split, cls, `${i}.png`));
        }
      }
    }
    const run = join(tmp, 'cls-run');
    const ft = await cli(['finetune', '--task', 'cls', '--data', data, '--weights', 'none', '--img-size', '32', '--epochs', '1', '--batch-size', '4', '--out', run]);
    assert.equal(ft.code, 0, ft.err);
    const out = join(tmp, 'cls-pred');
    const r = await cli(['predict', '--run', run, '--out', out, join(data, 'val', 'bright', '0.png'), join(data, 'val', 'dark', '1.png'), join(data, 'val', 'dark', '2.png')]);
    assert.equal(r.code, 0, r.err);
    const json = JSON.parse(readFileSync(join(out, 'predictions.json'), 'utf8')) as { classes: string[]; predictions: { label: string; probabilities: Record<string, number> }[] };
    assert.deepEqual(json.classes, ['bright', 'dark']);
    assert.equal(json.predictions.length, 3);
    for (const p of json.predictions) {
      const ps = Object.values(p.probabilities);
      assert.ok(Math.abs(ps.reduce((a, b) => a + b) - 1) < 1e-5);
      assert.equal(p.label, ps[0]! >= ps[1]! ? 'bright' : 'dark');
    }
    assert.deepEqual(readdirSync(out), ['predictions.json']);
  });
});
