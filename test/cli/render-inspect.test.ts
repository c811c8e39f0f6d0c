// The human summary of `jwkr key inspect`, with colours on as on a terminal.
import {generateKeyPairSync} from 'node:crypto'
import pc from 'picocolors'
import {describe, expect, it} from 'vitest'

import {renderInspect} from '../../src/cli/render-inspect.js'
import {inspectKeySet} from '../../src/core/key/inspect-key.js'
import {loadKeys} from '../../src/core/key/load-keys.js'
import {SecretRegistry} from '../../src/core/secrets.js'

const colours = pc.createColors(true)
const plain = pc.createColors(false)
const {privateKey, publicKey} = generateKeyPairSync('ed25519')

async function render(text: string, style = colours): Promise<string> {
  return renderInspect(inspectKeySet(await loadKeys(text, {secrets: new SecretRegistry()}), 'leaked.json'), style)
}

describe('renderInspect', () => {
  it('shows exposed private material in red on a terminal', async () => {
    const out = await render(JSON.stringify(privateKey.export({format: 'jwk'})))
    expect(out).toContain(colours.red(colours.bold('PRIVATE KEY MATERIAL EXPOSED (d) — severity critical')))
  })

  it('shows a public key in green, and no red at all', async () => {
    const out = await render(JSON.stringify(publicKey.export({format: 'jwk'})))
    expect(out).toContain(colours.green('Public key only — severity info'))
    expect(out).not.toContain('\u001B[31m')
  })

  it('has no escape codes without colour', async () => {
    const out = await render(JSON.stringify(privateKey.export({format: 'jwk'})), plain)
    expect(out).not.toContain('\u001B[')
    expect(out.split('\n')[0]).toBe('OKP Ed25519 key')
  })

  it('leaves out the rows that have no value', async () => {
    const out = await render(JSON.stringify({...publicKey.export({format: 'jwk'}), kid: 'k1'}), plain)
    expect(out).toMatch(/^ {2}kid +k1$/m)
    expect(out).not.toMatch(/^\s+alg\s/m)
    expect(out).not.toMatch(/x5t/)
  })
})
