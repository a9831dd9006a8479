import { zipSync } from 'fflate'
import { describe, expect, test } from 'vitest'
import { mnistIdx, mnistZip } from '../../../server/testing/datasets'
import { Preprocessing } from '../preprocessing'
import { expectNimble } from '../test-helpers'
import { parseImagesForPredict } from './predict'
import { imagePrep, isImagePrep, ModelPrep } from './prep'
import { png } from './test-images'

describe('parseImagesForPredict', () => {
  const zip = mnistZip(50, 4)
  const idx = mnistIdx(50, 4) // same seed and n: the same held-out digits

  test('a zip of loose PNGs, sorted by name, equals the same digits from idx', () => {
    const fromZip = parseImagesForPredict(zip.holdout)
    expect(fromZip.names).toEqual(fromZip.names.slice().sort())
    expect(fromZip.names[0]).toBe('holdout/00000.png')
    const fromIdx = parseImagesForPredict(idx.holdout.images)
    expect(fromIdx.names[0]).toBe('#1')
    expect([fromZip.width, fromZip.height, fromZip.channels]).toEqual([28, 28, 1])
    expect(fromZip.x).toEqual(fromIdx.x)
    expect(zip.holdoutLabels).toEqual(idx.holdoutLabels.map(String))
  })

  test('an idx file inside a zip, or a single PNG, works too', () => {
    const inZip = parseImagesForPredict(zipSync({ 'data/t10k-images-idx3-ubyte': idx.holdout.images }))
    expect(inZip.names[0]).toBe('data/t10k-images-idx3-ubyte#1')
    expect(inZip.x).toHaveLength(idx.holdoutLabels.length * 784)
    expect(parseImagesForPredict(png(2, 2, () => [9, 9, 9])).names).toEqual(['image'])
  })

  test('expect converts channels and refuses another size', () => {
    const rgb = parseImagesForPredict(zip.holdout, { expect: { width: 28, height: 28, channels: 3 } })
    expect(rgb.channels).toBe(3)
    expect(rgb.x).toHaveLength(idx.holdoutLabels.length * 784 * 3)
    const e = expectNimble(() => parseImagesForPredict(zip.holdout, { expect: { width: 32, height: 32, channels: 1 } }), 'invalid_body', 'holdout/00000.png')
    expect(e.message).toContain('32×32')
    const colour = parseImagesForPredict(png(2, 1, () => [255, 0, 0]), { expect: { width: 2, height: 1, channels: 1 } })
    expect(Math.round(colour.x[0]! * 255)).toBe(76) // luma of pure red
  })

  test('garbage is unsupported_media_type', () => {
    expectNimble(() => parseImagesForPredict(new TextEncoder().encode('a,b\n1,2')), 'unsupported_media_type')
  })
})

test('ModelPrep parses both kinds; isImagePrep tells them apart', () => {
  const image = imagePrep({ width: 28, height: 28, channels: 1, classes: ['0', '1'] })
  expect(image).toMatchObject({ target: 'label', targetType: 'categorical' })
  const table = Preprocessing.parse({ version: 1, features: [{ kind: 'numeric', column: 'a', mean: 0, std: 1 }], inputSize: 1, target: 'y', targetType: 'categorical', classes: ['a', 'b'], notes: [] })
  const [a, b] = [ModelPrep.parse(JSON.parse(JSON.stringify(image))), ModelPrep.parse(JSON.parse(JSON.stringify(table)))]
  expect(isImagePrep(a)).toBe(true)
  expect(isImagePrep(b)).toBe(false)
  expect(ModelPrep.safeParse({ ...image, channels: 2 }).success).toBe(false)
})
