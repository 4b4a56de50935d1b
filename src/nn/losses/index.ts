// Training losses: compositions of ops, each returning a scalar tensor.
export type { CrossEntropyOptions } from './cross_entropy.js';
export { crossEntropy } from './cross_entropy.js';
export type { DiceOptions } from './dice.js';
export { diceLoss, diceScore } from './dice.js';
export type { FocalOptions } from './focal.js';
export { sigmoidFocalLoss, bceWithLogits } from './focal.js';
export { l1Loss, mseLoss } from './regression.js';
export { oneHot } from './_util.js';
