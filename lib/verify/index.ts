export { compareResults, relativeL2, updateDistance, updateNorm, lazyUpdate, norm, type Comparison } from './compare'
export { TOLERANCE, type Tolerance } from './tolerance'
export { quorum, type QuorumOutcome } from './quorum'
export * from './trust'
