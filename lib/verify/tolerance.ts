/**
 * Tolerances for float32 results computed on different backends.
 * Measured (lib/verify/cross-backend.test.ts, an MLP trained 8 epochs with Adam and its
 * predictions): cpu, wasm and webgpu (Dawn + SwiftShader) differ by 4e-8 to 1.2e-7 relative,
 * in outputs and in updates alike. A result scaled by 1% is 1e-2 off in outputs and
 * further off in updates (the weights are much larger than one task's update), so 1e-3 keeps
 * a factor of at least 10 on both sides.
 */
export type Tolerance = {
  /** Largest relative L2 error between two outputs that still agree. */
  output: number
  /** Largest relative norm of the difference of two weight updates that still agree. */
  update: number
  /** Smallest relative update (||Δ|| / ||base||) of an honest training result. */
  minUpdate: number
}

export const TOLERANCE: Tolerance = { output: 1e-3, update: 1e-3, minUpdate: 1e-6 }
