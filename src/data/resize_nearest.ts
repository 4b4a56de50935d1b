import type { RasterImage } from './image.js';
import { checkRaster } from './image.js';

/** Source box `[x0, y0, x1, y1]` in input pixel coordinates (Pillow's `box` argument). */
export type ResizeBox = readonly [number, number, number, number];

/**
 * Source index for each output index, as Pillow's NEAREST resize computes it: the sample
 * position starts at `in0 + scale / 2` and advances by `scale` per output pixel (accumulated
 * in double precision), then is truncated. Positions outside the source are marked -1.
 */
function nearestTable(in0: number, in1: number, outSize: number, inSize: number): Int32Array {
  const scale = (in1 - in0) / outSize;
  const table = new Int32Array(outSize);
  let pos = in0 + scale * 0.5;
  for (let i = 0; i < outSize; i++) {
    const idx = pos < 0 ? -1 : Math.trunc(pos);
    table[i] = idx >= 0 && idx < inSize ? idx : -1;
    pos += scale;
  }
  return table;
}

/**
 * Nearest-neighbour resize matching `PIL.Image.resize(size, Image.NEAREST)` (use it for masks).
 * Output pixels whose sample falls outside the source (only possible with a box) are 0.
 */
export function resizeNearest(img: RasterImage, width: number, height: number, box?: ResizeBox): RasterImage {
  checkRaster(img, 'resizeNearest');
  checkOutSize(width, height, 'resizeNearest');
  const [bx0, by0, bx1, by1] = pillowBox(img, box, 'resizeNearest');
  const xs = nearestTable(bx0, bx1, width, img.width);
  const ys = nearestTable(by0, by1, height, img.height);
  const c = img.channels;
  const src = img.data;
  const out = new Uint8Array(width * height * c);
  const inRow = img.width * c;
  for (let y = 0; y < height; y++) {
    const sy = ys[y]!;
    if (sy < 0) continue;
    const srcBase = sy * inRow;
    let o = y * width * c;
    for (let x = 0; x < width; x++, o += c) {
      const sx = xs[x]!;
      if (sx < 0) continue;
      const s = srcBase + sx * c;
      for (let k = 0; k < c; k++) out[o + k] = src[s + k]!;
    }
  }
  return { width, height, channels: c, data: out };
}

/**
 * Validate a source box and round it the way Pillow does (it parses the box as C floats, so
 * coordinates are float32-rounded). Default: the whole image.
 */
export function pillowBox(img: RasterImage, box: ResizeBox | undefined, what: string): ResizeBox {
  if (box === undefined) return [0, 0, img.width, img.height];
  const fr = Math.fround;
  const [x0, y0, x1, y1] = [fr(box[0]), fr(box[1]), fr(box[2]), fr(box[3])];
  if (!(x0 >= 0 && y0 >= 0 && x1 <= img.width && y1 <= img.height && x1 > x0 && y1 > y0)) {
    throw new Error(`${what}: box [${box.join(', ')}] is outside the ${img.width}x${img.height} image or empty`);
  }
  return [x0, y0, x1, y1];
}

export function checkOutSize(width: number, height: number, what: string): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`${what}: invalid output size ${width}x${height}`);
  }
}
