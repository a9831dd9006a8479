import type { Metadata } from 'next'
import { DonatePanel } from '@/components/contribute/donate-panel'
import { RewardsCard } from '@/components/rewards/rewards-card'
import { BACKEND_CHOICES, type BackendChoice } from '@/components/contribute/donation-state'

export const metadata: Metadata = { title: 'Contribute' }

type Props = { searchParams: Promise<{ backend?: string | string[]; start?: string | string[] }> }

export default async function ContributePage({ searchParams }: Props) {
  const params = await searchParams
  const raw = params.backend
  const autoStart = params.start === '1'
  const wanted = Array.isArray(raw) ? raw[0] : raw
  const initialBackend: BackendChoice = BACKEND_CHOICES.find((c) => c === wanted) ?? 'auto'
  return (
    <>
      <div className="page-head">
        <h1>Donate your GPU</h1>
        <p>
          Press the button and this tab trains small pieces of machine-learning models for people on the network. It uses
          WebGPU when your browser has it, and falls back to WASM or CPU. Nothing is installed, and it stops the moment you
          press Stop or close the tab.
        </p>
      </div>
      <div className="stack">
        <DonatePanel initialBackend={initialBackend} autoStart={autoStart} />
        <RewardsCard />
      </div>
    </>
  )
}
