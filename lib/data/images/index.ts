/**
 * Image datasets: idx files and zips of class folders → pixels scaled to 0..1, plus the
 * ImagePrep stored with a model. Decoding uses pngjs and Node's Buffer: server side only.
 */
export { DEFAULT_MAX_IMAGES, DEFAULT_MAX_PIXELS, type ImageLimits, type ParsedImages } from './types'
export { parseIdx, readIdxImages, readIdxLabels, type IdxImages } from './idx'
export { parseImageZip } from './zip'
export { parseImagesForPredict, type ImagesForPredict, type PredictImagesOptions } from './predict'
export { ImagePrep, ModelPrep, imageInfo, imagePrep, isImagePrep } from './prep'
