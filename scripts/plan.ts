/**
 * `npm run plan -- --params 100e9 --device-memory 8GiB --bandwidth 100Mbit --micro-batches 32`
 * Plans a model too big for one device on paper (lib/model/paper-plan.ts) and prints the segments,
 * devices, bytes moved, bubble and throughput. Exits 2 on bad flags, 1 when no plan exists.
 */
import { parseArgs } from 'node:util'
import { isNimbleError, Optimizer } from '../lib/protocol'
import { formatPaperPlan, parseBandwidth, parseByteSize, planOnPaper } from '../lib/model/paper-plan'

const USAGE = `usage: npm run plan -- --params 100e9 --device-memory 8GiB --bandwidth 100Mbit --micro-batches 32
  [--layers 100]        blocks the model is made of (the finest cut)
  [--hidden N]          hidden size (default √(params per block / 12))
  [--seq-len 1]         positions per row
  [--gflops 10]         each device's GFLOP/s
  [--micro-batch 1]     rows per micro-batch
  [--devices N]         identical devices available (default: the fewest that hold the model)
  [--training]          plan training: gradients, optimizer state, backward pass
  [--optimizer adam]    adam | momentum | sgd (with --training)
sizes: 8GiB, 8GB, 512MiB, bytes; bandwidth: 100Mbit, 1Gbit/s, 100Mbps, 12.5MB/s, bytes/s`

class FlagError extends Error {}

function number(flag: string, text: string | undefined, integer: boolean): number | undefined {
  if (text === undefined) return undefined
  const v = Number(text)
  if (text.trim() === '' || !Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v))) {
    throw new FlagError(`--${flag}: expected a positive ${integer ? 'integer' : 'number'}, got "${text}"`)
  }
  return v
}

function required(flag: string, text: string | undefined): string {
  if (text === undefined) throw new FlagError(`--${flag} is required`)
  return text
}

function main(argv: string[]): number {
  let values
  try {
    values = parseArgs({
      args: argv,
      strict: true,
      options: {
        params: { type: 'string' },
        'device-memory': { type: 'string' },
        bandwidth: { type: 'string' },
        'micro-batches': { type: 'string' },
        layers: { type: 'string' },
        hidden: { type: 'string' },
        'seq-len': { type: 'string' },
        gflops: { type: 'string' },
        'micro-batch': { type: 'string' },
        devices: { type: 'string' },
        training: { type: 'boolean' },
        optimizer: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values
    if (values.help) {
      console.log(USAGE)
      return 0
    }
    const optimizer = values.optimizer === undefined ? undefined : Optimizer.safeParse(values.optimizer)
    if (optimizer && !optimizer.success) throw new FlagError(`--optimizer: expected adam, momentum or sgd, got "${values.optimizer}"`)
    const plan = planOnPaper({
      params: number('params', required('params', values.params), false)!,
      deviceMemoryBytes: parseByteSize(required('device-memory', values['device-memory']), '--device-memory'),
      bandwidthBytesPerSec: parseBandwidth(required('bandwidth', values.bandwidth), '--bandwidth'),
      microBatches: number('micro-batches', required('micro-batches', values['micro-batches']), true)!,
      layers: number('layers', values.layers, true),
      hiddenSize: number('hidden', values.hidden, true),
      sequenceLength: number('seq-len', values['seq-len'], true),
      gflops: number('gflops', values.gflops, false),
      microBatch: number('micro-batch', values['micro-batch'], true),
      devices: number('devices', values.devices, true),
      training: values.training ?? false,
      optimizer: optimizer?.data,
    })
    console.log(formatPaperPlan(plan))
    return 0
  } catch (e) {
    if (e instanceof FlagError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') || (isNimbleError(e) && e.code === 'bad_request')) {
      console.error(`plan: ${(e as Error).message}\n\n${USAGE}`)
      return 2
    }
    if (isNimbleError(e)) {
      console.error(`plan: no plan: ${e.message}`)
      return 1
    }
    throw e
  }
}

process.exitCode = main(process.argv.slice(2))
