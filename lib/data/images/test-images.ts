/** Builds tiny PNG, JPEG and idx files for the image tests. */
import { encode as encodeJpeg } from 'jpeg-js'
import { PNG } from 'pngjs'

/** A width×height PNG; `pixel(x, y)` gives [r, g, b]. */
export function png(width: number, height: number, pixel: (x: number, y: number) => [number, number, number]): Uint8Array {
  const image = new PNG({ width, height })
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [r, g, b] = pixel(x, y)
      image.data.set([r, g, b, 255], (y * width + x) * 4)
    }
  }
  return new Uint8Array(PNG.sync.write(image))
}

export function jpeg(width: number, height: number, gray: number): Uint8Array {
  const data = Buffer.alloc(width * height * 4, gray)
  return new Uint8Array(encodeJpeg({ width, height, data }, 100).data)
}

/** idx bytes with an explicit header, for writing broken files too. */
export function idx(magic: number, dims: number[], body: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + dims.length * 4 + body.length)
  const view = new DataView(out.buffer)
  view.setUint32(0, magic)
  dims.forEach((d, i) => view.setUint32(4 + i * 4, d))
  out.set(body, 4 + dims.length * 4)
  return out
}
