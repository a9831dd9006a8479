'use client'
/**
 * Why the donation should pause right now, or null: the tab is hidden (when the contributor
 * asked for that) or the device runs on battery (Battery Status API, where the browser has it).
 */
import { useEffect, useState } from 'react'

type BatteryManager = EventTarget & { charging: boolean }
type NavigatorWithBattery = Navigator & { getBattery?: () => Promise<BatteryManager> }

export function usePauseReason(opts: { whenHidden: boolean; onBattery: boolean }): { reason: string | null; batterySupported: boolean } {
  const [hidden, setHidden] = useState(false)
  const [discharging, setDischarging] = useState(false)
  const [batterySupported, setBatterySupported] = useState(false)

  useEffect(() => {
    const update = () => setHidden(document.visibilityState === 'hidden')
    update()
    document.addEventListener('visibilitychange', update)
    return () => document.removeEventListener('visibilitychange', update)
  }, [])

  useEffect(() => {
    const nav = navigator as NavigatorWithBattery
    if (typeof nav.getBattery !== 'function') return
    let battery: BatteryManager | null = null
    let gone = false
    const update = () => battery && setDischarging(!battery.charging)
    nav
      .getBattery()
      .then((b) => {
        if (gone) return
        battery = b
        setBatterySupported(true)
        update()
        b.addEventListener('chargingchange', update)
      })
      .catch(() => setBatterySupported(false))
    return () => {
      gone = true
      battery?.removeEventListener('chargingchange', update)
    }
  }, [])

  const reason = opts.whenHidden && hidden ? 'this tab is hidden' : opts.onBattery && discharging ? 'running on battery' : null
  return { reason, batterySupported }
}
