'use client'
/**
 * A job's view: one GET /api/jobs/:id, then pushes over /live (`job:subscribe` on every
 * connect, `job:update` replaces the view, `job:round` appends a curve point). No polling.
 */
import { useCallback, useEffect, useState } from 'react'
import { JobView, RoundPoint } from '@/lib/protocol'
import { api, ApiError } from '../api-client'
import { useLiveSocket } from '../live-socket'
import { requestOwnerKey, useOwnerKey } from '../owner-key-store'

/** Keep the newest view: the REST reply and the subscription ack can arrive in either order. */
function newer(prev: JobView | null, next: JobView): JobView {
  if (!prev) return next
  return Date.parse(next.updatedAt) >= Date.parse(prev.updatedAt) ? next : prev
}

function withPoint(job: JobView, point: RoundPoint): JobView {
  if (job.history.some((p) => p.round === point.round)) return job
  return { ...job, history: [...job.history, point].sort((a, b) => a.round - b.round) }
}

export function useJobLive(id: string) {
  const key = useOwnerKey()
  const { socket, state, error: socketError } = useLiveSocket()
  const [job, setJob] = useState<JobView | null>(null)
  const [error, setError] = useState<unknown>(null)

  const accept = useCallback((next: JobView) => setJob((prev) => newer(prev, next)), [])

  useEffect(() => {
    const ctrl = new AbortController()
    api(`/api/jobs/${encodeURIComponent(id)}`, { parse: JobView.parse, signal: ctrl.signal })
      .then((j) => {
        accept(j)
        setError(null)
      })
      .catch((e: unknown) => {
        if (!ctrl.signal.aborted) setError(e)
      })
    return () => ctrl.abort()
  }, [id, key, accept])

  useEffect(() => {
    if (!socket) return
    const subscribe = () => {
      socket.timeout(10_000).emit('job:subscribe', id, (err, res) => {
        if (err) return console.warn('job:subscribe: no answer; will retry on reconnect')
        if (!res.ok) {
          if (res.error.code === 'unauthorized') requestOwnerKey('Sign in with your wallet (or paste an API key) to follow this job.')
          return setError(new ApiError(res.error.code, res.error.message, 0))
        }
        const parsed = JobView.safeParse(res.job)
        if (parsed.success) (accept(parsed.data), setError(null))
        else console.error('job:subscribe: unexpected shape', parsed.error)
      })
    }
    const onUpdate = (raw: unknown) => {
      const parsed = JobView.safeParse(raw)
      if (!parsed.success) return console.error('job:update: unexpected shape', parsed.error)
      if (parsed.data.id === id) setJob(parsed.data)
    }
    const onRound = (raw: { jobId: string; point: unknown }) => {
      if (raw?.jobId !== id) return
      const point = RoundPoint.safeParse(raw.point)
      if (!point.success) return console.error('job:round: unexpected shape', point.error)
      setJob((prev) => (prev ? withPoint(prev, point.data) : prev))
    }
    socket.on('connect', subscribe)
    socket.on('job:update', onUpdate)
    socket.on('job:round', onRound)
    if (socket.connected) subscribe()
    return () => {
      socket.off('connect', subscribe)
      socket.off('job:update', onUpdate)
      socket.off('job:round', onRound)
      if (socket.connected) socket.emit('job:unsubscribe', id)
    }
  }, [socket, id, accept])

  return { job, setJob: accept, error, live: state, liveError: socketError }
}
