'use client'
/**
 * Light/dark switch. Without a choice the page follows the system (`prefers-color-scheme`);
 * a choice is kept in localStorage and applied as `data-theme` on <html> (globals.css reads it).
 */
import { useEffect, useState } from 'react'

type Theme = 'light' | 'dark'
const KEY = 'nimble-theme'

function systemTheme(): Theme {
  return window.matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'
}

function storedTheme(): Theme | null {
  try {
    const v = localStorage.getItem(KEY)
    return v === 'light' || v === 'dark' ? v : null
  } catch {
    return null
  }
}

export function ThemeToggle() {
  const [theme, setTheme] = useState<Theme | null>(null)

  useEffect(() => {
    const chosen = storedTheme()
    if (chosen) document.documentElement.dataset.theme = chosen
    setTheme(chosen ?? systemTheme())
  }, [])

  const toggle = () => {
    const next: Theme = theme === 'dark' ? 'light' : 'dark'
    document.documentElement.dataset.theme = next
    try {
      localStorage.setItem(KEY, next)
    } catch {}
    setTheme(next)
  }

  return (
    <button type="button" className="theme-toggle" onClick={toggle} aria-pressed={theme === 'dark'} data-testid="theme-toggle" disabled={theme === null}>
      <span aria-hidden="true">{theme === 'dark' ? '☾' : '☀'}</span>
      <span>Dark mode</span>
    </button>
  )
}
