import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { treeMaker } from '../datasets/testing/tree.js';
import { buildDicom, imageElements, TS } from '../dicom/testing/build.js';
import { isDicom } from '../dicom/parse.js';
import { sourceNames } from './names.js';
import { isHeldOutDir, isLabelDir, isLabelFileStem } from './rules.js';
import { describeSources, scanSources } from './sources.js';

const tree = treeMaker('usfm-pretrain-src-');

const rel = (root: string, paths: readonly { path: string }[]): string[] => paths.map((p) => p.path.slice(root.length + 1));

describe('scanSources', () => {
  it('finds images recursively, sorted, skipping hidden and non-image files', async () => {
    const root = tree(['b.png', 'a/z.JPG', 'a/y.jpeg', 'c.bmp', 'd.tif', 'e.TIFF', 'f.webp', '.hidden.png', '.h/x.png', 'notes.txt', 'sub/deep/k.png']);
    const [rows, columns] = [4, 5];
    writeFileSync(join(root, 'g.dcm'), buildDicom({ ts: TS.explicitLE, elements: imageElements({ rows, columns, frames: 3 }), pixels: new Uint8Array(rows * columns * 3) }));
    const [src] = await scanSources([root]);
    assert.deepEqual(rel(root, src!.items), ['a/y.jpeg', 'a/z.JPG', 'b.png', 'c.bmp', 'd.tif', 'e.TIFF', 'f.webp', 'g.dcm', 'g.dcm', 'g.dcm', 'sub/deep/k.png']);
    assert.deepEqual(src!.items.map((it) => it.frame), [undefined, undefined, undefined, undefined, undefined, undefined, undefined, 0, 1, 2, undefined]);
    assert.ok(src!.items.every((it) => it.source === src!.name));
    assert.deepEqual(src!.notes, ['ignored non-image files (1): notes.txt', 'DICOM files (1): each frame is an image']);
  });

  it('takes DICOM files of any name by content (exports name them IM1 or by UID), not other extensionless files', async () => {
    const root = tree(['a.png', 'README', 'DICOM/PA1/notes.1']);
    const dicom = buildDicom({ ts: TS.explicitLE, elements: imageElements({ rows: 4, columns: 5, frames: 2 }), pixels: new Uint8Array(40) });
    writeFileSync(join(root, 'DICOM', 'PA1', 'IM000001'), dicom);
    writeFileSync(join(root, 'DICOM', 'PA1', '1.2.840.113619.2.55.3'), dicom);
    // A stream without the Part 10 preamble decodes (isDicom), but is not taken on content alone: a stray binary
    // file would too easily pass for it.
    const stream = dicom.subarray(132);
    assert.ok(isDicom(stream));
    writeFileSync(join(root, 'DICOM', 'PA1', 'IM000002'), stream);
    const [src] = await scanSources([root]);
    assert.deepEqual(src!.items.map((it) => [it.path.slice(root.length + 1), it.frame]), [
      ['DICOM/PA1/1.2.840.113619.2.55.3', 0], ['DICOM/PA1/1.2.840.113619.2.55.3', 1], ['DICOM/PA1/IM000001', 0], ['DICOM/PA1/IM000001', 1], ['a.png', undefined],
    ]);
    assert.deepEqual(src!.notes, ['ignored non-image files (3): DICOM/PA1/IM000002, DICOM/PA1/notes.1, README', 'DICOM files (2): each frame is an image']);
  });

  it('reads only the training split of a segmentation root, never masks', async () => {
    const files = ['pixel_size.csv'];
    for (const s of ['training_set', 'val_set', 'test_set']) files.push(`${s}/image/1.png`, `${s}/image/2.png`, `${s}/mask/1.png`, `${s}/mask/2.png`);
    const root = tree(files);
    const [src] = await scanSources([root]);
    assert.deepEqual(rel(root, src!.items), ['training_set/image/1.png', 'training_set/image/2.png']);
    assert.deepEqual(src!.notes, [
      'skipped held-out split folders (2): test_set, val_set',
      'skipped label folders (1): training_set/mask',
      'ignored non-image files (1): pixel_size.csv',
    ]);
    const all = await scanSources([root], { splits: 'all' });
    assert.equal(all[0]!.items.length, 6);
    assert.ok(all[0]!.items.every((it) => !it.path.includes('/mask/')));
  });

  it('reads only the train split of a classification root', async () => {
    const root = tree(['train/a/1.png', 'train/b/2.png', 'val/a/3.png', 'test/b/4.png', 'Validation/a/5.png', 'TEST-SET/6.png']);
    const [src] = await scanSources([root]);
    assert.deepEqual(rel(root, src!.items), ['train/a/1.png', 'train/b/2.png']);
  });

  it('skips label images named *_mask, *_Annotation, …', async () => {
    const root = tree(['benign (1).png', 'benign (1)_mask.png', 'benign (1)_mask_1.png', '000_HC.png', '000_HC_Annotation.png', 'x_gt.png', 'masked.png']);
    const [src] = await scanSources([root]);
    assert.deepEqual(rel(root, src!.items), ['000_HC.png', 'benign (1).png', 'masked.png']);
    assert.match(src!.notes[0]!, /^skipped label images \(4\)/);
  });

  it('refuses held-out split and label folders given directly, unless splits is all', async () => {
    const root = tree(['val_set/image/1.png', 'test/benign/2.png', 'training_set/mask/3.png']);
    for (const d of ['val_set', 'val_set/image', 'test/benign']) {
      await assert.rejects(scanSources([join(root, d)]), (e: Error) => e.message.startsWith(join(root, d)) && /held-out split folder/.test(e.message));
      assert.equal((await scanSources([join(root, d)], { splits: 'all' }))[0]!.items.length, 1);
    }
    await assert.rejects(scanSources([join(root, 'training_set/mask')], { splits: 'all' }), /is a label folder \('mask'\)/);
  });

  it('errors on a missing folder, a file, no folders, no images, overlapping folders', async () => {
    const root = tree(['a/1.png', 'empty/', 'only/val/1.png', 'only/readme.md']);
    await assert.rejects(scanSources([join(root, 'nope')]), (e: Error) => e.message === `${join(root, 'nope')}: data folder does not exist`);
    await assert.rejects(scanSources([join(root, 'a/1.png')]), /: data folder is not a directory$/);
    await assert.rejects(scanSources([]), /no data folders given/);
    await assert.rejects(scanSources([join(root, 'empty')]), /empty: no images found \(looked recursively for png\/jpg/);
    await assert.rejects(scanSources([join(root, 'only')]), /only: no images found .*skipped held-out split folders \(1\): val; ignored non-image files \(1\): readme.md$/);
    await assert.rejects(scanSources([join(root, 'a'), `${join(root, 'a')}/`]), /data folder given twice/);
    await assert.rejects(scanSources([root, join(root, 'a')]), /a: data folder is inside another data folder/);
    await assert.rejects(scanSources([root], { splits: 'x' as 'all' }), /splits must be 'train' or 'all'/);
  });

  it('names sources after their folders, uniquely', async () => {
    const root = tree(['x/liver/1.png', 'y/liver/2.png', 'Seg/hc18/training_set/image/3.png', 'Cls/busi/train/a/4.png', 'fetal_head/5.png']);
    const dirs = ['x/liver', 'y/liver', 'Seg/hc18/training_set/image', 'Cls/busi/train', 'fetal_head'].map((d) => join(root, d));
    const sources = await scanSources(dirs);
    assert.deepEqual(sources.map((s) => s.name), ['x/liver', 'y/liver', 'hc18', 'busi', 'fetal_head']);
    assert.deepEqual(sources.map((s) => s.items[0]!.source), ['x/liver', 'y/liver', 'hc18', 'busi', 'fetal_head']);
    assert.deepEqual(sources.map((s) => s.root), dirs);
  });

  it('expands DICOM files into frames through countFrames', async () => {
    const root = tree(['a.dcm', 'b.png', 'c.DCM']);
    const counts: Record<string, number> = { 'a.dcm': 3, 'c.DCM': 1 };
    const [src] = await scanSources([root], { countFrames: async (p) => counts[p.slice(root.length + 1)]! });
    assert.deepEqual(src!.items.map((it) => [it.path.slice(root.length + 1), it.frame]), [['a.dcm', 0], ['a.dcm', 1], ['a.dcm', 2], ['b.png', undefined], ['c.DCM', 0]]);
    assert.deepEqual(src!.notes, ['DICOM files (2): each frame is an image']);
    await assert.rejects(scanSources([root], { countFrames: async () => 0 }), /a\.dcm: invalid DICOM frame count 0/);
    assert.match(describeSources([src!])[1]!, /: 5 images \(3 files\) in /);
  });

  it('reads each real folder once through symbolic link loops', async () => {
    const root = tree(['d/1.png']);
    mkdirSync(join(root, 'd/sub'));
    symlinkSync(join(root, 'd'), join(root, 'd/sub/loop'));
    const [src] = await scanSources([join(root, 'd')]);
    assert.deepEqual(rel(join(root, 'd'), src!.items), ['1.png']);
    assert.deepEqual(src!.notes, ['skipped folders already read (symbolic links) (1): sub/loop']);
  });

  it('is deterministic and describes what it found', async () => {
    const root = tree(['s1/b.png', 's1/a.png', 's1/val/c.png', 's2/x.png']);
    const dirs = [join(root, 's1'), join(root, 's2')];
    const a = await scanSources(dirs);
    assert.deepEqual(await scanSources(dirs), a);
    assert.deepEqual(describeSources(a), [
      '2 pretraining sources, 3 images',
      `  s1: 2 images in ${join(root, 's1')}`,
      '    skipped held-out split folders (1): val',
      `  s2: 1 images in ${join(root, 's2')}`,
    ]);
  });
});

describe('pretraining folder rules', () => {
  it('recognise split, label and label-file names', () => {
    for (const n of ['val', 'Val_Set', 'valid', 'validation', 'test', 'test-set', 'Testing', 'eval']) assert.ok(isHeldOutDir(n), n);
    for (const n of ['train', 'training_set', 'image', 'benign', 'vali', 'contest']) assert.ok(!isHeldOutDir(n), n);
    for (const n of ['mask', 'Masks', 'labels', 'GT', 'ground_truth']) assert.ok(isLabelDir(n), n);
    for (const n of ['x_mask', 'x_Mask_2', 'x-annotation', 'x_gt']) assert.ok(isLabelFileStem(n), n);
    for (const n of ['mask', 'x_masked', 'gt_1', 'x_gt3d']) assert.ok(!isLabelFileStem(n), n);
  });

  it('name sources uniquely even when they differ only in generic folders', () => {
    assert.deepEqual(sourceNames(['/d/a/us/images', '/d/b/us/images', '/d/c']), ['a/us', 'b/us', 'c']);
    assert.deepEqual(sourceNames(['/d/x/train', '/d/x/images']), ['x/train', 'x/images']);
    assert.deepEqual(sourceNames(['/train']), ['train']);
  });
});
