// Fine-tuning datasets in USFM's folder layouts: segmentation and classification scans,
// seeded label subsets, and mask → label conversion.
export type { Split } from './fs_scan.js';
export { IMAGE_EXTENSIONS, SPLITS } from './fs_scan.js';
export type { SegDataset, SegItem } from './seg.js';
export { SEG_SPLIT_DIRS, scanSegDataset } from './seg.js';
export type { ClsDataset, ClsItem } from './cls.js';
export { clsClasses, scanClsDataset } from './cls.js';
export type { StratumKey } from './subset.js';
export { labelSubset, stratumCounts, subsetIndices, subsetSize } from './subset.js';
export type { MaskLabels, MaskMode, MaskOptions } from './masks.js';
export { maskToLabels } from './masks.js';
