import type { Triple } from '../data/preprocess.js';
import { IMAGENET_MEAN, IMAGENET_STD } from '../data/preprocess.js';

/**
 * How the masked square units of the spatial branch are filled:
 * - `mean`: the image's per-channel mean (SimMIM's `BlockwiseMaskGenerator(mask_color='mean')`, USFM's
 *   "mean-padded spatial mask");
 * - `noise`: the per-channel mean plus Gaussian noise ("spatial noise addition", see `noiseStd`);
 * - `token`: the pixels are left alone and the masked patch embeddings are replaced by the learnable
 *   `mask_token` inside the encoder (SimMIM proper). The unit must then be a multiple of the patch.
 */
export type SpatialFill = 'mean' | 'noise' | 'token';

/** Which masking an image gets. `both` applies the spatial mask first, then the band-stop (as the figure). */
export type Branch = 'spatial' | 'frequency' | 'both';

/** Per-image probabilities of each branch (must be ≥ 0 and sum to 1). */
export type BranchProbabilities = Readonly<Record<Branch, number>>;

/**
 * Every knob of the spatial-frequency dual masked-image-modeling objective. Radii are in spectrum bins
 * (pixels of the centred DFT), tuned for 224×224 inputs; units are in image pixels.
 */
export interface PretrainObjectiveOptions {
  /** Side of a square spatial mask unit, px. Must divide the image size. SimMIM: 32. */
  readonly maskUnit: number;
  /** Fraction of units masked: exactly ceil(ratio·units) per image, as SimMIM's MaskGenerator. SimMIM: 0.6. */
  readonly maskRatio: number;
  readonly fill: SpatialFill;
  /**
   * `noise` fill: masked pixels are mean_c + noiseStd·std_c·z, with mean_c, std_c the image's own
   * per-channel mean and standard deviation and z ~ N(0,1) drawn once per pixel and shared by the
   * channels (a grey image stays grey; invariant to the per-channel normalisation). 1 gives the masked
   * region the image's first two moments, so flatness alone does not give the mask away.
   */
  readonly noiseStd: number;
  /** Fraction of the rings removed per image: floor(ratio·rings), as the official Frequency_MASK. */
  readonly freqRatio: number;
  /** Outer radius of the first ring (the official BaseBW). */
  readonly baseBw: number;
  /** Ring k+1 is wider than … by floor(r_k·increaseFactor) (the official IncreaseFactor): log-spaced rings. */
  readonly increaseFactor: number;
  /** Cap on a ring's width (the official MaxIncrease); widths are at least 1. */
  readonly maxIncrease: number;
  /** The disk d ≤ centerProtect (the DC term and the coarsest structure) is never masked (CenterProtect). */
  readonly centerProtect: number;
  /**
   * Where the rings end: `corner` covers the whole spectrum (as the issue asks); `inscribed` stops at
   * min(H, W)/2, as the official schedule (`while r ≤ c`), which never masks the corners.
   */
  readonly outerRadius: 'corner' | 'inscribed';
  readonly branch: BranchProbabilities;
  /** λ in L = L_spa + λ·L_freq. */
  readonly freqWeight: number;
  /**
   * Compare log(1+|F|) (true) or |F| (false) spectra in L_freq. |F| is the unscaled DFT, which grows
   * like √(H·W)·σ (≈ 100× the pixel errors at 224²): lower `freqWeight` accordingly with false.
   */
  readonly freqLog: boolean;
  /**
   * Per-channel mean/std of the input normalisation (the loader's). The band-stop input masking undoes
   * it, filters and takes |iDFT| in [0,1] pixel space, then normalises again: the magnitude of a
   * non-negative image only clips the filter's ringing, while in normalised space it would fold every
   * below-mean pixel.
   */
  readonly pixelMean: Triple;
  readonly pixelStd: Triple;
}

/**
 * Whether any image can take the frequency branch. When none can, L_freq is identically 0 and the
 * objective leaves the DFTs out of the graph (≈ a tenth of a vit-t step at 224²).
 */
export function usesFrequency(o: Pick<PretrainObjectiveOptions, 'branch'>): boolean {
  return o.branch.frequency + o.branch.both > 0;
}

/** USFM's dual objective: spatial, frequency and both branches equally likely per image (`--branch 1,1,1`). */
export const DUAL_BRANCHES: BranchProbabilities = { spatial: 1 / 3, frequency: 1 / 3, both: 1 / 3 };

/**
 * Defaults. The USFM paper's own values are unpublished (issue #5: "details in revision"); SimMIM's are
 * used where they exist (unit 32, ratio 0.6, L1 on the masked pixels). The ring defaults give 224×224
 * inputs 13 rings from the protected disk d ≤ 4 out to the corner (outer radii 8, 12, 18, 27, 40, 56,
 * 72, 88, 104, 120, 136, 152, 168), 6 of which are removed per image: log-spaced at low frequencies
 * (where the energy is), 16 bins wide above 40. The centre disk keeps the mean and the coarsest layout,
 * so a band-stopped image stays recognisable but loses whole scales of texture/edges. Branch: spatial
 * only. With the token fill, an ablation (docs/pretraining/, "Token-fill branch ablation" and "Spatial-only,
 * 45 epochs") found the frequency branch hurting fine-tuning: spatial-only pretraining fine-tuned better on
 * HC18 and probed better on BUSI than both branches (⅓ each, USFM's objective: `--branch 1,1,1`). λ = 1 (used
 * whenever a frequency image is drawn): with the log spectrum
 * both terms are O(1) L1 means in comparable units (see losses.ts). Fill `token` (SimMIM's): with the
 * `noise` fill (USFM's "noise addition") a ViT-T never learnt the masked task on our ultrasound — noise
 * with the image's mean and std looks like speckle, so the masked units are not recognisable — and
 * plateaued at the visible-mean predictor's loss; with `token` it passes plain local interpolation
 * within ~20 epochs (docs/pretraining/).
 */
export const DEFAULT_OBJECTIVE: PretrainObjectiveOptions = {
  maskUnit: 32,
  maskRatio: 0.6,
  fill: 'token',
  noiseStd: 1,
  freqRatio: 0.5,
  baseBw: 8,
  increaseFactor: 0.5,
  maxIncrease: 16,
  centerProtect: 4,
  outerRadius: 'corner',
  branch: { spatial: 1, frequency: 0, both: 0 },
  freqWeight: 1,
  freqLog: true,
  pixelMean: IMAGENET_MEAN,
  pixelStd: IMAGENET_STD,
};

const ratio = (v: number): boolean => Number.isFinite(v) && v >= 0 && v <= 1;

/** How an option is named in errors: its key here, its flag in the CLI. */
export type OptionName = (key: keyof PretrainObjectiveOptions) => string;

/** The defaults overridden by `over`, validated; errors name options by `name` (default: 'pretrain objective: KEY'). */
export function objectiveOptions(over: Partial<PretrainObjectiveOptions> = {}, name?: OptionName): PretrainObjectiveOptions {
  const o: PretrainObjectiveOptions = { ...DEFAULT_OBJECTIVE, ...over, branch: { ...DEFAULT_OBJECTIVE.branch, ...over.branch } };
  validateObjective(o, name);
  return o;
}

export function validateObjective(o: PretrainObjectiveOptions, name?: OptionName): void {
  const n: OptionName = name ?? ((k) => k);
  const check = (ok: boolean, what: string): void => {
    if (!ok) throw new Error(name ? what : `pretrain objective: ${what}`);
  };
  check(Number.isInteger(o.maskUnit) && o.maskUnit > 0, `${n('maskUnit')} must be a positive integer, got ${o.maskUnit}`);
  check(ratio(o.maskRatio), `${n('maskRatio')} must be in [0, 1], got ${o.maskRatio}`);
  check(['mean', 'noise', 'token'].includes(o.fill), `${n('fill')} must be mean, noise or token, got ${String(o.fill)}`);
  check(Number.isFinite(o.noiseStd) && o.noiseStd >= 0, `${n('noiseStd')} must be ≥ 0, got ${o.noiseStd}`);
  check(ratio(o.freqRatio), `${n('freqRatio')} must be in [0, 1], got ${o.freqRatio}`);
  check(Number.isFinite(o.baseBw) && o.baseBw > 0, `${n('baseBw')} must be > 0, got ${o.baseBw}`);
  check(Number.isFinite(o.increaseFactor) && o.increaseFactor >= 0, `${n('increaseFactor')} must be ≥ 0, got ${o.increaseFactor}`);
  check(Number.isFinite(o.maxIncrease) && o.maxIncrease >= 1, `${n('maxIncrease')} must be ≥ 1, got ${o.maxIncrease}`);
  check(Number.isFinite(o.centerProtect) && o.centerProtect >= 0, `${n('centerProtect')} must be ≥ 0, got ${o.centerProtect}`);
  check(o.outerRadius === 'corner' || o.outerRadius === 'inscribed', `${n('outerRadius')} must be corner or inscribed, got ${String(o.outerRadius)}`);
  const p = [o.branch.spatial, o.branch.frequency, o.branch.both];
  check(p.every((v) => Number.isFinite(v) && v >= 0), `${n('branch')} probabilities must be ≥ 0, got ${p.join(', ')}`);
  check(Math.abs(p[0]! + p[1]! + p[2]! - 1) < 1e-6, `${n('branch')} probabilities must sum to 1, got ${p.join(' + ')}`);
  check(Number.isFinite(o.freqWeight) && o.freqWeight >= 0, `${n('freqWeight')} must be ≥ 0, got ${o.freqWeight}`);
  check(o.pixelStd.every((s) => Number.isFinite(s) && s > 0) && o.pixelMean.every(Number.isFinite), `${n('pixelMean')}/${n('pixelStd')} must be finite with std > 0`);
}
