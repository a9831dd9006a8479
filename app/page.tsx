import Link from 'next/link'
import { NetworkSummary } from '@/components/network/network-summary'

export default function HomePage() {
  return (
    <>
      <section className="hero">
        <h1>Train machine-learning models on the crowd.</h1>
        <p>
          Nimble turns the GPUs in ordinary browsers into one compute network. Lend yours with a single click, or upload a
          CSV and have volunteers’ browsers train a model for you — every result is checked before it counts.
        </p>
      </section>
      <div className="cta-grid">
        <Link href="/contribute" className="cta">
          <strong>Donate GPU →</strong>
          <span>Keep a tab open and your browser trains small pieces of models with WebGPU. Stop whenever you like.</span>
        </Link>
        <Link href="/dashboard" className="cta">
          <strong>Train a model →</strong>
          <span>Upload a CSV, pick a target column and a model, and watch it train across the network live.</span>
        </Link>
      </div>
      <NetworkSummary />
    </>
  )
}
