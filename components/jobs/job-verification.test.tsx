import { renderToStaticMarkup } from 'react-dom/server'
import { describe, expect, it } from 'vitest'
import type { JobView } from '@/lib/protocol'
import { JobVerification } from './job-verification'

describe('JobVerification', () => {
  it('shows each verification outcome, and nothing for a coordinator that reports none', () => {
    const job = { verification: { replicated: 7, agreed: 5, disagreed: 2, rejected: 3, spotChecked: 4, accepted: 19 } } as JobView
    const html = renderToStaticMarkup(<JobVerification job={job} />)
    for (const [id, n] of [['replicated', 7], ['agreed', 5], ['disagreed', 2], ['rejected', 3], ['spot-checked', 4]] as const) {
      expect(html).toMatch(new RegExp(`data-testid="verify-${id}">${n}<`))
    }
    expect(renderToStaticMarkup(<JobVerification job={{} as JobView} />)).toBe('')
  })
})
