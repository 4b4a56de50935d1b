import sharp from 'sharp';
import { writeFileAtomic } from '../checkpoint/atomic.js';
import type { RasterImage } from './image.js';
import { checkRaster } from './image.js';

/** Lossless PNG of an 8-bit raster (1 = gray, 3 = RGB, 4 = RGBA channels). */
export async function encodePng(img: RasterImage): Promise<Uint8Array> {
  checkRaster(img, 'encodePng');
  const { width, height, channels } = img;
  if (channels !== 1 && channels !== 3 && channels !== 4) throw new Error(`encodePng: ${channels} channels (1, 3 or 4 expected)`);
  const s = sharp(img.data, { raw: { width, height, channels } });
  // Without the explicit colour space libvips would write 1-channel data as RGB.
  return (channels === 1 ? s.toColourspace('b-w') : s).png({ compressionLevel: 6 }).toBuffer();
}

/** Encode and write a PNG atomically (a crash never leaves a partial file at `path`). */
export async function writePng(path: string, img: RasterImage): Promise<void> {
  const buf = await encodePng(img);
  await writeFileAtomic(path, [buf]);
}
