'use client'

import { useCallback, useEffect, useReducer, useRef } from 'react'
import { DonationSession } from './donation-session'
import { donationReducer, initialDonationState, type BackendChoice } from './donation-state'

/** Start and stop donations from React; the session outlives re-renders and stops on unmount. */
export function useDonation() {
  const [state, dispatch] = useReducer(donationReducer, initialDonationState)
  const session = useRef<DonationSession | null>(null)

  const start = useCallback((choice: BackendChoice) => {
    session.current?.stop()
    session.current = new DonationSession(dispatch, choice)
    session.current.start()
    return session.current
  }, [])

  const stop = useCallback(() => {
    session.current?.stop('Stopped. Thank you for donating!')
    session.current = null
  }, [])

  useEffect(() => () => session.current?.stop('Left the page.'), [])

  const setDuty = useCallback((duty: number) => session.current?.setDuty(duty), [])
  const pause = useCallback((reason: string) => session.current?.pause(reason), [])
  const resume = useCallback(() => session.current?.resume(), [])

  return { state, start, stop, setDuty, pause, resume }
}
