/**
 * Folder and file naming rules for pretraining sources. Names are compared after
 * normalising: lower case, with `_`, `-`, `.` and spaces removed (`Val_Set`, `val-set` and
 * `valset` are the same name).
 *
 * - Held-out split folders (val / test / …) are never read by default: pretraining on the
 *   downstream evaluation images would leak them into the backbone.
 * - Label folders (`mask`, `masks`, `labels`, …, as the segmentation layout's `mask/`) and
 *   label images (`*_mask.png`, `*_Annotation.png`, … as in BUSI's and HC18's original
 *   releases) are never read: they are not ultrasound images.
 * - Generic folder names (`image`, `train`, `training_set`, …) are skipped when naming a
 *   source, so `Seg/hc18/training_set/image` is the source `hc18`.
 */

/** `Val_Set` → `valset`. */
export function normaliseName(name: string): string {
  return name.toLowerCase().replace(/[\s_.-]+/g, '');
}

/** Normalised names of validation / test split folders. */
export const HELD_OUT_SPLIT_NAMES: readonly string[] = [
  'val', 'valid', 'validation', 'valset', 'validset', 'validationset',
  'test', 'testing', 'testset', 'testingset', 'eval', 'evaluation', 'evalset', 'holdout',
];

/** Normalised names of training split folders. */
export const TRAIN_SPLIT_NAMES: readonly string[] = ['train', 'training', 'trainset', 'trainingset'];

/** Normalised names of folders holding label images rather than ultrasound images. */
export const LABEL_DIR_NAMES: readonly string[] = [
  'mask', 'masks', 'label', 'labels', 'annotation', 'annotations', 'gt', 'groundtruth',
];

/** Normalised names that say nothing about a source (dropped when naming it). */
export const GENERIC_DIR_NAMES: readonly string[] = [
  ...TRAIN_SPLIT_NAMES, 'image', 'images', 'img', 'imgs', 'data', 'dataset', 'all', 'png', 'jpg', 'dicom', 'dcm',
];

/** Label image stems: `x_mask`, `x_mask_1`, `x_Annotation`, `x-label`, `x_gt` (case-insensitive). */
const LABEL_FILE_STEM = /[\s_-](mask|masks|annotation|label|labels|gt)([\s_-]?\d+)?$/i;

/** True for a held-out (validation / test) split folder name. */
export function isHeldOutDir(name: string): boolean {
  return HELD_OUT_SPLIT_NAMES.includes(normaliseName(name));
}

/** True for a label folder name (`mask`, `masks`, `labels`, …). */
export function isLabelDir(name: string): boolean {
  return LABEL_DIR_NAMES.includes(normaliseName(name));
}

/** True for a folder name that does not identify a source (`image`, `train`, …). */
export function isGenericDir(name: string): boolean {
  return GENERIC_DIR_NAMES.includes(normaliseName(name));
}

/** True for a label image's file stem (`benign (1)_mask`, `000_HC_Annotation`, …). */
export function isLabelFileStem(stem: string): boolean {
  return LABEL_FILE_STEM.test(stem);
}
