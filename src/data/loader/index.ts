// Fine-tuning input pipeline: seeded augmentations, sample loaders, batched prefetching loader.
export type { AugmentedPair, AugmentOptions, CropBox, CropOptions, JitterOptions } from './augment.js';
export {
  augmentSample, cropRaster, DEFAULT_AUGMENT, hflip, jitterRaster, NO_AUGMENT, randomCropBox, rot90, sampleRng, sampleSeed, vflip,
} from './augment.js';
export type { Batch, BatchLoaderOptions, LoadFn, Sample } from './loader.js';
export { BatchLoader, collate } from './loader.js';
export type { SampleOptions } from './samples.js';
export { clsLoad, clsSample, segLoad, segSample } from './samples.js';
