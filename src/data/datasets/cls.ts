/**
 * USFM classification layout: `ROOT/{train,val,test}/CLASS/NAME`. The class list is the
 * sorted sub-folder names of the train split, for every split, so labels agree across
 * splits. Hidden files are ignored; other non-image files, loose files in the split folder
 * and nested folders are ignored with a warning.
 */
import { join, resolve } from 'node:path';
import type { Split } from './fs_scan.js';
import { checkSplit, isDirEntry, isImageFile, nameList, requireDir, visibleEntries } from './fs_scan.js';

export interface ClsItem {
  /** Absolute path of the image. */
  readonly path: string;
  /** Index into `classes`. */
  readonly label: number;
  readonly className: string;
}

export interface ClsDataset {
  readonly split: Split;
  /** Absolute path of the split folder. */
  readonly dir: string;
  /** Class names, sorted; `label` indexes this list. Taken from the train split. */
  readonly classes: readonly string[];
  /** Sorted by label, then file name. */
  readonly items: readonly ClsItem[];
  /** Non-fatal findings (empty or missing class folders, ignored entries), one line each. */
  readonly warnings: readonly string[];
}

/** Sorted names of the visible sub-folders of `dir`, and the visible non-folders. */
async function subfolders(dir: string): Promise<{ dirs: string[]; files: string[] }> {
  const dirs: string[] = [];
  const files: string[] = [];
  for (const e of await visibleEntries(dir)) {
    if (await isDirEntry(dir, e)) dirs.push(e.name);
    else files.push(e.name);
  }
  return { dirs, files };
}

/** The class list: sorted sub-folder names of `ROOT/train`. */
export async function clsClasses(root: string): Promise<string[]> {
  const absRoot = resolve(root);
  await requireDir(absRoot, 'dataset root');
  const trainDir = join(absRoot, 'train');
  await requireDir(trainDir, 'train split folder');
  const { dirs } = await subfolders(trainDir);
  if (dirs.length === 0) throw new Error(`${trainDir}: no class folders in the train split`);
  return dirs;
}

/**
 * Lists the images of one split with their labels. Errors are one line naming the path:
 * missing root or split folder, no class folders in train, a class folder that train lacks,
 * or a split with no images at all. Empty class folders (and, outside train, missing ones)
 * are reported in `warnings`.
 */
export async function scanClsDataset(root: string, split: Split): Promise<ClsDataset> {
  checkSplit(split, 'scanClsDataset');
  const absRoot = resolve(root);
  const classes = await clsClasses(absRoot);
  const dir = join(absRoot, split);
  await requireDir(dir, `${split} split folder`);
  const { dirs, files } = await subfolders(dir);
  const unknown = dirs.filter((d) => !classes.includes(d));
  if (unknown.length > 0) {
    throw new Error(`${join(dir, unknown[0]!)}: class folder not in the train split (train classes: ${nameList(classes, 20)})`);
  }
  const warnings: string[] = [];
  if (files.length > 0) warnings.push(`${dir}: ignored ${files.length} file(s) outside class folders: ${nameList(files)}`);
  const items: ClsItem[] = [];
  for (let label = 0; label < classes.length; label++) {
    const className = classes[label]!;
    const classDir = join(dir, className);
    if (!dirs.includes(className)) {
      warnings.push(`${classDir}: class folder missing, no ${split} images of class '${className}'`);
      continue;
    }
    const ignored: string[] = [];
    let count = 0;
    for (const e of await visibleEntries(classDir)) {
      if (await isImageFile(classDir, e)) {
        items.push({ path: join(classDir, e.name), label, className });
        count++;
      } else {
        ignored.push((await isDirEntry(classDir, e)) ? `${e.name}/` : e.name);
      }
    }
    if (ignored.length > 0) warnings.push(`${classDir}: ignored ${ignored.length} non-image entr${ignored.length === 1 ? 'y' : 'ies'}: ${nameList(ignored)}`);
    if (count === 0) warnings.push(`${classDir}: empty class folder, no images`);
  }
  if (items.length === 0) throw new Error(`${dir}: empty ${split} split, no images in any class folder`);
  return { split, dir, classes, items, warnings };
}
