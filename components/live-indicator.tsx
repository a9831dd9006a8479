import { liveStateLabel, type LiveState } from './live-socket'

const BADGE: Record<LiveState, string> = {
  connected: 'connected',
  connecting: 'connecting',
  reconnecting: 'reconnecting',
  offline: 'stopped',
}

/** "Live" / "Reconnecting…" pill, announced politely to screen readers. */
export function LiveIndicator({ state }: { state: LiveState }) {
  return (
    <span className={`badge badge-${BADGE[state]}`} role="status" aria-live="polite" data-testid="live-state">
      {liveStateLabel(state)}
    </span>
  )
}
