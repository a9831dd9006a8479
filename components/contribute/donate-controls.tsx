'use client'

/** How much of the device to use, and when to pause. */
export type DonateSettings = { duty: number; pauseWhenHidden: boolean; pauseOnBattery: boolean }
export const DEFAULT_SETTINGS: DonateSettings = { duty: 1, pauseWhenHidden: false, pauseOnBattery: true }

export function DonateControls({ settings, onChange, batterySupported }: { settings: DonateSettings; onChange: (s: DonateSettings) => void; batterySupported: boolean }) {
  const pct = Math.round(settings.duty * 100)
  return (
    <fieldset className="controls" data-testid="donate-controls">
      <legend className="visually-hidden">Donation settings</legend>
      <div className="field">
        <label htmlFor="duty">
          Use <span data-testid="duty-value">{pct}%</span> of this device
        </label>
        <input
          id="duty"
          type="range"
          min={25}
          max={100}
          step={25}
          value={pct}
          onChange={(e) => onChange({ ...settings, duty: Number(e.target.value) / 100 })}
          aria-valuetext={`${pct}% of this device`}
          data-testid="duty"
        />
        <span className="field-hint">Below 100% the tab rests between tasks, so your GPU stays cooler and the fan quieter.</span>
      </div>
      <label className="check">
        <input type="checkbox" checked={settings.pauseWhenHidden} onChange={(e) => onChange({ ...settings, pauseWhenHidden: e.target.checked })} data-testid="pause-hidden" />
        Pause while this tab is hidden
      </label>
      <label className="check">
        <input
          type="checkbox"
          checked={settings.pauseOnBattery}
          onChange={(e) => onChange({ ...settings, pauseOnBattery: e.target.checked })}
          data-testid="pause-battery"
        />
        Pause on battery{batterySupported ? '' : ' (this browser does not report the battery)'}
      </label>
    </fieldset>
  )
}
