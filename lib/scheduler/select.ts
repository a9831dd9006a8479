/**
 * Partial selection (pure): move the k smallest keys of a scratch array to its front,
 * in expected linear time (quickselect), for picking each task's k cheapest devices.
 */
export function selectSmallest(key: Float64Array, idx: Int32Array, count: number, k: number): void {
  let lo = 0
  let hi = count - 1
  while (lo < hi) {
    const pivot = key[(lo + hi) >>> 1]
    let i = lo
    let j = hi
    while (i <= j) {
      while (key[i] < pivot) i++
      while (key[j] > pivot) j--
      if (i <= j) {
        const tk = key[i]
        key[i] = key[j]
        key[j] = tk
        const ti = idx[i]
        idx[i] = idx[j]
        idx[j] = ti
        i++
        j--
      }
    }
    if (k - 1 <= j) hi = j
    else if (k - 1 >= i) lo = i
    else return
  }
}
