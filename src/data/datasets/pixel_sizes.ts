/**
 * Physical pixel sizes for segmentation metrics in mm, from HC18's `ROOT/pixel_size_and_HC.csv`
 * (`filename,pixel size(mm),head circumference (mm)`). HC18 gives the pixel size of its 800×540
 * originals; a mask evaluated at h×w (after any resizing, e.g. the model's 224×224) therefore has
 * spacing [sy, sx] = [p·540/h, p·800/w] whatever size the stored PNGs have.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Spacing } from '../../metrics/seg.js';

export const PIXEL_TABLE = 'pixel_size_and_HC.csv';

/** Size [height, width] of the images the table's pixel sizes refer to (HC18's originals). */
export const HC18_ORIGINAL_SIZE: readonly [number, number] = [540, 800];

export interface PixelInfo {
  /** mm per pixel of the original image. */
  readonly pixelSizeMm: number;
  /** The reference head circumference in mm, when the table has one. */
  readonly hcMm?: number;
}

/** Parse the table; throws a one-line error naming the file and line for malformed rows. */
export function parsePixelTable(text: string, path: string): Map<string, PixelInfo> {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = (lines[0] ?? '').toLowerCase();
  if (!header.startsWith('filename') || !header.includes('pixel size')) throw new Error(`${path}: expected a header 'filename,pixel size(mm),head circumference (mm)'`);
  const out = new Map<string, PixelInfo>();
  lines.slice(1).forEach((l, i) => {
    const [name, p, hc] = l.split(',').map((s) => s.trim());
    const size = Number(p);
    const circ = hc === undefined || hc === '' ? undefined : Number(hc);
    if (!name || !(size > 0) || (circ !== undefined && !(circ > 0))) throw new Error(`${path}:${i + 2}: bad row '${l}'`);
    out.set(name, { pixelSizeMm: size, ...(circ === undefined ? {} : { hcMm: circ }) });
  });
  return out;
}

/** The dataset's pixel table, or null when ROOT has none. */
export async function readPixelTable(root: string): Promise<Map<string, PixelInfo> | null> {
  const path = join(root, PIXEL_TABLE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return parsePixelTable(text, path);
}

/** Spacing [sy, sx] in mm of a mask of size h×w showing the whole original image. */
export function maskSpacing(info: PixelInfo, h: number, w: number, original: readonly [number, number] = HC18_ORIGINAL_SIZE): Spacing {
  return [(info.pixelSizeMm * original[0]) / h, (info.pixelSizeMm * original[1]) / w];
}
