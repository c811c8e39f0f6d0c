import {describe, expect, it} from 'vitest'

import {subjectsCsv} from '../../../src/core/tokens/subjects-csv.js'

describe('subjectsCsv', () => {
  it('writes a header and one RFC 4180 row per subject', () => {
    const csv = subjectsCsv([
      {sub: 'alice', count: 3, firstSeen: '2024-05-01T00:00:00.000Z', lastSeen: '2024-05-02T00:00:00.000Z'},
      {sub: 'o"brien, jr', count: 1, firstSeen: '', lastSeen: ''},
      {sub: 'line\nbreak', count: 1, firstSeen: '', lastSeen: ''},
    ])
    expect(csv).toBe(
      'sub,count,firstSeen,lastSeen\r\n' +
        'alice,3,2024-05-01T00:00:00.000Z,2024-05-02T00:00:00.000Z\r\n' +
        '"o""brien, jr",1,,\r\n' +
        '"line\nbreak",1,,\r\n',
    )
  })

  it('defuses a sub that a spreadsheet would run as a formula (a forged token chooses its sub)', () => {
    const rows = ['=HYPERLINK("http://evil")', '+1', '-2', '@SUM(A1)'].map((sub) => ({
      sub,
      count: 1,
      firstSeen: '',
      lastSeen: '',
    }))
    const lines = subjectsCsv(rows).split('\r\n').slice(1, -1)
    expect(lines).toEqual([`"'=HYPERLINK(""http://evil"")",1,,`, "'+1,1,,", "'-2,1,,", "'@SUM(A1),1,,"])
  })

  it('is a header alone when no subject was affected', () => {
    expect(subjectsCsv([])).toBe('sub,count,firstSeen,lastSeen\r\n')
  })
})
