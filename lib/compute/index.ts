/** The tfjs executor shared by the browser worker, the headless worker and the coordinator. */
export { buildModel, layerSeed } from './build-model'
export { inspectTopology, checkModelFitsData, buildCustomModel, type TopologyInfo, type InspectOptions, type DataShape } from './custom-model'
export { readWeights, readWeightsAsync, writeWeights, initialWeights } from './weights'
export { weightedAverage, type WeightedTensors } from './average'
export { outerStep, isMovingStatistic, type OuterOptions, type OuterResult } from './outer'
export { runTrainTask, type TrainOptions, type TrainOutcome } from './train'
export { runInferTask, type InferOptions, type InferOutcome } from './infer'
export { runTask, describeTask, describeUnit, type TaskOutcome, type BlobSource } from './run-task'
export {
  buildSegment,
  loadSegmentWeights,
  splitLayerWeights,
  segmentLayersFromTopology,
  runStageTask,
  clearSegmentCache,
  type Segment,
  type LayerWeights,
  type StageOptions,
  type StageOutcome,
} from './segment'
export { runStageBackward, type BackwardOptions, type BackwardOutcome } from './stage-backward'
export { SegmentCache, type SegmentCacheOptions } from './segment-cache'
export { readShard, readInputs } from './shard'
export { evaluate, predictOutputs, predictProba, type Evaluation } from './evaluate'
export { clearModelCache } from './model-cache'
export { toModelInput, inputShapeOf } from './model-io'
export { exportLayersModel, WEIGHTS_FILE, type ExportedModel, type ExportedModelJson } from './export'
export { benchmarkMatMul, type BenchmarkOptions } from './benchmark'
export { describeAdapter, memoryBudget, pickBackend, MAX_GPU_BUDGET, CPU_BUDGET, type GpuAdapterLike } from './device-profile'
export { mulberry32, permutation } from './prng'
export { fetchBlob, type FetchBlobOptions } from './blobs'
