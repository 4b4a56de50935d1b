/** An 8-bit raster in host memory: row-major, channels interleaved (HWC). */
export interface RasterImage {
  readonly width: number;
  readonly height: number;
  /** Samples per pixel (1 = grayscale, 3 = RGB; resizing accepts any count). */
  readonly channels: number;
  /** `height * width * channels` bytes. */
  readonly data: Uint8Array;
}

/** Check that `img.data` has the size its header claims; throws a one-line error otherwise. */
export function checkRaster(img: RasterImage, what = 'image'): void {
  const { width, height, channels } = img;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`${what}: invalid size ${width}x${height}`);
  }
  if (!Number.isInteger(channels) || channels < 1) throw new Error(`${what}: invalid channel count ${channels}`);
  const n = width * height * channels;
  if (img.data.length !== n) {
    throw new Error(`${what}: ${width}x${height}x${channels} needs ${n} bytes, got ${img.data.length}`);
  }
}

/** Replicate a 1-channel image to 3 channels (what PIL's convert('RGB') does for mode 'L'). */
export function grayToRgb(img: RasterImage): RasterImage {
  if (img.channels === 3) return img;
  if (img.channels !== 1) throw new Error(`grayToRgb: expected 1 or 3 channels, got ${img.channels}`);
  const n = img.width * img.height;
  const out = new Uint8Array(n * 3);
  const src = img.data;
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    const v = src[i]!;
    out[j] = v;
    out[j + 1] = v;
    out[j + 2] = v;
  }
  return { width: img.width, height: img.height, channels: 3, data: out };
}
