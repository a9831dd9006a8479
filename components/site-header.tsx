'use client'

import Link from 'next/link'
import { usePathname } from 'next/navigation'
import { Logo } from './logo'
import { ThemeToggle } from './theme-toggle'

const NAV = [
  { href: '/contribute', label: 'Contribute' },
  { href: '/dashboard', label: 'Dashboard' },
  { href: '/network', label: 'Network' },
  { href: '/rewards', label: 'Rewards' },
  { href: '/docs/api', label: 'API' },
] as const

export function SiteHeader() {
  const pathname = usePathname() ?? '/'
  const isCurrent = (href: string) =>
    pathname === href || pathname.startsWith(`${href}/`) || (href === '/dashboard' && pathname.startsWith('/jobs/'))
  return (
    <header className="site-header">
      <div className="container">
        <Link href="/" className="brand" aria-label="Nimble home">
          <Logo />
          <span>Nimble</span>
        </Link>
        <nav className="nav" aria-label="Main">
          {NAV.map((item) => (
            <Link key={item.href} href={item.href} aria-current={isCurrent(item.href) ? 'page' : undefined}>
              {item.label}
            </Link>
          ))}
          <ThemeToggle />
        </nav>
      </div>
    </header>
  )
}
