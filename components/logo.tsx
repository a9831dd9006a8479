/** The Nimble mark: three nodes joined into a spark. Decorative; the wordmark carries the name. */
export function Logo({ size = 28 }: { size?: number }) {
  return (
    <svg width={size} height={size} viewBox="0 0 32 32" aria-hidden="true" focusable="false">
      <rect width="32" height="32" rx="8" fill="var(--accent)" />
      <path d="M9 22 L16 9 L23 22 Z" fill="none" stroke="var(--on-accent)" strokeWidth="2" strokeLinejoin="round" />
      <circle cx="16" cy="9" r="3" fill="var(--on-accent)" />
      <circle cx="9" cy="22" r="3" fill="var(--on-accent)" />
      <circle cx="23" cy="22" r="3" fill="var(--on-accent)" />
    </svg>
  )
}
