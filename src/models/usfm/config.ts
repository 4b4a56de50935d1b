/** Architecture of a USFM (BEiT-style ViT) encoder. */
export interface UsfmConfig {
  readonly embedDim: number;
  readonly depth: number;
  readonly heads: number;
  readonly mlpRatio: number;
  readonly patchSize: number;
  readonly inChans: number;
  /** Input height and width (multiples of the patch size). */
  readonly imgSize: readonly [number, number];
  /** One relative-position table shared by all blocks (pretraining layout) or one per block. */
  readonly sharedRelPos: boolean;
  readonly layerScaleInit: number;
  readonly eps: number;
  /** Maximum drop-path rate (linearly increasing over blocks); used in training only. */
  readonly dropPath: number;
}

export type ModelName = 'vit-b' | 'vit-s' | 'vit-t';

const BASE = { mlpRatio: 4, patchSize: 16, inChans: 3, sharedRelPos: false, layerScaleInit: 0.1, eps: 1e-6, dropPath: 0.1 } as const;

export const PRESETS: Readonly<Record<ModelName, Pick<UsfmConfig, 'embedDim' | 'depth' | 'heads'>>> = {
  'vit-b': { embedDim: 768, depth: 12, heads: 12 },
  'vit-s': { embedDim: 384, depth: 12, heads: 6 },
  'vit-t': { embedDim: 192, depth: 12, heads: 3 },
};

export function isModelName(s: string): s is ModelName {
  return s in PRESETS;
}

export function makeConfig(name: ModelName, over: Partial<UsfmConfig> = {}): UsfmConfig {
  const cfg: UsfmConfig = { ...BASE, ...PRESETS[name], imgSize: [224, 224], ...over };
  validateConfig(cfg);
  return cfg;
}

export function validateConfig(c: UsfmConfig): void {
  const [h, w] = c.imgSize;
  if (h % c.patchSize || w % c.patchSize || h <= 0 || w <= 0) {
    throw new Error(`image size ${h}×${w} must be a positive multiple of the patch size ${c.patchSize}`);
  }
  if (c.embedDim % c.heads) throw new Error(`embed dim ${c.embedDim} is not divisible by ${c.heads} heads`);
}

/** Patch grid (rows, cols) for the configured input size. */
export function windowOf(c: Pick<UsfmConfig, 'imgSize' | 'patchSize'>): [number, number] {
  return [c.imgSize[0] / c.patchSize, c.imgSize[1] / c.patchSize];
}

/** Which preset (if any) matches these dims. */
export function presetName(c: Pick<UsfmConfig, 'embedDim' | 'depth' | 'heads'>): ModelName | undefined {
  return (Object.keys(PRESETS) as ModelName[]).find((k) => {
    const p = PRESETS[k];
    return p.embedDim === c.embedDim && p.depth === c.depth && p.heads === c.heads;
  });
}
