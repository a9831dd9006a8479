import { zipSync } from 'fflate'
import { describe, expect, test } from 'vitest'
import { mnistZip } from '../../../server/testing/datasets'
import { expectNimble } from '../test-helpers'
import { imageInfo, imagePrep } from './prep'
import { jpeg, png } from './test-images'
import { parseImageZip } from './zip'

const gray = (v: number) => png(4, 3, () => [v, v, v])

describe('a zip of class folders', () => {
  test('gray PNGs: one channel, classes sorted by folder name, clutter skipped', () => {
    const zip = zipSync({
      'pets/dog/b.png': gray(200),
      'pets/cat/z.png': gray(10),
      'pets/cat/a.png': png(4, 3, (x, y) => [x * 60, x * 60, x * 60 + y * 0]),
      'pets/dog/.hidden.png': new Uint8Array([1]),
      '__MACOSX/pets/cat/._a.png': new Uint8Array([1]),
      'pets/notes.txt': new TextEncoder().encode('hello'),
    })
    const set = parseImageZip(zip)
    expect(set.classes).toEqual(['cat', 'dog'])
    expect(Array.from(set.labels)).toEqual([0, 0, 1]) // cat/a, cat/z, dog/b
    expect([set.width, set.height, set.channels]).toEqual([4, 3, 1])
    expect(Array.from(set.x.subarray(0, 4), (v) => Math.round(v * 255))).toEqual([0, 60, 120, 180])
    expect(set.x[12]).toBeCloseTo(10 / 255, 6)
    expect(imageInfo(set)).toEqual({ width: 4, height: 3, channels: 1, classes: ['cat', 'dog'], counts: [2, 1] })
    expect(imagePrep(set)).toMatchObject({ kind: 'image', width: 4, height: 3, channels: 1, classes: ['cat', 'dog'], scale: 1 / 255 })
  })

  test('one colour image makes the whole set RGB; JPEGs are read too', () => {
    const zip = zipSync({
      'red/1.png': png(4, 3, () => [255, 0, 0]),
      'gray/1.png': gray(128),
      'gray/2.jpg': jpeg(4, 3, 90),
    })
    const set = parseImageZip(zip)
    expect(set.classes).toEqual(['gray', 'red'])
    expect(set.channels).toBe(3)
    expect(set.x).toHaveLength(3 * 4 * 3 * 3)
    expect(Array.from(set.x.subarray(0, 3), (v) => Math.round(v * 255))).toEqual([128, 128, 128])
    expect(Math.abs(Math.round(set.x[36]! * 255) - 90)).toBeLessThanOrEqual(2) // JPEG is lossy
    expect(Array.from(set.x.subarray(72, 75), (v) => Math.round(v * 255))).toEqual([255, 0, 0])
  })

  test('real MNIST digits as PNG folders', () => {
    const { train } = mnistZip(60, 2)
    const set = parseImageZip(train)
    expect([set.width, set.height, set.channels]).toEqual([28, 28, 1])
    expect(set.labels).toHaveLength(60)
    expect(set.classes.length).toBeGreaterThan(5)
  })
})

describe('bad zips', () => {
  test('mixed sizes name the first odd file and both sizes', () => {
    const zip = zipSync({ 'a/1.png': gray(1), 'b/2.png': png(5, 5, () => [0, 0, 0]), 'b/3.png': png(6, 6, () => [0, 0, 0]) })
    const e = expectNimble(() => parseImageZip(zip), 'invalid_body', 'b/2.png')
    expect(e.message).toContain('5×5')
    expect(e.message).toContain('4×3')
    expect(e.message).toContain('a/1.png')
  })

  test('no images, loose images, one class and a fake PNG are invalid_body', () => {
    expectNimble(() => parseImageZip(zipSync({ 'readme.txt': new Uint8Array([65]) })), 'invalid_body', 'zip')
    expectNimble(() => parseImageZip(zipSync({ '1.png': gray(1), 'b/2.png': gray(2) })), 'invalid_body', '1.png')
    expect(expectNimble(() => parseImageZip(zipSync({ 'a/1.png': gray(1), 'a/2.png': gray(2) })), 'invalid_body').message).toContain('two classes')
    expectNimble(() => parseImageZip(zipSync({ 'a/1.png': gray(1), 'b/2.png': new TextEncoder().encode('not a png') })), 'invalid_body', 'b/2.png')
  })

  test('garbage and a damaged zip are unsupported_media_type', () => {
    expectNimble(() => parseImageZip(new TextEncoder().encode('hello, this is not a zip')), 'unsupported_media_type', 'zip')
    const zip = zipSync({ 'a/1.png': gray(1), 'b/2.png': gray(2) })
    expectNimble(() => parseImageZip(zip.subarray(0, zip.length - 30)), 'unsupported_media_type', 'zip')
  })

  test('a damaged PNG names the file; limits are payload_too_large', () => {
    const broken = gray(1).slice(0, 40)
    expectNimble(() => parseImageZip(zipSync({ 'a/1.png': broken, 'b/2.png': gray(2) })), 'invalid_body', 'a/1.png')
    const zip = zipSync({ 'a/1.png': gray(1), 'b/2.png': gray(2), 'b/3.png': gray(3) })
    expectNimble(() => parseImageZip(zip, { maxImages: 2 }), 'payload_too_large', 'maxImages')
    expectNimble(() => parseImageZip(zip, { maxPixels: 11 }), 'payload_too_large', 'maxPixels')
  })
})
