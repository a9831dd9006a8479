/**
 * In-process wake-ups between services. The database is the truth; an event only
 * says "look now" so a service need not wait for its next timer tick. Losing an
 * event (a crash) costs latency, never correctness: every service also scans on start.
 */
import { EventEmitter } from 'node:events'

export interface BusEvents {
  /** New ready tasks (a job was planned, a lease lapsed, a result was rejected). */
  'tasks:ready': []
  /** A task of this job finished (its result was accepted). */
  'task:done': [jobId: string, round: number]
  /** A round was averaged into new weights. */
  'round:done': [jobId: string, round: number]
  /** A job's visible state changed. */
  'job:changed': [jobId: string]
  'job:created': [jobId: string]
  /** Leases ended by the coordinator (their job failed): the devices holding them must drop them. */
  'leases:cancelled': [leases: { instanceId: number; deviceId: string }[], reason: string]
  /** Devices joined, left or changed. */
  'network:changed': []
  /** Coordinators stopped sending heartbeats (scale-out): what they were in the middle of must be picked up. */
  'nodes:lost': [nodeIds: string[]]
}

export class Bus {
  private ee = new EventEmitter()
  constructor() {
    this.ee.setMaxListeners(100)
  }
  on<K extends keyof BusEvents>(event: K, fn: (...args: BusEvents[K]) => void): () => void {
    const wrapped = (...args: unknown[]) => {
      try {
        fn(...(args as BusEvents[K]))
      } catch (e) {
        this.ee.emit('error', e)
      }
    }
    this.ee.on(event, wrapped)
    return () => this.ee.off(event, wrapped)
  }
  emit<K extends keyof BusEvents>(event: K, ...args: BusEvents[K]): void {
    this.ee.emit(event, ...args)
  }
  onError(fn: (e: unknown) => void): void {
    this.ee.on('error', fn)
  }
}
