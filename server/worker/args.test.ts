import { describe, expect, it } from 'vitest'
import { parseByteSize, parseWorkerArgs, UsageError } from './args'

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

describe('--memory', () => {
  it('takes plain bytes and SI or binary units, case-insensitively', () => {
    expect(parseWorkerArgs(['--memory', '8MB']).memoryBudget).toBe(8_000_000)
    expect(parseWorkerArgs(['--memory', '512KiB']).memoryBudget).toBe(512 * 1024)
    expect(parseWorkerArgs(['--memory', '1GiB']).memoryBudget).toBe(2 ** 30)
    expect(parseWorkerArgs(['--memory', '1048576']).memoryBudget).toBe(1048576)
    expect(parseWorkerArgs(['--memory=1.5 gib']).memoryBudget).toBe(1.5 * 2 ** 30)
    expect(parseByteSize('64mib')).toBe(64 * 2 ** 20)
    expect(parseByteSize('2kb')).toBe(2000)
    expect(parseByteSize('100B')).toBe(100)
  })

  it('leaves the budget to the backend when absent', () => {
    expect(parseWorkerArgs([])).not.toHaveProperty('memoryBudget')
  })

  it('refuses sizes it cannot read with a usage error naming the option', () => {
    for (const bad of ['', 'lots', '8 XB', '-5MB', '0', '0.1B', '5constructor', '1e3', '99999999TiB']) {
      expect(() => parseWorkerArgs(['--memory', bad]), bad).toThrow(UsageError)
      expect(() => parseWorkerArgs(['--memory', bad]), bad).toThrow(/--memory/)
    }
    expect(() => parseWorkerArgs(['--memory', 'lots'])).toThrow(/--memory must be a size such as 8MB, 512KiB, 1GiB or a number of bytes, got "lots"/)
    expect(() => parseWorkerArgs(['--memory'])).toThrow(UsageError)
  })
})

describe('--fault', () => {
  it('accepts each fault kind and documents them in the help', async () => {
    const { FAULT_KINDS } = await import('./faults')
    const { USAGE } = await import('./args')
    for (const k of FAULT_KINDS) {
      expect(parseWorkerArgs(['--fault', k]).fault).toBe(k)
      expect(USAGE).toContain(k)
    }
    expect(parseWorkerArgs([]).fault).toBeUndefined()
  })
  it('refuses an unknown fault, naming the choices', () => {
    expect(() => parseWorkerArgs(['--fault', 'evil'])).toThrow(/--fault must be one of random, scaled, nan, stale, lazy, copy, slow, got "evil"/)
    expect(() => parseWorkerArgs(['--fault'])).toThrow(UsageError)
  })
})

describe('--slots', () => {
  it('takes a whole number of task slots and is absent by default', () => {
    expect(parseWorkerArgs(['--slots', '2']).slots).toBe(2)
    expect(parseWorkerArgs(['--slots=64']).slots).toBe(64)
    expect(parseWorkerArgs([]).slots).toBeUndefined()
  })
  it('refuses anything else, naming the option and its range', () => {
    for (const bad of ['0', '-1', '1.5', 'two', '65', '']) expect(() => parseWorkerArgs([`--slots=${bad}`]), bad).toThrow(/--slots must be a whole number from 1 to 64/)
  })
})
