import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { scanSegDataset } from './seg.js';
import { treeMaker } from './testing/tree.js';

const tree = treeMaker('usfm-seg-');

const pair = (split: string, image: string, mask = image): string[] => [`${split}/image/${image}`, `${split}/mask/${mask}`];

describe('scanSegDataset', () => {
  it('pairs images and masks of each split, sorted, with absolute paths', async () => {
    const root = tree([
      ...pair('training_set', 'b.png'),
      ...pair('training_set', 'a.png'),
      ...pair('training_set', 'C.png'),
      ...pair('val_set', 'v1.png'),
      ...pair('test_set', 't1.png'),
      ...pair('test_set', 't2.png'),
    ]);
    const train = await scanSegDataset(root, 'train');
    assert.deepEqual(
      train.items.map((it) => it.name),
      ['C.png', 'a.png', 'b.png'],
    );
    assert.deepEqual(train.items[1], {
      name: 'a.png',
      image: join(root, 'training_set/image/a.png'),
      mask: join(root, 'training_set/mask/a.png'),
    });
    assert.equal(train.dir, join(root, 'training_set'));
    assert.deepEqual(train.warnings, []);
    assert.equal((await scanSegDataset(root, 'val')).items.length, 1);
    assert.deepEqual(
      (await scanSegDataset(root, 'test')).items.map((it) => it.name),
      ['t1.png', 't2.png'],
    );
  });

  it('accepts a mask with the same stem and another image extension', async () => {
    const root = tree([...pair('val_set', 'a.jpg', 'a.png'), ...pair('val_set', 'b.JPEG', 'b.tif'), ...pair('val_set', 'c.png')]);
    const { items } = await scanSegDataset(root, 'val');
    assert.deepEqual(
      items.map((it) => [it.name, it.mask.slice(root.length + 1)]),
      [
        ['a.jpg', 'val_set/mask/a.png'],
        ['b.JPEG', 'val_set/mask/b.tif'],
        ['c.png', 'val_set/mask/c.png'],
      ],
    );
  });

  it('prefers the exact file name over a stem match', async () => {
    const root = tree(['test_set/image/a.png', 'test_set/image/a.jpg', 'test_set/mask/a.png', 'test_set/mask/a.jpg']);
    const { items } = await scanSegDataset(root, 'test');
    assert.deepEqual(
      items.map((it) => [it.name, it.mask.endsWith(it.name)]),
      [
        ['a.jpg', true],
        ['a.png', true],
      ],
    );
  });

  it('ignores hidden files silently and warns about other non-image entries', async () => {
    const root = tree([...pair('training_set', 'a.png'), 'training_set/image/.DS_Store', 'training_set/mask/._a.png', 'training_set/image/notes.txt', 'training_set/mask/sub/']);
    const ds = await scanSegDataset(root, 'train');
    assert.equal(ds.items.length, 1);
    assert.equal(ds.warnings.length, 2);
    assert.match(ds.warnings[0]!, /image: ignored 1 non-image entry: notes\.txt$/);
    assert.match(ds.warnings[1]!, /mask: ignored 1 non-image entry: sub\/$/);
  });

  it('rejects a missing root, naming it', async () => {
    const root = join(tree([]), 'nope');
    await assert.rejects(scanSegDataset(root, 'train'), { message: `${root}: dataset root does not exist` });
  });

  it('rejects a root that is a file', async () => {
    const root = tree(['f.png']);
    await assert.rejects(scanSegDataset(join(root, 'f.png'), 'train'), /f\.png: dataset root is not a directory$/);
  });

  it('rejects a missing split folder, naming it', async () => {
    const root = tree([...pair('training_set', 'a.png')]);
    await assert.rejects(scanSegDataset(root, 'val'), { message: `${join(root, 'val_set')}: val split folder does not exist` });
  });

  it('rejects a missing image or mask folder', async () => {
    const noMask = tree(['training_set/image/a.png']);
    await assert.rejects(scanSegDataset(noMask, 'train'), { message: `${join(noMask, 'training_set/mask')}: mask folder does not exist` });
    const noImage = tree(['training_set/mask/a.png']);
    await assert.rejects(scanSegDataset(noImage, 'train'), { message: `${join(noImage, 'training_set/image')}: image folder does not exist` });
  });

  it('rejects an image without a mask, naming the image', async () => {
    const root = tree([...pair('training_set', 'a.png'), 'training_set/image/b.png', 'training_set/mask/']);
    await assert.rejects(scanSegDataset(root, 'train'), {
      message: `${join(root, 'training_set/image/b.png')}: image has no mask in ${join(root, 'training_set/mask')} (b.png)`,
    });
  });

  it('counts and lists several images without masks on one line', async () => {
    const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((s) => `${s}.png`);
    const root = tree([...names.map((n) => `test_set/image/${n}`), 'test_set/mask/']);
    await assert.rejects(scanSegDataset(root, 'test'), (e: unknown) => {
      const msg = (e as Error).message;
      assert.ok(!msg.includes('\n'));
      assert.match(msg, /image\/a\.png: 7 images have no mask in .* \(a\.png, b\.png, c\.png, d\.png, e\.png \(\+2 more\)\)$/);
      return true;
    });
  });

  it('rejects a mask without an image, naming the mask', async () => {
    const root = tree([...pair('val_set', 'a.png'), 'val_set/mask/z.png']);
    await assert.rejects(scanSegDataset(root, 'val'), {
      message: `${join(root, 'val_set/mask/z.png')}: mask has no image in ${join(root, 'val_set/image')} (z.png)`,
    });
  });

  it('rejects ambiguous stem matches', async () => {
    const root = tree(['val_set/image/a.jpg', 'val_set/mask/a.png', 'val_set/mask/a.tif']);
    await assert.rejects(scanSegDataset(root, 'val'), /image\/a\.jpg: ambiguous mask, several candidates in .*: a\.png, a\.tif$/);
    const shared = tree(['val_set/image/a.jpg', 'val_set/image/a.bmp', 'val_set/mask/a.png']);
    await assert.rejects(scanSegDataset(shared, 'val'), /mask\/a\.png: mask matches several images in .*: a\.bmp, a\.jpg$/);
  });

  it('rejects an empty split', async () => {
    const root = tree(['training_set/image/', 'training_set/mask/', 'training_set/image/.hidden.png']);
    await assert.rejects(scanSegDataset(root, 'train'), { message: `${join(root, 'training_set/image')}: empty train split, no images` });
  });

  it('reports masks when the image folder is empty', async () => {
    const root = tree(['training_set/image/', 'training_set/mask/a.png']);
    await assert.rejects(scanSegDataset(root, 'train'), /image: no images, but 1 mask\(s\) in .*mask \(a\.png\)$/);
  });

  it('rejects an unknown split name', async () => {
    const root = tree([...pair('training_set', 'a.png')]);
    await assert.rejects(scanSegDataset(root, 'training' as 'train'), /split must be 'train', 'val' or 'test', got 'training'/);
  });
});
