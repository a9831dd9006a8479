import { describe, expect, test } from 'vitest'
import { parseCsv } from './csv'
import { expectNimble } from './test-helpers'

describe('parseCsv: well-formed files', () => {
  test('reads header and rows, trimming header names but not cells', () => {
    const csv = parseCsv(' a , b\n1, x \n2,y\n')
    expect(csv.header).toEqual(['a', 'b'])
    expect(csv.rows).toEqual([['1', ' x '], ['2', 'y']])
    expect(csv.lines).toEqual([2, 3])
  })

  test('strips a UTF-8 BOM and handles \\r\\n', () => {
    const csv = parseCsv('\uFEFFname,age\r\nann,3\r\nbob,4\r\n')
    expect(csv.header).toEqual(['name', 'age'])
    expect(csv.rows).toEqual([['ann', '3'], ['bob', '4']])
  })

  test('skips blank and all-empty lines and still reports physical line numbers', () => {
    const csv = parseCsv('a,b\n\n1,2\n  \n,\n3,"multi\nline"\n4,5')
    expect(csv.rows).toEqual([['1', '2'], ['3', 'multi\nline'], ['4', '5']])
    expect(csv.lines).toEqual([3, 6, 8])
  })

  test('line numbers stay right for one-character rows and blank \\r\\n lines', () => {
    expect(parseCsv('a\r\n1\r\n\r\n\r\n2\r\n3').lines).toEqual([2, 5, 6])
    expect(parseCsv('a\n1\n\n2\n\n\n3\n').lines).toEqual([2, 4, 7])
  })

  test('keeps commas and quotes inside quoted fields', () => {
    const csv = parseCsv('text,n\n"hello, world",1\n"she said ""hi""",2\n')
    expect(csv.rows[0]![0]).toBe('hello, world')
    expect(csv.rows[1]![0]).toBe('she said "hi"')
  })

  test('detects semicolon and tab delimiters from the header', () => {
    expect(parseCsv('a;b\n1;2\n').rows).toEqual([['1', '2']])
    expect(parseCsv('a\tb\n1\t2\n').rows).toEqual([['1', '2']])
  })

  test('a single column is fine', () => {
    expect(parseCsv('only\nx\ny').rows).toEqual([['x'], ['y']])
  })
})

describe('parseCsv: malformed files', () => {
  test('empty input is empty_csv', () => {
    expectNimble(() => parseCsv(''), 'empty_csv')
    expectNimble(() => parseCsv('\uFEFF \r\n\n'), 'empty_csv')
  })

  test('a header without data rows is empty_csv', () => {
    expectNimble(() => parseCsv('a,b,c\n'), 'empty_csv')
    expectNimble(() => parseCsv('a,b,c\n\n,,\n'), 'empty_csv')
  })

  test('duplicate header names are invalid_csv naming the name', () => {
    const e = expectNimble(() => parseCsv('id,age, age\n1,2,3'), 'invalid_csv', 'age')
    expect(e.message).toContain('"age"')
  })

  test('an empty header name is invalid_csv naming its position', () => {
    const e = expectNimble(() => parseCsv('a,,c\n1,2,3'), 'invalid_csv', 'column 2')
    expect(e.message).toContain('column 2')
  })

  test('a row with too many or too few fields names its line, counting the header as line 1', () => {
    const more = expectNimble(() => parseCsv('a,b\n1,2\n\n3,4,5\n'), 'invalid_csv', 'line 4')
    expect(more.message).toMatch(/Line 4 has 3 fields but the header has 2/)
    expectNimble(() => parseCsv('a,b,c\r\n1,2,3\r\n4,5\r\n'), 'invalid_csv', 'line 3')
  })

  test('a line after a multi-line quoted field is counted correctly', () => {
    expectNimble(() => parseCsv('a,b\n1,"x\ny"\n2\n'), 'invalid_csv', 'line 4')
  })

  test('an unclosed quote is invalid_csv naming the line where it opens', () => {
    const e = expectNimble(() => parseCsv('a,b\n1,2\n3,"oops\n4,5\n'), 'invalid_csv', 'line 3')
    expect(e.message).toContain('quote')
  })

  test('a stray quote after a quoted field is invalid_csv', () => {
    expectNimble(() => parseCsv('a,b\n1,2\n"x"y,3\n'), 'invalid_csv', 'line 3')
  })

  test('binary data (NUL bytes) is invalid_csv', () => {
    const e = expectNimble(() => parseCsv('a,b\n1,2\n\u0000\u0001PK\u0003\u0004'), 'invalid_csv', 'line 3')
    expect(e.message).toMatch(/binary/)
    expectNimble(() => parseCsv('\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u000e\u000f abc'), 'invalid_csv')
  })

  test('UTF-16 text decoded as UTF-8 is refused as binary', () => {
    const utf16 = Buffer.from('a,b\n1,2\n', 'utf16le').toString('utf8')
    expectNimble(() => parseCsv(utf16), 'invalid_csv', 'line 1')
  })

  test('limits are payload_too_large naming the limit', () => {
    const rows = 'a,b\n' + Array.from({ length: 11 }, (_, i) => `${i},${i}`).join('\n')
    expect(parseCsv(rows, { maxRows: 11 }).rows).toHaveLength(11)
    const e = expectNimble(() => parseCsv(rows, { maxRows: 10 }), 'payload_too_large', 'maxRows')
    expect(e.message).toContain('10')
    expectNimble(() => parseCsv('a,b,c\n1,2,3', { maxColumns: 2 }), 'payload_too_large', 'maxColumns')
  })

  test('bad limits are refused', () => {
    expectNimble(() => parseCsv('a\n1', { maxRows: 0 }), 'bad_request', 'maxRows')
  })
})
