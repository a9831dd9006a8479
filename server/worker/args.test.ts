import { describe, expect, it } from 'vitest'
import { parseWorkerArgs, UsageError } from './args'

describe('parseWorkerArgs', () => {
  it('parses every option', () => {
    expect(parseWorkerArgs(['--server', 'http://10.0.0.2:3000/', '--backend', 'wasm', '--name', 'box', '--id-file', '/tmp/id'])).toEqual({
      server: 'http://10.0.0.2:3000',
      backend: 'wasm',
      name: 'box',
      idFile: '/tmp/id',
      help: false,
    })
  })

  it('defaults to a local coordinator and auto backend, or $NIMBLE_SERVER', () => {
    const a = parseWorkerArgs([])
    expect(a.server).toBe('http://127.0.0.1:3000')
    expect(a.backend).toBe('auto')
    expect(a.name).toMatch(/-headless$/)
    expect(parseWorkerArgs([], { NIMBLE_SERVER: 'https://nimble.example' }).server).toBe('https://nimble.example')
    expect(parseWorkerArgs(['-h']).help).toBe(true)
  })

  it('refuses bad input with a usage error naming the option', () => {
    expect(() => parseWorkerArgs(['--backend', 'cuda'])).toThrow(/--backend must be one of cpu, wasm, webgpu, auto/)
    expect(() => parseWorkerArgs(['--server', 'nope'])).toThrow(/--server must be a URL/)
    expect(() => parseWorkerArgs(['--server', 'ftp://x'])).toThrow(/http or https/)
    expect(() => parseWorkerArgs(['--bogus'])).toThrow(UsageError)
    expect(() => parseWorkerArgs(['extra'])).toThrow(UsageError)
    expect(() => parseWorkerArgs(['--name', '  '])).toThrow(/--name/)
  })
})
