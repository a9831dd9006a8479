import Link from 'next/link'
import { NetworkSummary } from '@/components/network/network-summary'

export default function HomePage() {
  return (
    <>
      <section className="hero">
        <h1>Train machine-learning models on the crowd.</h1>
        <p data-testid="tagline">
          Nimble turns the GPUs in ordinary browsers into one compute network: lend yours with one click, or upload a CSV and
          have volunteers’ browsers train a model for you, every result checked before it counts.
        </p>
        <div className="hero-actions">
          <Link href="/contribute?start=1" className="btn btn-primary btn-big" data-testid="landing-donate">
            Donate your GPU
          </Link>
          <Link href="/dashboard?new=1" className="btn btn-big" data-testid="landing-train">
            Train a model
          </Link>
        </div>
        <p className="muted small">Donating starts at once in this tab, uses WebGPU when your browser has it, and stops when you press Stop or close the tab.</p>
      </section>
      <NetworkSummary />
      <section className="how" aria-labelledby="how-title">
        <h2 id="how-title">How it works</h2>
        <ol className="how-steps">
          <li>
            <strong>Contributors</strong> keep a tab open; their browser runs small pieces of training in a Web Worker.
          </li>
          <li>
            <strong>The coordinator</strong> matches each piece to the device where it fits and costs least, and checks every result.
          </li>
          <li>
            <strong>Owners</strong> watch their model train live and download it; contributors earn tokens for verified work.
          </li>
        </ol>
      </section>
    </>
  )
}
