/**
 * Pretraining sources: each folder given is one source (an organ, centre or device), its
 * images found recursively. Rules (names in rules.ts, compared case- and `_`/`-`-insensitively):
 *
 * - image files: the extensions of IMAGE_EXTENSIONS (png, jpg, jpeg, bmp, tif, tiff, webp,
 *   dcm), any case, and DICOM files of any name (by content, as exports name them `IM1` or by
 *   UID); hidden files and folders (`.x`) are skipped, other files are counted as ignored;
 * - label folders (`mask`, `masks`, `label(s)`, `annotation(s)`, `gt`, `ground_truth`) and
 *   label images (`*_mask.png`, `*_mask_1.png`, `*_Annotation.png`, `*_label.png`, `*_gt.png`)
 *   are skipped anywhere;
 * - held-out splits: with `splits: 'train'` (the default) folders named like a validation or
 *   test split (`val`, `valid`, `validation`, `val_set`, `test`, `testing`, `test_set`, `eval`,
 *   `holdout`, …) are skipped anywhere below the given folder, so a dataset root in the USFM
 *   layouts (`ROOT/{training_set,val_set,test_set}`, `ROOT/{train,val,test}`) contributes its
 *   training split only, and giving a held-out folder itself (or a folder directly inside one,
 *   as `val_set/image`) is an error. `splits: 'all'` reads every split.
 * - DICOM: one item per frame (`frame` 0…n-1), the count read from each file's header (or given
 *   by `countFrames`); a cine contributes every frame.
 *
 * Items are sorted by path (code-unit order), then frame. A folder given twice, or inside
 * another given folder, is an error (its images would count twice). Symbolic links are
 * followed, each real folder read once.
 */
import { readFile, realpath } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import {
  compareNames, IMAGE_EXTENSIONS, isDicomName, isDirEntry, isImageFile, nameList, requireDir, stemOf, visibleEntries,
} from '../datasets/fs_scan.js';
import { sourceNames } from './names.js';
import { isHeldOutDir, isLabelDir, isLabelFileStem } from './rules.js';
import { readDicomHeader } from '../dicom/index.js';

/** One pretraining image: a file, or one frame of a multi-frame DICOM file. */
export interface PretrainItem {
  /** Absolute path of the file. */
  readonly path: string;
  /** Name of its source. */
  readonly source: string;
  /** Frame index within a DICOM file (unset for PNG/JPEG). */
  readonly frame?: number;
}

export interface PretrainSource {
  /** Unique name (see names.ts): the folder's name, with parents added where needed. */
  readonly name: string;
  /** Absolute path of the folder given. */
  readonly root: string;
  /** Sorted by path, then frame. Never empty. */
  readonly items: readonly PretrainItem[];
  /** What was skipped or ignored, one line each (for the scan report). */
  readonly notes: readonly string[];
}

export interface ScanSourcesOptions {
  /** 'train' (default): skip validation/test split folders; 'all': read every split. */
  readonly splits?: 'train' | 'all';
  /**
   * Frame count of a DICOM file (each DICOM file becomes one item per frame).
   * Default: the DICOM header's NumberOfFrames (the file is read once at scan time).
   */
  readonly countFrames?: (path: string) => Promise<number>;
}

interface Walk {
  readonly root: string;
  readonly splits: 'train' | 'all';
  readonly files: string[];
  readonly heldOut: string[];
  readonly labelDirs: string[];
  readonly labelFiles: string[];
  readonly ignored: string[];
  readonly loops: string[];
  readonly seen: Set<string>;
}

async function walk(w: Walk, dir: string): Promise<void> {
  const real = await realpath(dir);
  if (w.seen.has(real)) {
    w.loops.push(relative(w.root, dir));
    return;
  }
  w.seen.add(real);
  for (const e of await visibleEntries(dir)) {
    const path = join(dir, e.name);
    if (await isDirEntry(dir, e)) {
      if (isLabelDir(e.name)) w.labelDirs.push(relative(w.root, path));
      else if (w.splits === 'train' && isHeldOutDir(e.name)) w.heldOut.push(relative(w.root, path));
      else await walk(w, path);
    } else if (await isImageFile(dir, e)) {
      if (isLabelFileStem(stemOf(e.name))) w.labelFiles.push(relative(w.root, path));
      else w.files.push(path);
    } else {
      w.ignored.push(relative(w.root, path));
    }
  }
}

function notesOf(w: Walk): string[] {
  const notes: string[] = [];
  const add = (list: readonly string[], what: string): void => {
    if (list.length > 0) notes.push(`${what} (${list.length}): ${nameList(list)}`);
  };
  add(w.heldOut, 'skipped held-out split folders');
  add(w.labelDirs, 'skipped label folders');
  add(w.labelFiles, 'skipped label images');
  add(w.ignored, 'ignored non-image files');
  add(w.loops, 'skipped folders already read (symbolic links)');
  return notes;
}

/** Refuses a held-out split folder given directly (or a folder directly inside one). */
function checkNotHeldOut(root: string, splits: 'train' | 'all'): void {
  const name = basename(root);
  if (isLabelDir(name)) throw new Error(`${root}: is a label folder ('${name}'), not images`);
  if (splits === 'all') return;
  for (const part of [name, basename(dirname(root))]) {
    if (isHeldOutDir(part)) {
      throw new Error(`${root}: is in a held-out split folder ('${part}'); pretraining reads training data only (--splits all reads every split)`);
    }
  }
}

function isInside(inner: string, outer: string): boolean {
  return inner === outer || inner.startsWith(outer.endsWith(sep) ? outer : outer + sep);
}

async function expandFrames(files: readonly string[], countFrames: (path: string) => Promise<number>): Promise<{ path: string; frame?: number }[]> {
  const out: { path: string; frame?: number }[] = [];
  for (const path of files) {
    if (!isDicomName(basename(path))) {
      out.push({ path });
      continue;
    }
    const n = await countFrames(path);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${path}: invalid DICOM frame count ${n}`);
    for (let frame = 0; frame < n; frame++) out.push({ path, frame });
  }
  return out;
}

/** Frames of a DICOM file (from its header). */
async function dicomFrameCount(path: string): Promise<number> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (e) {
    throw new Error(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return (await readDicomHeader(buf, path)).frames;
}

/**
 * Scans each folder of `dirs` as one source (see the module notes for the rules). Errors
 * are one line naming the path: a missing folder, a file given as folder, a held-out split
 * or label folder given, a folder given twice or inside another, a folder with no images.
 */
export async function scanSources(dirs: readonly string[], opts: ScanSourcesOptions = {}): Promise<PretrainSource[]> {
  const splits = opts.splits ?? 'train';
  if (splits !== 'train' && splits !== 'all') throw new Error(`scanSources: splits must be 'train' or 'all', got '${String(splits)}'`);
  if (dirs.length === 0) throw new Error('scanSources: no data folders given');
  const roots = dirs.map((d) => resolve(d));
  const reals: string[] = [];
  for (const root of roots) {
    await requireDir(root, 'data folder');
    checkNotHeldOut(root, splits);
    reals.push(await realpath(root));
  }
  for (let i = 0; i < roots.length; i++) {
    for (let j = 0; j < roots.length; j++) {
      if (i === j) continue;
      if (reals[i] === reals[j] && i > j) throw new Error(`${roots[i]}: data folder given twice (same as ${roots[j]})`);
      if (reals[i] !== reals[j] && isInside(reals[i]!, reals[j]!)) throw new Error(`${roots[i]}: data folder is inside another data folder, ${roots[j]}`);
    }
  }
  const names = sourceNames(roots);
  const sources: PretrainSource[] = [];
  for (let i = 0; i < roots.length; i++) {
    const root = roots[i]!;
    const w: Walk = { root, splits, files: [], heldOut: [], labelDirs: [], labelFiles: [], ignored: [], loops: [], seen: new Set() };
    await walk(w, root);
    const notes = notesOf(w);
    const dicom = w.files.filter((f) => isDicomName(basename(f))).length;
    if (dicom > 0) notes.push(`DICOM files (${dicom}): each frame is an image`);
    if (w.files.length === 0) {
      const why = notes.length > 0 ? `; ${notes.join('; ')}` : '';
      throw new Error(`${root}: no images found (looked recursively for ${IMAGE_EXTENSIONS.join('/')} files and DICOM files of any name)${why}`);
    }
    w.files.sort(compareNames);
    const name = names[i]!;
    const items = (await expandFrames(w.files, opts.countFrames ?? dicomFrameCount)).map((f) => (f.frame === undefined
      ? { path: f.path, source: name }
      : { path: f.path, source: name, frame: f.frame }));
    sources.push({ name, root, items, notes });
  }
  return sources;
}

/** The scan report: per source, its name, image count and folder, then its notes indented. */
export function describeSources(sources: readonly PretrainSource[]): string[] {
  const lines: string[] = [];
  const total = sources.reduce((s, src) => s + src.items.length, 0);
  lines.push(`${sources.length} pretraining source${sources.length === 1 ? '' : 's'}, ${total} images`);
  for (const s of sources) {
    const files = new Set(s.items.map((it) => it.path)).size;
    const frames = files === s.items.length ? '' : ` (${files} files)`;
    lines.push(`  ${s.name}: ${s.items.length} images${frames} in ${s.root}`);
    for (const n of s.notes) lines.push(`    ${n}`);
  }
  return lines;
}
