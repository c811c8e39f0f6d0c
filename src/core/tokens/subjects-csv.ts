// The affected-subjects CSV (`sub,count,firstSeen,lastSeen`): the input for user notifications.
// Quoted as RFC 4180 says, and a value a spreadsheet would run as a formula (a forged token's `sub`
// is attacker input) is prefixed with a quote.
import type {SubjectRow} from './token-summary.js'

export const SUBJECTS_CSV_HEADER = 'sub,count,firstSeen,lastSeen'

/**
 * @example subjectsCsv([{sub: 'u1', count: 2, firstSeen: '2024-05-01T00:00:00.000Z', lastSeen: '2024-05-02T00:00:00.000Z'}])
 *   // 'sub,count,firstSeen,lastSeen\r\nu1,2,2024-05-01T00:00:00.000Z,2024-05-02T00:00:00.000Z\r\n'
 */
export function subjectsCsv(rows: readonly SubjectRow[]): string {
  const lines = [
    SUBJECTS_CSV_HEADER,
    ...rows.map((row) => [csvField(row.sub), String(row.count), row.firstSeen, row.lastSeen].join(',')),
  ]
  return `${lines.join('\r\n')}\r\n`
}

function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe
}
