import { ApiError } from './api-client'

/** An error a person can read: the message first, the machine code small beside it. */
export function ErrorNote({ error, testId }: { error: unknown; testId?: string }) {
  if (!error) return null
  const message = error instanceof Error ? error.message : String(error)
  const code = error instanceof ApiError ? error.code : null
  return (
    <p className="notice notice-error" role="alert" data-testid={testId}>
      {message}
      {code && (
        <>
          {' '}
          <code>({code})</code>
        </>
      )}
    </p>
  )
}
