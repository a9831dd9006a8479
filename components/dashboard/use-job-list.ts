'use client'
/**
 * The signed-in owner's jobs, by push: `jobs:subscribe` on every connect answers the list,
 * then `jobs:update` adds a new job or replaces a changed one. No polling, no refresh button;
 * a coordinator restart only re-subscribes.
 */
import { useEffect, useState } from 'react'
import { JobView } from '@/lib/protocol'
import { ApiError } from '../api-client'
import { useSession } from '../accounts/session-store'
import { useLiveSocket } from '../live-socket'

const newestFirst = (a: JobView, b: JobView) => b.createdAt.localeCompare(a.createdAt)

function upsert(jobs: JobView[] | null, job: JobView): JobView[] | null {
  if (!jobs) return jobs
  const rest = jobs.filter((j) => j.id !== job.id)
  return [...rest, job].sort(newestFirst)
}

export function useJobList() {
  const session = useSession()
  const signedIn = session.state === 'signed-in'
  const { socket, state } = useLiveSocket()
  const [jobs, setJobs] = useState<JobView[] | null>(null)
  const [error, setError] = useState<unknown>(null)

  useEffect(() => {
    if (!socket || !signedIn) return
    let current = true
    const subscribe = () => {
      socket.timeout(10_000).emit('jobs:subscribe', (err, res) => {
        if (!current) return
        if (err) return console.warn('jobs:subscribe: no answer; will retry on reconnect')
        if (!res.ok) return setError(new ApiError(res.error.code, res.error.message, 0))
        const parsed = JobView.array().safeParse(res.jobs)
        if (!parsed.success) return console.error('jobs:subscribe: unexpected shape', parsed.error)
        setError(null)
        setJobs([...parsed.data].sort(newestFirst))
      })
    }
    const onUpdate = (raw: unknown) => {
      const parsed = JobView.safeParse(raw)
      if (!parsed.success) return console.error('jobs:update: unexpected shape', parsed.error)
      setJobs((prev) => upsert(prev, parsed.data))
    }
    socket.on('connect', subscribe)
    socket.on('jobs:update', onUpdate)
    if (socket.connected) subscribe()
    return () => {
      current = false
      socket.off('connect', subscribe)
      socket.off('jobs:update', onUpdate)
    }
  }, [socket, signedIn])

  return { session: session.state, jobs: signedIn ? jobs : null, error, live: state }
}
