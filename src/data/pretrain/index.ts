// Self-supervised pretraining data: sources (image folders), organ-balanced epoch orders,
// pretraining augmentation and sample loading, batched loader.
export type { PretrainItem, PretrainSource, ScanSourcesOptions } from './sources.js';
export { describeSources, scanSources } from './sources.js';
export type { Balance, SizedSource } from './sampler.js';
export { BALANCE_MODES, epochItems, epochOrder, flattenSources } from './sampler.js';
export type { DecodeItem, PretrainSampleOptions } from './sample.js';
export { decodeItem, PRETRAIN_CROP, pretrainLoad, pretrainSample } from './sample.js';
export type { PretrainLoaderOptions } from './loader.js';
export { PretrainLoader } from './loader.js';
export {
  GENERIC_DIR_NAMES, HELD_OUT_SPLIT_NAMES, isHeldOutDir, isLabelDir, isLabelFileStem, LABEL_DIR_NAMES, TRAIN_SPLIT_NAMES,
} from './rules.js';
export { sourceNames } from './names.js';
