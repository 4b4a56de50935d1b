import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { clsClasses, scanClsDataset } from './cls.js';
import { IMAGE_EXTENSIONS } from './fs_scan.js';
import { treeMaker } from './testing/tree.js';
import { buildDicom, imageElements, TS } from '../dicom/testing/build.js';

const tree = treeMaker('usfm-cls-');

const basic = (): string =>
  tree(['train/normal/n1.png', 'train/benign/b2.png', 'train/benign/b1.jpg', 'train/malignant/m1.bmp', 'val/benign/vb.png', 'val/normal/vn.png', 'test/malignant/tm.png']);

describe('scanClsDataset', () => {
  it('labels images by sorted train class folders', async () => {
    const root = basic();
    const ds = await scanClsDataset(root, 'train');
    assert.deepEqual(ds.classes, ['benign', 'malignant', 'normal']);
    assert.deepEqual(
      ds.items.map((it) => [it.path.slice(root.length + 1), it.label, it.className]),
      [
        ['train/benign/b1.jpg', 0, 'benign'],
        ['train/benign/b2.png', 0, 'benign'],
        ['train/malignant/m1.bmp', 1, 'malignant'],
        ['train/normal/n1.png', 2, 'normal'],
      ],
    );
    assert.equal(ds.dir, join(root, 'train'));
    assert.deepEqual(ds.warnings, []);
  });

  it('uses the train class list for val and test, warning about missing class folders', async () => {
    const root = basic();
    const val = await scanClsDataset(root, 'val');
    assert.deepEqual(val.classes, ['benign', 'malignant', 'normal']);
    assert.deepEqual(
      val.items.map((it) => [it.label, it.className]),
      [
        [0, 'benign'],
        [2, 'normal'],
      ],
    );
    assert.deepEqual(val.warnings, [`${join(root, 'val/malignant')}: class folder missing, no val images of class 'malignant'`]);
    const test = await scanClsDataset(root, 'test');
    assert.deepEqual(
      test.items.map((it) => it.label),
      [1],
    );
    assert.equal(test.warnings.length, 2);
  });

  it('accepts every image extension, case-insensitively', async () => {
    const files = IMAGE_EXTENSIONS.flatMap((ext, i) => [`train/a/f${i}.${ext}`, `train/a/g${i}.${ext.toUpperCase()}`]);
    const ds = await scanClsDataset(tree(files), 'train');
    assert.equal(ds.items.length, 2 * IMAGE_EXTENSIONS.length);
    assert.deepEqual(ds.warnings, []);
  });

  it('takes a DICOM file without extension by its content', async () => {
    const root = tree(['train/a/x.png', 'train/a/notes']);
    writeFileSync(join(root, 'train', 'a', 'IM1'), buildDicom({ ts: TS.explicitLE, elements: imageElements({ rows: 2, columns: 2 }), pixels: new Uint8Array(4) }));
    const ds = await scanClsDataset(root, 'train');
    assert.deepEqual(ds.items.map((it) => it.path.slice(root.length + 1)), ['train/a/IM1', 'train/a/x.png']);
    assert.deepEqual(ds.warnings, [`${join(root, 'train/a')}: ignored 1 non-image entry: notes`]);
  });

  it('ignores hidden files and folders silently, warns about other entries', async () => {
    const root = tree(['train/a/x.png', 'train/a/.DS_Store', 'train/.hidden/y.png', 'train/a/readme.txt', 'train/a/nested/z.png', 'train/labels.csv']);
    const ds = await scanClsDataset(root, 'train');
    assert.deepEqual(ds.classes, ['a']);
    assert.equal(ds.items.length, 1);
    assert.deepEqual(ds.warnings, [
      `${join(root, 'train')}: ignored 1 file(s) outside class folders: labels.csv`,
      `${join(root, 'train/a')}: ignored 2 non-image entries: nested/, readme.txt`,
    ]);
  });

  it('allows an empty class folder with a warning, keeping its label', async () => {
    const root = tree(['train/a/x.png', 'train/b/', 'train/c/y.png', 'train/b/.keep']);
    const ds = await scanClsDataset(root, 'train');
    assert.deepEqual(ds.classes, ['a', 'b', 'c']);
    assert.deepEqual(
      ds.items.map((it) => it.label),
      [0, 2],
    );
    assert.deepEqual(ds.warnings, [`${join(root, 'train/b')}: empty class folder, no images`]);
  });

  it('rejects a missing root', async () => {
    const root = join(tree([]), 'absent');
    await assert.rejects(scanClsDataset(root, 'val'), { message: `${root}: dataset root does not exist` });
  });

  it('rejects a missing train split even when another split is asked for', async () => {
    const root = tree(['val/a/x.png']);
    await assert.rejects(scanClsDataset(root, 'val'), { message: `${join(root, 'train')}: train split folder does not exist` });
  });

  it('rejects a missing requested split folder', async () => {
    const root = tree(['train/a/x.png']);
    await assert.rejects(scanClsDataset(root, 'test'), { message: `${join(root, 'test')}: test split folder does not exist` });
  });

  it('rejects a train split without class folders', async () => {
    const root = tree(['train/x.png']);
    await assert.rejects(scanClsDataset(root, 'train'), { message: `${join(root, 'train')}: no class folders in the train split` });
  });

  it('rejects a val/test class folder that train lacks, naming it', async () => {
    const root = tree(['train/a/x.png', 'train/b/y.png', 'val/a/x.png', 'val/c/z.png']);
    await assert.rejects(scanClsDataset(root, 'val'), { message: `${join(root, 'val/c')}: class folder not in the train split (train classes: a, b)` });
  });

  it('rejects an empty split', async () => {
    const root = tree(['train/a/x.png', 'test/a/', 'test/a/notes.txt']);
    await assert.rejects(scanClsDataset(root, 'test'), { message: `${join(root, 'test')}: empty test split, no images in any class folder` });
    const allEmpty = tree(['train/a/', 'train/b/']);
    await assert.rejects(scanClsDataset(allEmpty, 'train'), /empty train split/);
  });

  it('clsClasses lists the train classes', async () => {
    assert.deepEqual(await clsClasses(basic()), ['benign', 'malignant', 'normal']);
  });
});
