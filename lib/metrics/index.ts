/** Evaluation reports the coordinator computes from model outputs. Pure: no tfjs. */
export { classificationReport, type ClassificationReport } from './classification'
export { regressionReport, type RegressionReport } from './regression'
export { rocAuc, rocCurve, type RocCurve } from './roc'
