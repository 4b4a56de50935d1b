// Image input for USFM: decoding, Pillow-compatible resizing, preprocessing to tensors, .npy I/O.
export type { RasterImage } from './image.js';
export { checkRaster, grayToRgb } from './image.js';
export type { DecodedImage } from './decode.js';
export type { FrameSelection } from './decode.js';
export { decodeFrames, decodeFramesBuffer, decodeImage, decodeImageBuffer } from './decode.js';
export { decodeDicom, isDicom, readDicomHeader } from './dicom/index.js';
export type { ResampleFilter, ResizeBox, ResizeOptions } from './resize.js';
export { PRECISION_BITS, resize, resizeBicubic, resizeBilinear, resizeNearest } from './resize.js';
export type { ImageSize, PreprocessOptions, Triple } from './preprocess.js';
export { IMAGENET_MEAN, IMAGENET_STD, imageToTensor, loadImageBatch, loadImageTensor, stackBatch } from './preprocess.js';
export { encodeNpy, parseNpy, readNpy, writeNpy } from './npy.js';
