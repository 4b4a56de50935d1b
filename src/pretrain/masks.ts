/**
 * Host-side mask generation for the dual masked-image-modeling objective, all seeded by an {@link Rng}:
 * SimMIM-style spatial unit masks (expanded to pixels and to patch tokens), the band-stop ring masks of
 * the centred spectrum, and the per-image branch choice.
 */
import type { Rng } from '../core/random.js';
import type { Branch, BranchProbabilities, PretrainObjectiveOptions } from './options.js';

/** floor/ceil of a ratio times a count, immune to 0.3·10 = 3.0000000000000004. */
const EPS = 1e-9;
const ceilCount = (ratio: number, n: number): number => Math.min(n, Math.ceil(ratio * n - EPS));
const floorCount = (ratio: number, n: number): number => Math.min(n, Math.floor(ratio * n + EPS));

/** Pick exactly `k` of `n` indices uniformly (partial Fisher–Yates), as a 0/1 array. */
function chooseK(rng: Rng, n: number, k: number): Uint8Array {
  const idx = Array.from({ length: n }, (_, i) => i);
  const out = new Uint8Array(n);
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(n - i);
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
    out[idx[i]!] = 1;
  }
  return out;
}

/** A spatial mask over the [rows × cols] grid of square units (1 = masked), row-major. */
export interface UnitMask {
  readonly rows: number;
  readonly cols: number;
  readonly unit: number;
  readonly bits: Uint8Array;
}

/**
 * SimMIM's MaskGenerator: of the (h/unit)·(w/unit) units, exactly ceil(ratio·units) are masked
 * (`mask_count = int(np.ceil(token_count * mask_ratio))`), chosen uniformly without replacement.
 */
export function spatialUnitMask(rng: Rng, h: number, w: number, unit: number, ratio: number): UnitMask {
  if (h % unit || w % unit) throw new Error(`image ${h}×${w} is not a multiple of the mask unit ${unit}`);
  const [rows, cols] = [h / unit, w / unit];
  return { rows, cols, unit, bits: chooseK(rng, rows * cols, ceilCount(ratio, rows * cols)) };
}

/** The unit mask at pixel resolution: an [h, w] 0/1 plane. */
export function pixelMask(m: UnitMask): Uint8Array {
  const [h, w] = [m.rows * m.unit, m.cols * m.unit];
  const out = new Uint8Array(h * w);
  for (let y = 0; y < h; y++) {
    const row = Math.floor(y / m.unit) * m.cols;
    for (let x = 0; x < w; x++) out[y * w + x] = m.bits[row + Math.floor(x / m.unit)]!;
  }
  return out;
}

/** The unit mask on the encoder's patch grid (row-major patches, as the patch embedding): one bit per patch. */
export function tokenMask(m: UnitMask, patch: number): Uint8Array {
  if (m.unit % patch) throw new Error(`token fill needs the mask unit (${m.unit}) to be a multiple of the patch size (${patch})`);
  const k = m.unit / patch;
  const [rows, cols] = [m.rows * k, m.cols * k];
  const out = new Uint8Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[r * cols + c] = m.bits[Math.floor(r / k) * m.cols + Math.floor(c / k)]!;
  return out;
}

type RingOptions = Pick<PretrainObjectiveOptions, 'baseBw' | 'increaseFactor' | 'maxIncrease' | 'centerProtect' | 'outerRadius'>;

/** Centre of the fftshift-ed spectrum: bin 0 sits at index floor(n/2) (torch.fft.fftshift). */
export function spectrumCentre(h: number, w: number): [number, number] {
  return [Math.floor(h / 2), Math.floor(w / 2)];
}

/** Largest distance from the centre the rings must reach (the corner, or the inscribed circle). */
export function outerRadius(h: number, w: number, which: RingOptions['outerRadius']): number {
  const [ch, cw] = spectrumCentre(h, w);
  return which === 'corner' ? Math.hypot(ch, cw) : Math.min(ch, cw);
}

/**
 * Ring edges e₀ < e₁ < … < e_n: ring k is e_k < d ≤ e_{k+1}, d the distance from the centre bin.
 * e₀ = centerProtect; the outer radii follow the official Frequency_MASK: r₀ = baseBw,
 * r_{k+1} = r_k + min(floor(r_k·increaseFactor), maxIncrease) (at least 1), until a radius reaches the
 * outer radius. Radii inside the protected disk are dropped, so the first ring starts at centerProtect.
 */
export function ringEdges(h: number, w: number, o: RingOptions): number[] {
  const outer = outerRadius(h, w, o.outerRadius);
  const edges = [o.centerProtect];
  for (let r = o.baseBw; ; r += Math.max(1, Math.min(Math.floor(r * o.increaseFactor), o.maxIncrease))) {
    if (r > o.centerProtect) edges.push(r);
    if (r >= outer) break;
  }
  return edges;
}

/**
 * Ring index of every bin of the centred [h, w] spectrum: k for e_k < d ≤ e_{k+1}, −1 inside the
 * protected disk or beyond the last edge. Compared in squared distances, so integer radii are exact.
 */
export function ringIndex(h: number, w: number, edges: readonly number[]): Int32Array {
  const [ch, cw] = spectrumCentre(h, w);
  const sq = edges.map((e) => e * e);
  const out = new Int32Array(h * w).fill(-1);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const d2 = (y - ch) ** 2 + (x - cw) ** 2;
      if (d2 <= sq[0]!) continue;
      for (let k = 0; k + 1 < sq.length; k++) {
        if (d2 <= sq[k + 1]!) {
          out[y * w + x] = k;
          break;
        }
      }
    }
  }
  return out;
}

/** Precomputed ring geometry of one image size (reused for every image of a batch). */
export interface RingGeometry {
  readonly h: number;
  readonly w: number;
  readonly edges: readonly number[];
  readonly index: Int32Array;
}

export function ringGeometry(h: number, w: number, o: RingOptions): RingGeometry {
  const edges = ringEdges(h, w, o);
  return { h, w, edges, index: ringIndex(h, w, edges) };
}

/** Which rings to remove: floor(ratio·rings) of them, uniformly (the official shuffles and takes int(ratio·n)). */
export function chooseRings(rng: Rng, rings: number, ratio: number): Uint8Array {
  return chooseK(rng, rings, floorCount(ratio, rings));
}

/** The [h, w] band-stop mask in centred-spectrum coordinates: 1 where a removed ring is. */
export function ringStopMask(g: RingGeometry, removed: Uint8Array): Uint8Array {
  const out = new Uint8Array(g.h * g.w);
  for (let i = 0; i < out.length; i++) {
    const k = g.index[i]!;
    if (k >= 0 && removed[k]) out[i] = 1;
  }
  return out;
}

/** One image's branch: u < p_spatial → spatial, u < p_spatial + p_frequency → frequency, else both. */
export function chooseBranch(rng: Rng, p: BranchProbabilities): Branch {
  const u = rng.next();
  if (u < p.spatial) return 'spatial';
  if (u < p.spatial + p.frequency) return 'frequency';
  if (p.both > 0) return 'both';
  return p.frequency > 0 ? 'frequency' : 'spatial'; // u ≥ the sum only by rounding
}

export const hasSpatial = (b: Branch): boolean => b !== 'frequency';
export const hasFrequency = (b: Branch): boolean => b !== 'spatial';
