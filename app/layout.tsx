import type { Metadata, Viewport } from 'next'
import type { ReactNode } from 'react'
import { SiteHeader } from '@/components/site-header'
import './globals.css'

export const metadata: Metadata = {
  title: { default: 'Nimble — train models on the crowd', template: '%s · Nimble' },
  // Inline so no request 404s for /favicon.ico.
  icons: {
    icon: `data:image/svg+xml,${encodeURIComponent(
      '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="8" fill="#4f46e5"/><path d="M9 22 16 9 23 22Z" fill="none" stroke="#fff" stroke-width="2" stroke-linejoin="round"/><circle cx="16" cy="9" r="3" fill="#fff"/><circle cx="9" cy="22" r="3" fill="#fff"/><circle cx="23" cy="22" r="3" fill="#fff"/></svg>',
    )}`,
  },
  description: 'Donate your browser’s GPU to train machine-learning models, or train your own model across volunteers’ browsers.',
}

export const viewport: Viewport = {
  themeColor: [
    { media: '(prefers-color-scheme: light)', color: '#f7f8fb' },
    { media: '(prefers-color-scheme: dark)', color: '#0d1017' },
  ],
}

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <SiteHeader />
        <main id="main" className="container">
          {children}
        </main>
        <footer className="site-footer">
          <div className="container">Nimble — volunteer compute for machine learning, in the browser.</div>
        </footer>
      </body>
    </html>
  )
}
