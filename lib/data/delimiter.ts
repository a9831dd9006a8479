/**
 * Which character separates fields. papaparse's own guess misfires on small files
 * (it picked "," for "a;b"), so decide from the header line with a simple rule
 * a person can predict: comma when the header has one, otherwise the most frequent
 * of tab, semicolon and pipe.
 */
const OTHERS = ['\t', ';', '|'] as const

export function detectDelimiter(text: string): string {
  // Only the start of the file is split: the whole of a large upload would mean millions of strings.
  const firstLine = text.slice(0, 1 << 20).split(/\r\n|\n|\r/).find((line) => line.trim() !== '') ?? ''
  const unquoted = firstLine.replace(/"[^"]*"/g, '')
  if (unquoted.includes(',')) return ','
  let best = ','
  let bestCount = 0
  for (const candidate of OTHERS) {
    const count = unquoted.split(candidate).length - 1
    if (count > bestCount) {
      best = candidate
      bestCount = count
    }
  }
  return best
}
