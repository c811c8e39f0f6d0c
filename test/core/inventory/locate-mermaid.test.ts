import {describe, expect, it} from 'vitest'

import {escapeMermaidLabel, renderLocateMermaid} from '../../../src/core/inventory/locate-mermaid.js'
import type {LocateIssuer, LocateResult} from '../../../src/core/inventory/locate.js'

const THUMBPRINT = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs'

function issuer(id: string, fields: Partial<LocateIssuer>): LocateIssuer {
  return {
    id,
    issuer: `https://${id}.example`,
    publishes: false,
    kid: null,
    alg: null,
    use: null,
    jwksUri: `https://${id}.example/jwks`,
    discovery: null,
    status: 'does-not-publish',
    error: null,
    ...fields,
  }
}

function result(): LocateResult {
  return {
    thumbprint: THUMBPRINT,
    kid: 'prod-1',
    issuers: [
      issuer('auth-main', {publishes: true, kid: 'prod-1', status: 'publishes'}),
      issuer('auth-legacy', {}),
      issuer('auth-down', {publishes: null, status: 'unknown', error: {code: 'connection-refused', message: '…'}}),
    ],
    services: [
      {
        id: 'billing-api',
        team: 'payments',
        contacts: {slack: '#payments-oncall'},
        reasons: [
          {kind: 'trusts-publishing-issuer', issuer: 'auth-main', message: '…'},
          {kind: 'serves-leaked-key', url: 'https://billing.example/jwks', message: '…'},
        ],
      },
    ],
    endpoints: [],
    findings: [],
  }
}

describe('renderLocateMermaid', () => {
  it('draws the key, every issuer with its state, and each dependent with the edge of each reason', () => {
    // Given a result where auth-main publishes the key and billing-api depends on it twice over
    // When it is rendered
    const mermaid = renderLocateMermaid(result())
    // Then it is a left-to-right graph with one node per issuer and dependent, and one edge per reason
    const lines = mermaid.trim().split('\n')
    expect(lines[0]).toBe('graph LR')
    expect(lines).toContain(`  K(("leaked key<br/>kid prod-1<br/>${THUMBPRINT}")):::leaked`)
    expect(lines).toContain('  I0["auth-main<br/>publishes it as kid prod-1"]:::publishes')
    expect(lines).toContain('  I1["auth-legacy<br/>does not publish it"]:::clean')
    expect(lines).toContain('  I2["auth-down<br/>unknown: connection-refused"]:::unknown')
    expect(lines).toContain('  S0["billing-api<br/>team payments<br/>#35;payments-oncall"]:::dependent')
    expect(lines.filter((line) => line.includes('==>') || line.includes('-->'))).toEqual([
      '  I0 ==>|"publishes"| K',
      '  I0 -->|"trusted by"| S0',
      '  S0 ==>|"serves it"| K',
    ])
  })

  it('escapes labels so a hostile name cannot close the label, add nodes or inject HTML', () => {
    // Given names taken from an inventory and a remote server that try to break out
    const hostile = result()
    hostile.kid = 'x"]) --> Z[pwned'
    hostile.issuers[0]!.id = '<img src=x onerror=alert(1)>'
    hostile.services[0]!.reasons[0]!.issuer = '<img src=x onerror=alert(1)>'
    hostile.services[0]!.team = 'a|b;\nclick S0 "javascript:alert(1)"'
    // When it is rendered
    const mermaid = renderLocateMermaid(hostile)
    // Then, apart from line breaks and entity codes, no label holds a quote, bracket, angle bracket, pipe, # or newline
    const labels = [...mermaid.matchAll(/"([^"]*)"/g)].map((m) => m[1] ?? '')
    for (const text of labels) expect(text.replace(/<br\/>|#\d+;/g, '')).not.toMatch(/[<>"[\]|;#\n{}]/)
    expect(mermaid).toContain('kid x#34;#93;) --#62; Z#91;pwned')
    expect(mermaid).toContain('#60;img src=x onerror=alert(1)#62;')
    // And the graph still has only the lines it draws: no injected click or edge statement
    expect(mermaid.split('\n').filter((line) => /^\s*click\b/.test(line))).toEqual([])
    expect(mermaid.split('\n').filter((line) => line.includes('-->'))).toHaveLength(1)
  })

  it('turns characters outside a safe set into Mermaid entity codes', () => {
    expect(escapeMermaidLabel('#a&b`c')).toBe('#35;a#38;b#96;c')
    expect(escapeMermaidLabel('line\nbreak\ttab')).toBe('line break tab')
    expect(escapeMermaidLabel('clé 🔑')).toBe('cl#233; #128273;')
  })
})
