/**
 * Finds and checks the tensors of a data pack against the task: `x` [rows, inputSize] always,
 * `y` [rows, outputSize] for training (one-hot classes, or the target for regression).
 * A mismatch is the coordinator's or the network's fault, reported as a clear bad_request.
 */
import { NimbleError, type ModelSpec, type NamedTensor } from '../protocol'

type ShardTask = { model: ModelSpec; rows: number }

/** `x` [rows, inputSize] and `y` [rows, outputSize]: a training shard. */
export function readShard(task: ShardTask, tensors: NamedTensor[]): { x: NamedTensor; y: NamedTensor; rows: number } {
  const { x, rows } = readInputs(task, tensors)
  const y = tensors.find((t) => t.name === 'y')
  if (!y) throw bad(`expected tensors x and y, found ${tensors.map((t) => t.name).join(', ') || 'none'}`)
  const { outputSize } = task.model
  if (y.shape.length !== 2 || y.shape[1] !== outputSize) throw bad(`y has shape [${y.shape}], expected [rows, ${outputSize}]`)
  if (y.shape[0] !== rows) throw bad(`x has ${rows} rows but y has ${y.shape[0]}`)
  return { x, y, rows }
}

/** `x` [rows, inputSize]: what inference needs (a `y`, if present, is ignored). */
export function readInputs(task: ShardTask, tensors: NamedTensor[]): { x: NamedTensor; rows: number } {
  const x = tensors.find((t) => t.name === 'x')
  if (!x) throw bad(`expected a tensor x, found ${tensors.map((t) => t.name).join(', ') || 'none'}`)
  const { inputSize } = task.model
  if (x.shape.length !== 2 || x.shape[1] !== inputSize) throw bad(`x has shape [${x.shape}], expected [rows, ${inputSize}]`)
  const rows = x.shape[0]
  if (rows === 0) throw bad('is empty')
  if (rows !== task.rows) throw bad(`holds ${rows} rows but the task says ${task.rows}`)
  return { x, rows }
}

function bad(message: string): NimbleError {
  return new NimbleError({ code: 'bad_request', message: `data shard: ${message}` })
}
