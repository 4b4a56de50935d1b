/**
 * Applying masks to one image on the host: the spatial fill (mean or mean + noise) and the band-stop
 * frequency masking (FFT → remove rings → inverse FFT → magnitude). The image is one [C, H, W] float32
 * block of a batch, modified in place.
 */
import type { Rng } from '../core/random.js';
import type { Triple } from '../data/preprocess.js';
import { FftPlan, fft2 } from './fft.js';
import { spectrumCentre } from './masks.js';

/** Per-channel mean and (population) standard deviation of a [C, H·W] image. */
export function channelStats(img: Float32Array, channels: number): { mean: number[]; std: number[] } {
  const plane = img.length / channels;
  const mean: number[] = [];
  const std: number[] = [];
  for (let c = 0; c < channels; c++) {
    let s = 0;
    for (let i = c * plane; i < (c + 1) * plane; i++) s += img[i]!;
    const m = s / plane;
    let v = 0;
    for (let i = c * plane; i < (c + 1) * plane; i++) v += (img[i]! - m) ** 2;
    mean.push(m);
    std.push(Math.sqrt(v / plane));
  }
  return { mean, std };
}

/**
 * Fill the masked pixels (mask [H·W], 1 = masked) of a [C, H, W] image with its per-channel mean plus
 * noiseStd·std_c·z, z ~ N(0,1) per pixel and shared by the channels (noiseStd 0: the plain mean fill).
 * Statistics are of the whole unmasked image, as SimMIM's `mask_color='mean'`.
 */
export function fillMasked(img: Float32Array, channels: number, mask: Uint8Array, noiseStd: number, rng: Rng): void {
  const plane = mask.length;
  if (img.length !== channels * plane) throw new Error(`fillMasked: image has ${img.length} values, mask ${plane} per channel`);
  const { mean, std } = channelStats(img, channels);
  for (let i = 0; i < plane; i++) {
    if (!mask[i]) continue;
    const z = noiseStd > 0 ? noiseStd * rng.normal() : 0;
    for (let c = 0; c < channels; c++) img[c * plane + i] = mean[c]! + z * std[c]!;
  }
}

/** FFT plans for one image size, reused across a batch. */
export interface FftPlans {
  readonly rows: FftPlan;
  readonly cols: FftPlan;
}

export function fftPlans(h: number, w: number): FftPlans {
  const rows = new FftPlan(w);
  return { rows, cols: h === w ? rows : new FftPlan(h) };
}

/** Zero the stopped bins of an unshifted [h, w] spectrum (`stop` in centred coordinates). */
function applyStop(re: Float64Array, im: Float64Array, h: number, w: number, stop: Uint8Array): void {
  const [ch, cw] = spectrumCentre(h, w);
  for (let u = 0; u < h; u++) {
    const y = ((u + ch) % h) * w;
    for (let v = 0; v < w; v++) {
      if (stop[y + ((v + cw) % w)]) {
        re[u * w + v] = 0;
        im[u * w + v] = 0;
      }
    }
  }
}

/**
 * Band-stop one real [H, W] plane in place: x ← |ifft2(ifftshift(fftshift(fft2 x) · (1 − stop)))|, with
 * `stop` in centred-spectrum coordinates (1 = removed), as the official Frequency_MASK. For a mask that is
 * point-symmetric about the centre bin (every ring mask is) the filtered signal is real up to rounding and
 * the magnitude only folds its negative ringing; any other mask gets the complex magnitude.
 */
export function bandStopPlane(plane: Float64Array, h: number, w: number, stop: Uint8Array, plans: FftPlans = fftPlans(h, w)): void {
  const im = new Float64Array(h * w);
  fft2(plane, im, h, w, -1, plans);
  applyStop(plane, im, h, w, stop);
  fft2(plane, im, h, w, 1, plans);
  for (let i = 0; i < h * w; i++) plane[i] = Math.hypot(plane[i]!, im[i]!);
}

/**
 * Band-stop two real planes with one complex transform pair: a + i·b in, |Re| and |Im| out. Exact (up to
 * rounding) for point-symmetric masks, which keep each plane's filtered spectrum Hermitian.
 */
function bandStopPair(a: Float64Array, b: Float64Array, h: number, w: number, stop: Uint8Array, plans: FftPlans): void {
  fft2(a, b, h, w, -1, plans);
  applyStop(a, b, h, w, stop);
  fft2(a, b, h, w, 1, plans);
  for (let i = 0; i < h * w; i++) {
    a[i] = Math.abs(a[i]!);
    b[i] = Math.abs(b[i]!);
  }
}

/** Whether two pixel planes agree to 1e-5 (a grey image replicated to RGB, after normalisation round trips). */
function samePlane(a: Float64Array, b: Float64Array): boolean {
  for (let i = 0; i < a.length; i++) if (Math.abs(a[i]! - b[i]!) > 1e-5) return false;
  return true;
}

/**
 * Band-stop every channel of a normalised [C, H, W] image in place with a point-symmetric `stop` mask
 * (from {@link ringStopMask}). Each channel is taken back to [0,1] pixel space (x·std + mean), filtered,
 * and normalised again (see PretrainObjectiveOptions.pixelMean). Channels are filtered two per complex
 * transform, and a grey image (all channels equal in pixel space, as ultrasound replicated to RGB) once.
 */
export function bandStopImage(img: Float32Array, channels: number, h: number, w: number, stop: Uint8Array, mean: Triple, std: Triple, plans: FftPlans = fftPlans(h, w)): void {
  const n = h * w;
  if (img.length !== channels * n || stop.length !== n) throw new Error(`bandStopImage: expected [${channels}, ${h}, ${w}] and an [${h}, ${w}] mask`);
  if (mean.length < channels || std.length < channels) throw new Error(`bandStopImage: ${channels} channels but ${mean.length} means`);
  const planes = Array.from({ length: channels }, (_, c) => {
    const p = new Float64Array(n);
    const [m, s] = [mean[c]!, std[c]!];
    for (let i = 0; i < n; i++) p[i] = img[c * n + i]! * s + m;
    return p;
  });
  const grey = planes.every((p) => samePlane(p, planes[0]!));
  const todo = grey ? planes.slice(0, 1) : planes;
  for (let c = 0; c < todo.length; c += 2) bandStopPair(todo[c]!, todo[c + 1] ?? new Float64Array(n), h, w, stop, plans);
  for (let c = 0; c < channels; c++) {
    const p = grey ? planes[0]! : planes[c]!;
    const [m, s] = [mean[c]!, std[c]!];
    for (let i = 0; i < n; i++) img[c * n + i] = (p[i]! - m) / s;
  }
}
