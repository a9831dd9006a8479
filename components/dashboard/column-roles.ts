/** The owner's per-column overrides ("Use as"), kept apart from the inferred types. Pure. */
import type { ColumnInfo, ColumnRole } from '@/lib/protocol'

/** Only the columns the owner changed; absent means "auto" (the inferred type). */
export type ColumnRoles = Record<string, ColumnRole>

export const ROLE_OPTIONS: { value: ColumnRole; label: string }[] = [
  { value: 'numeric', label: 'Numeric' },
  { value: 'categorical', label: 'Categorical' },
  { value: 'boolean', label: 'Boolean' },
  { value: 'text', label: 'Text' },
  { value: 'ignore', label: 'Ignore' },
]

export function withRole(roles: ColumnRoles, column: string, role: ColumnRole | 'auto'): ColumnRoles {
  const next = { ...roles }
  if (role === 'auto') delete next[column]
  else next[column] = role
  return next
}

/** What the column will be used as: the override, else the inferred type. */
export function effectiveRole(c: ColumnInfo, roles: ColumnRoles): ColumnRole | 'empty' {
  return roles[c.name] ?? c.type
}
