// USFM pretraining: the spatial-frequency dual masked-image-modeling objective (host masks + graph loss).
export type { Branch, BranchProbabilities, PretrainObjectiveOptions, SpatialFill } from './options.js';
export { DEFAULT_OBJECTIVE, DUAL_BRANCHES, objectiveOptions, usesFrequency, validateObjective } from './options.js';
export type { RingGeometry, UnitMask } from './masks.js';
export {
  chooseBranch, chooseRings, hasFrequency, hasSpatial, outerRadius, pixelMask, ringEdges, ringGeometry, ringIndex, ringStopMask, spatialUnitMask,
  spectrumCentre, tokenMask,
} from './masks.js';
export { FftPlan, fft2 } from './fft.js';
export { bandStopImage, bandStopPlane, channelStats, fftPlans, fillMasked } from './mask_image.js';
export type { ImageMasks, MimBatch } from './batch.js';
export { MIM_INPUTS, MimMasker } from './batch.js';
export { decodePixels, pixelShuffleTokens, simmimDecoder } from './decoder.js';
export { amplitudeSpectrum, frequencyLoss, spatialLoss } from './losses.js';
export type { MimLossOutputs } from './objective.js';
export { mimFrozen, mimLoss, mimLossFn, mimSpecs } from './objective.js';
