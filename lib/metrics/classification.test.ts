import { describe, expect, it } from 'vitest'
import { classificationReport } from './classification'

const rows = (r: number[][]) => Float32Array.from(r.flat())

describe('classificationReport', () => {
  it('binary: hand-computed accuracy, macro P/R/F1, AUC, confusion and ROC', () => {
    // class-1 scores 0.1, 0.4, 0.35, 0.8 for labels 0, 0, 1, 1 (the scikit-learn roc_auc example: 0.75)
    const r = classificationReport(rows([[0.9, 0.1], [0.6, 0.4], [0.65, 0.35], [0.2, 0.8]]), Int32Array.of(0, 0, 1, 1), 2)
    expect(r.confusion).toEqual([
      [2, 0],
      [1, 1],
    ])
    expect(r.accuracy).toBe(0.75)
    expect(r.precision).toBeCloseTo((2 / 3 + 1) / 2, 10)
    expect(r.recall).toBeCloseTo((1 + 0.5) / 2, 10)
    expect(r.f1).toBeCloseTo((0.8 + 2 / 3) / 2, 10)
    expect(r.auc).toBeCloseTo(0.75, 10)
    expect(r.roc).toEqual({ fpr: [0, 0, 0.5, 0.5, 1], tpr: [0, 0.5, 0.5, 1, 1] })
  })

  it('gives ties half credit in the AUC and one ROC point per threshold', () => {
    const r = classificationReport(rows([[0.5, 0.5], [0.5, 0.5], [0.5, 0.5], [0.1, 0.9]]), Int32Array.of(0, 1, 0, 1), 2)
    expect(r.auc).toBeCloseTo(0.75, 10) // 0.9 beats both negatives; the tied positive gets 0.5 twice
    expect(r.roc).toEqual({ fpr: [0, 0, 1], tpr: [0, 0.5, 1] })
    const allTied = classificationReport(rows([[0.5, 0.5], [0.5, 0.5]]), Int32Array.of(0, 1), 2)
    expect(allTied.auc).toBe(0.5)
  })

  it('multi-class: macro one-vs-rest AUC, macro averages over classes seen, ROC of class 0', () => {
    const probs = rows([
      [0.7, 0.2, 0.1],
      [0.3, 0.4, 0.3],
      [0.5, 0.1, 0.4],
      [0.2, 0.5, 0.3],
    ])
    const r = classificationReport(probs, Int32Array.of(0, 1, 2, 0), 3)
    expect(r.confusion).toEqual([
      [1, 1, 0],
      [0, 1, 0],
      [1, 0, 0],
    ])
    expect(r.accuracy).toBe(0.5)
    expect(r.precision).toBeCloseTo((0.5 + 0.5 + 0) / 3, 10)
    expect(r.recall).toBeCloseTo((0.5 + 1 + 0) / 3, 10)
    expect(r.f1).toBeCloseTo((0.5 + 2 / 3 + 0) / 3, 10)
    expect(r.auc).toBeCloseTo((0.5 + 2 / 3 + 1) / 3, 10)
    expect(r.roc).toEqual({ fpr: [0, 0, 0.5, 1, 1], tpr: [0, 0.5, 0.5, 0.5, 1] })
  })

  it('gives a null AUC and ROC when a class is absent, and averages only over classes that occur', () => {
    const r = classificationReport(rows([[0.8, 0.1, 0.1], [0.1, 0.8, 0.1]]), Int32Array.of(0, 1), 3)
    expect(r.auc).toBeNull()
    expect(r.precision).toBe(1)
    expect(r.f1).toBe(1)
    const binary = classificationReport(rows([[0.8, 0.2], [0.6, 0.4]]), Int32Array.of(0, 0), 2)
    expect(binary.auc).toBeNull()
    expect(binary.roc).toBeNull()
  })

  it('downsamples a long ROC curve to at most 101 points from (0,0) to (1,1)', () => {
    const n = 1000
    const probs = new Float32Array(n * 2)
    const labels = new Int32Array(n)
    for (let i = 0; i < n; i++) {
      const s = (i + 0.5) / n
      probs[i * 2] = 1 - s
      probs[i * 2 + 1] = s
      labels[i] = (i * 7919) % 3 === 0 ? 1 : 0
    }
    const { roc } = classificationReport(probs, labels, 2)
    expect(roc!.fpr.length).toBeLessThanOrEqual(101)
    expect(roc!.fpr.length).toBe(roc!.tpr.length)
    expect([roc!.fpr[0], roc!.tpr[0], roc!.fpr.at(-1), roc!.tpr.at(-1)]).toEqual([0, 0, 1, 1])
    for (let i = 1; i < roc!.fpr.length; i++) {
      expect(roc!.fpr[i]).toBeGreaterThanOrEqual(roc!.fpr[i - 1])
      expect(roc!.tpr[i]).toBeGreaterThanOrEqual(roc!.tpr[i - 1])
    }
  })

  it('refuses inputs that do not fit', () => {
    expect(() => classificationReport(new Float32Array(5), new Int32Array(2), 3)).toThrow(/2 rows of 3 classes need 6/)
    expect(() => classificationReport(new Float32Array(0), new Int32Array(0), 2)).toThrow(/zero rows/)
    expect(() => classificationReport(new Float32Array(2), Int32Array.of(2), 2)).toThrow(/label 2 at row 0/)
  })
})
