'use client'

import { useCallback, useEffect, useState } from 'react'

/** The rendered width of an element, so SVG charts draw at 1:1 and their text stays readable on phones. */
export function useWidth<T extends HTMLElement>(fallback: number) {
  const [el, setEl] = useState<T | null>(null)
  const [width, setWidth] = useState(fallback)
  const ref = useCallback((node: T | null) => setEl(node), [])
  useEffect(() => {
    if (!el) return
    const measure = () => setWidth(Math.max(260, Math.round(el.getBoundingClientRect().width)))
    measure()
    const ro = new ResizeObserver(measure)
    ro.observe(el)
    return () => ro.disconnect()
  }, [el])
  return [ref, width] as const
}
