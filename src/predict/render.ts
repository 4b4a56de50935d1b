// Host-side post-processing of segmentation outputs: probabilities back to the image's own size,
// label masks, and overlays for people to look at.
import type { RasterImage } from '../data/image.js';

/**
 * Bilinear resize of a [C, h, w] float map to [C, H, W] with half-pixel centres and edge clamping
 * (torch's `interpolate(mode='bilinear', align_corners=False)`, without antialiasing).
 */
export function resizeProbs(src: Float32Array, c: number, h: number, w: number, H: number, W: number): Float32Array {
  if (src.length !== c * h * w) throw new Error(`resizeProbs: ${src.length} values for ${c}×${h}×${w}`);
  if (h === H && w === W) return src.slice();
  const out = new Float32Array(c * H * W);
  const axis = (n: number, N: number): { i0: Int32Array; i1: Int32Array; f: Float32Array } => {
    const i0 = new Int32Array(N);
    const i1 = new Int32Array(N);
    const f = new Float32Array(N);
    for (let o = 0; o < N; o++) {
      const s = Math.min(Math.max((o + 0.5) * (n / N) - 0.5, 0), n - 1);
      i0[o] = Math.floor(s);
      i1[o] = Math.min(i0[o]! + 1, n - 1);
      f[o] = s - i0[o]!;
    }
    return { i0, i1, f };
  };
  const ys = axis(h, H);
  const xs = axis(w, W);
  for (let k = 0; k < c; k++) {
    const base = k * h * w;
    for (let y = 0; y < H; y++) {
      const r0 = base + ys.i0[y]! * w;
      const r1 = base + ys.i1[y]! * w;
      const fy = ys.f[y]!;
      const o = (k * H + y) * W;
      for (let x = 0; x < W; x++) {
        const a = xs.i0[x]!;
        const b = xs.i1[x]!;
        const fx = xs.f[x]!;
        const top = src[r0 + a]! + (src[r0 + b]! - src[r0 + a]!) * fx;
        const bot = src[r1 + a]! + (src[r1 + b]! - src[r1 + a]!) * fx;
        out[o + x] = top + (bot - top) * fy;
      }
    }
  }
  return out;
}

/** Per-pixel argmax over the first axis of a [C, H·W] map (ties go to the lower class). */
export function argmaxLabels(probs: Float32Array, c: number, n: number): Uint8Array {
  if (c > 256) throw new Error(`argmaxLabels: ${c} classes do not fit 8-bit labels`);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bv = probs[i]!;
    for (let k = 1; k < c; k++) {
      const v = probs[k * n + i]!;
      if (v > bv) {
        bv = v;
        best = k;
      }
    }
    out[i] = best;
  }
  return out;
}

/** Mask PNG values: binary models write 0/255 (the HC18 convention), multi-class models the class index. */
export function maskRaster(labels: Uint8Array, height: number, width: number, classes: number): RasterImage {
  const data = classes === 2 ? labels.map((v) => (v ? 255 : 0)) : labels.slice();
  return { width, height, channels: 1, data };
}

/** Distinct colours for classes 1…; class 0 (background) is never drawn. */
const PALETTE: readonly (readonly [number, number, number])[] = [
  [255, 64, 64], [64, 200, 255], [255, 210, 0], [80, 220, 100], [200, 90, 255], [255, 140, 0], [0, 200, 180], [255, 105, 180],
];

/** Colour of class k ≥ 1 (the palette repeats after 8 foreground classes). */
export function classColour(k: number): readonly [number, number, number] {
  return PALETTE[(k - 1) % PALETTE.length]!;
}

/**
 * The image in RGB with each foreground class tinted (alpha `alpha`) and its boundary drawn in full
 * colour (pixels of the class with a 4-neighbour of another label).
 */
export function overlay(img: RasterImage, labels: Uint8Array, alpha = 0.35): RasterImage {
  const { width: w, height: h, channels: ch } = img;
  if (labels.length !== w * h) throw new Error(`overlay: ${labels.length} labels for a ${w}×${h} image`);
  if (ch !== 1 && ch !== 3) throw new Error(`overlay: expected 1 or 3 channels, got ${ch}`);
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const l = labels[i]!;
      for (let c = 0; c < 3; c++) out[i * 3 + c] = img.data[i * ch + (ch === 1 ? 0 : c)]!;
      if (l === 0) continue;
      const edge = (x > 0 && labels[i - 1] !== l) || (x < w - 1 && labels[i + 1] !== l) || (y > 0 && labels[i - w] !== l) || (y < h - 1 && labels[i + w] !== l);
      const col = classColour(l);
      const a = edge ? 1 : alpha;
      for (let c = 0; c < 3; c++) out[i * 3 + c] = Math.round(out[i * 3 + c]! * (1 - a) + col[c]! * a);
    }
  }
  return { width: w, height: h, channels: 3, data: out };
}
