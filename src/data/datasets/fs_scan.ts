/** Shared folder-scanning helpers for the dataset layouts (seg.ts, cls.ts). */
import type { Dirent } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { isPart10, PART10_PROBE } from '../dicom/parse.js';

/** A dataset split, as USFM's fine-tuning scripts name them. */
export type Split = 'train' | 'val' | 'test';

export const SPLITS: readonly Split[] = ['train', 'val', 'test'];

/** File extensions (lower case, without the dot) accepted as images and masks. */
export const IMAGE_EXTENSIONS: readonly string[] = ['png', 'jpg', 'jpeg', 'bmp', 'tif', 'tiff', 'webp', 'dcm'];

/** True for names such as `.DS_Store` or `._x.png` (hidden files are always ignored). */
export function isHidden(name: string): boolean {
  return name.startsWith('.');
}

/** True when `name` has one of IMAGE_EXTENSIONS (case-insensitive). */
export function isImageName(name: string): boolean {
  const ext = extname(name).slice(1).toLowerCase();
  return ext !== '' && IMAGE_EXTENSIONS.includes(ext);
}

/**
 * True when the file at `path` is DICOM Part 10 by content ({@link isPart10}: 'DICM' after the 128-byte preamble).
 * Files admitted without a DICOM or image name need the preamble: the looser sniffing of preamble-less streams
 * would take stray binary files in a dataset folder for DICOM.
 */
export async function hasDicomPreamble(path: string): Promise<boolean> {
  let fh: Awaited<ReturnType<typeof open>> | undefined;
  try {
    fh = await open(path, 'r');
    const buf = Buffer.alloc(PART10_PROBE);
    const { bytesRead } = await fh.read(buf, 0, PART10_PROBE, 0);
    return isPart10(buf.subarray(0, bytesRead));
  } catch {
    return false;
  } finally {
    await fh?.close();
  }
}

/**
 * Whether a directory entry is an image file: one with an IMAGE_EXTENSIONS name, or any other file that
 * is DICOM by content — DICOM exports name files without extension (`DICOM/PA1/ST1/SE1/IM1`) or by UID
 * (`1.2.840.113619.2.55.3`).
 */
export async function isImageFile(dir: string, entry: Dirent): Promise<boolean> {
  if (!(await isFileEntry(dir, entry))) return false;
  return isImageName(entry.name) || hasDicomPreamble(join(dir, entry.name));
}

/** For a file isImageFile admitted: whether it is DICOM (`.dcm`, or admitted by content). */
export function isDicomName(name: string): boolean {
  return extname(name).toLowerCase() === '.dcm' || !isImageName(name);
}

/** File name without its last extension: `a.b.png` → `a.b`. */
export function stemOf(name: string): string {
  const ext = extname(name);
  return ext === '' ? name : name.slice(0, -ext.length);
}

/** Plain code-unit order (locale-independent, so every machine sorts alike). */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function errorCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Throws a one-line error naming `path` unless it is an existing directory. */
export async function requireDir(path: string, what: string): Promise<void> {
  let isDir: boolean;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch (e) {
    const code = errorCode(e);
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new Error(`${path}: ${what} does not exist`);
    throw new Error(`${path}: cannot read ${what} (${code ?? String(e)})`);
  }
  if (!isDir) throw new Error(`${path}: ${what} is not a directory`);
}

/** Directory entries that are not hidden, sorted by name. */
export async function visibleEntries(dir: string): Promise<Dirent[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    throw new Error(`${dir}: cannot list directory (${errorCode(e) ?? String(e)})`);
  }
  return entries.filter((e) => !isHidden(e.name)).sort((a, b) => compareNames(a.name, b.name));
}

/** Whether an entry is a file (symbolic links are followed). */
export async function isFileEntry(dir: string, entry: Dirent): Promise<boolean> {
  if (entry.isFile()) return true;
  if (!entry.isSymbolicLink()) return false;
  try {
    return (await stat(join(dir, entry.name))).isFile();
  } catch {
    return false;
  }
}

/** Whether an entry is a directory (symbolic links are followed). */
export async function isDirEntry(dir: string, entry: Dirent): Promise<boolean> {
  if (entry.isDirectory()) return true;
  if (!entry.isSymbolicLink()) return false;
  try {
    return (await stat(join(dir, entry.name))).isDirectory();
  } catch {
    return false;
  }
}

/** `a, b, c (+4 more)`: a bounded list of names for a one-line message. */
export function nameList(names: readonly string[], max = 5): string {
  const shown = names.slice(0, max).join(', ');
  return names.length > max ? `${shown} (+${names.length - max} more)` : shown;
}

/** Checks the split argument (callers from JS may pass anything). */
export function checkSplit(split: string, fn: string): asserts split is Split {
  if (!(SPLITS as readonly string[]).includes(split)) {
    throw new Error(`${fn}: split must be 'train', 'val' or 'test', got '${split}'`);
  }
}
