/**
 * USFM segmentation layout: `ROOT/{training_set,val_set,test_set}/{image,mask}/NAME`.
 * A mask has the image's file name, or the same stem with another image extension
 * (image `a.jpg`, mask `a.png`). Hidden files are ignored; other non-image files and
 * sub-folders are ignored with a warning.
 */
import { join, resolve } from 'node:path';
import type { Split } from './fs_scan.js';
import {
  checkSplit,
  compareNames,
  isDirEntry,
  isImageFile,
  nameList,
  requireDir,
  stemOf,
  visibleEntries,
} from './fs_scan.js';

/** Split → folder name in the segmentation layout. */
export const SEG_SPLIT_DIRS: Readonly<Record<Split, string>> = {
  train: 'training_set',
  val: 'val_set',
  test: 'test_set',
};

export interface SegItem {
  /** The image's file name (e.g. `001_HC.png`). */
  readonly name: string;
  /** Absolute path of the image. */
  readonly image: string;
  /** Absolute path of its mask. */
  readonly mask: string;
}

export interface SegDataset {
  readonly split: Split;
  /** Absolute path of the split folder (`ROOT/training_set` …). */
  readonly dir: string;
  /** Sorted by name. */
  readonly items: readonly SegItem[];
  /** Non-fatal findings (ignored non-image files or folders), one line each. */
  readonly warnings: readonly string[];
}

/** Image-extension files of `dir` (sorted); everything else but hidden files is warned about. */
async function imageFiles(dir: string, warnings: string[]): Promise<string[]> {
  const files: string[] = [];
  const others: string[] = [];
  for (const e of await visibleEntries(dir)) {
    if (await isImageFile(dir, e)) files.push(e.name);
    else others.push((await isDirEntry(dir, e)) ? `${e.name}/` : e.name);
  }
  if (others.length > 0) warnings.push(`${dir}: ignored ${others.length} non-image entr${others.length === 1 ? 'y' : 'ies'}: ${nameList(others)}`);
  return files;
}

/** Pairs each image with its mask; throws on any unpaired or ambiguous file. */
function pairFiles(imageDir: string, maskDir: string, images: readonly string[], masks: readonly string[]): Map<string, string> {
  const maskSet = new Set(masks);
  const byStem = new Map<string, string[]>();
  for (const m of masks) {
    const s = stemOf(m);
    const list = byStem.get(s);
    if (list) list.push(m);
    else byStem.set(s, [m]);
  }
  const pairs = new Map<string, string>();
  const missing: string[] = [];
  for (const img of images) {
    if (maskSet.has(img)) {
      pairs.set(img, img);
      continue;
    }
    const candidates = byStem.get(stemOf(img)) ?? [];
    if (candidates.length === 1) pairs.set(img, candidates[0]!);
    else if (candidates.length === 0) missing.push(img);
    else throw new Error(`${join(imageDir, img)}: ambiguous mask, several candidates in ${maskDir}: ${nameList(candidates)}`);
  }
  if (missing.length > 0) {
    const what = missing.length === 1 ? 'image has no mask' : `${missing.length} images have no mask`;
    throw new Error(`${join(imageDir, missing[0]!)}: ${what} in ${maskDir} (${nameList(missing)})`);
  }
  const users = new Map<string, string[]>();
  for (const [img, m] of pairs) {
    const list = users.get(m);
    if (list) list.push(img);
    else users.set(m, [img]);
  }
  for (const [m, imgs] of users) {
    if (imgs.length > 1) throw new Error(`${join(maskDir, m)}: mask matches several images in ${imageDir}: ${nameList(imgs)}`);
  }
  const orphans = masks.filter((m) => !users.has(m));
  if (orphans.length > 0) {
    const what = orphans.length === 1 ? 'mask has no image' : `${orphans.length} masks have no image`;
    throw new Error(`${join(maskDir, orphans[0]!)}: ${what} in ${imageDir} (${nameList(orphans)})`);
  }
  return pairs;
}

/**
 * Lists the image/mask pairs of one split. Errors are one line naming the offending path:
 * missing root or split folder, missing `image`/`mask` folder, an image without mask,
 * a mask without image, an ambiguous pairing, or a split with no images.
 */
export async function scanSegDataset(root: string, split: Split): Promise<SegDataset> {
  checkSplit(split, 'scanSegDataset');
  const absRoot = resolve(root);
  await requireDir(absRoot, 'dataset root');
  const dir = join(absRoot, SEG_SPLIT_DIRS[split]);
  await requireDir(dir, `${split} split folder`);
  const imageDir = join(dir, 'image');
  const maskDir = join(dir, 'mask');
  await requireDir(imageDir, 'image folder');
  await requireDir(maskDir, 'mask folder');
  const warnings: string[] = [];
  const images = await imageFiles(imageDir, warnings);
  const masks = await imageFiles(maskDir, warnings);
  if (images.length === 0) {
    if (masks.length > 0) throw new Error(`${imageDir}: no images, but ${masks.length} mask(s) in ${maskDir} (${nameList(masks)})`);
    throw new Error(`${imageDir}: empty ${split} split, no images`);
  }
  const pairs = pairFiles(imageDir, maskDir, images, masks);
  const items = images
    .map((name) => ({ name, image: join(imageDir, name), mask: join(maskDir, pairs.get(name)!) }))
    .sort((a, b) => compareNames(a.name, b.name));
  return { split, dir, items, warnings };
}
