import { gzipSync, zipSync } from 'fflate'
import { describe, expect, test } from 'vitest'
import { mnistIdx } from '../../../server/testing/datasets'
import { expectNimble } from '../test-helpers'
import { parseIdx } from './idx'
import { imageInfo } from './prep'
import { idx } from './test-images'
import { parseImageZip } from './zip'

describe('parseIdx on real MNIST digits', () => {
  const m = mnistIdx(40, 11)
  const set = parseIdx(m.images, m.labels)

  test('round-trips pixels (scaled to 0..1) and labels', () => {
    expect([set.width, set.height, set.channels]).toEqual([28, 28, 1])
    expect(set.x).toHaveLength(40 * 784)
    for (const i of [0, 100, 784 * 39 + 400]) expect(set.x[i]).toBeCloseTo(m.images[16 + i]! / 255, 6)
    expect(Array.from(set.labels, (k) => Number(set.classes[k]))).toEqual(Array.from(m.labels.subarray(8)))
    expect(set.classes).toEqual([...new Set(m.labels.subarray(8))].sort((a, b) => a - b).map(String))
    expect(imageInfo(set).counts.reduce((a, b) => a + b, 0)).toBe(40)
  })

  test('gzipped files give the same set', () => {
    expect(parseIdx(gzipSync(m.images), gzipSync(m.labels))).toEqual(set)
  })

  test('a zip of idx files (gzipped or not, with Mac clutter) gives the same set', () => {
    const zip = zipSync({
      'mnist/train-images-idx3-ubyte.gz': gzipSync(m.images),
      'mnist/train-labels-idx1-ubyte': m.labels,
      '__MACOSX/mnist/._train-images-idx3-ubyte.gz': new Uint8Array([1, 2, 3]),
      'mnist/.DS_Store': new Uint8Array([0]),
      'mnist/README.md': new TextEncoder().encode('MNIST'),
    })
    expect(parseImageZip(zip)).toEqual(set)
  })

  test('train and t10k pairs in one zip are joined, paired by name', () => {
    const zip = zipSync({
      'train-images-idx3-ubyte': m.images,
      'train-labels-idx1-ubyte': m.labels,
      't10k-images-idx3-ubyte': m.holdout.images,
      't10k-labels-idx1-ubyte': m.holdout.labels,
    })
    const both = parseImageZip(zip)
    expect(both.labels).toHaveLength(40 + m.holdoutLabels.length)
    expect(Array.from(both.labels.subarray(0, m.holdoutLabels.length), (k) => Number(both.classes[k]))).toEqual(m.holdoutLabels) // t10k sorts first
  })
})

describe('parseIdx errors', () => {
  const images = idx(0x803, [3, 2, 2], Uint8Array.from({ length: 12 }, (_, i) => i * 20))
  const labels = idx(0x801, [3], Uint8Array.from([1, 0, 1]))

  test('swapped files name the file and say so', () => {
    const e = expectNimble(() => parseIdx(labels, images), 'unsupported_media_type', 'images')
    expect(e.message).toContain('0x00000801')
    expect(e.message).toContain('swapped')
  })

  test('a truncated images file gives both byte counts', () => {
    const e = expectNimble(() => parseIdx(images.subarray(0, 20), labels), 'invalid_body', 'images')
    expect(e.message).toContain('28 bytes')
    expect(e.message).toContain('has 20')
  })

  test('different counts of images and labels are refused', () => {
    const e = expectNimble(() => parseIdx(images, idx(0x801, [2], Uint8Array.from([0, 1]))), 'invalid_body', 'labels')
    expect(e.message).toMatch(/3 images but .* 2 labels/)
  })

  test('one class only, garbage, a broken gzip and too many images are refused', () => {
    expectNimble(() => parseIdx(images, idx(0x801, [3], Uint8Array.from([4, 4, 4]))), 'invalid_body', 'labels')
    expectNimble(() => parseIdx(new Uint8Array([1, 2]), labels), 'unsupported_media_type', 'images')
    expectNimble(() => parseIdx(Uint8Array.from([0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]), labels), 'invalid_body', 'images')
    expectNimble(() => parseIdx(images, labels, { maxImages: 2 }), 'payload_too_large', 'maxImages')
    expectNimble(() => parseIdx(images, labels, { maxPixels: 3 }), 'payload_too_large', 'maxPixels')
  })
})
