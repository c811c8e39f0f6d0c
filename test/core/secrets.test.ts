// The SecretRegistry: what it registers, in which encodings, and how it redacts.
import {generateKeyPairSync} from 'node:crypto'
import {describe, expect, it} from 'vitest'

import {REDACTED, SecretRegistry} from '../../src/core/secrets.js'

const SECRET = 'q7-W_x1Zr4bYv9Tt' // base64url of 12 octets
const octets = Buffer.from(SECRET, 'base64url')

describe('SecretRegistry.add and redact', () => {
  it('replaces every occurrence of a registered value', () => {
    const secrets = new SecretRegistry()
    secrets.add(SECRET)
    expect(secrets.redact(`a ${SECRET} b ${SECRET}`)).toBe(`a ${REDACTED} b ${REDACTED}`)
    expect(secrets.leaks(`...${SECRET}...`)).toBe(true)
    expect(secrets.leaks('nothing here')).toBe(false)
  })

  it('also catches the base64, lowercase hex and uppercase hex forms of a base64url value', () => {
    const secrets = new SecretRegistry()
    secrets.add(SECRET)
    const forms = [octets.toString('base64'), octets.toString('hex'), octets.toString('hex').toUpperCase()]
    for (const form of forms) expect(secrets.redact(`<${form}>`)).toBe(`<${REDACTED}>`)
  })

  it('catches the base64url and hex forms of a base64 value, padded or not', () => {
    const raw = Buffer.from('a secret that has + and / in base64??>>')
    const secrets = new SecretRegistry()
    secrets.add(raw.toString('base64'))
    expect(raw.toString('base64')).toMatch(/[+/]/)
    for (const form of [raw.toString('base64url'), raw.toString('hex'), raw.toString('hex').toUpperCase()]) {
      expect(secrets.redact(form)).toBe(REDACTED)
    }
    expect(secrets.redact(raw.toString('base64').replace(/=+$/, ''))).toBe(REDACTED)
  })

  it('replaces a longer secret whole when it contains a shorter one', () => {
    const secrets = new SecretRegistry()
    secrets.add('abcd')
    secrets.add('xxabcdyy')
    expect(secrets.redact('xxabcdyy and abcd')).toBe(`${REDACTED} and ${REDACTED}`)
  })

  it('ignores values too short to hide, and non-strings', () => {
    const secrets = new SecretRegistry()
    secrets.add('ab')
    secrets.add(undefined)
    secrets.add(null)
    expect(secrets.size).toBe(0)
    expect(secrets.redact('ab')).toBe('ab')
  })

  it('treats regular-expression characters literally', () => {
    const secrets = new SecretRegistry()
    secrets.add('a.b*c(d)')
    expect(secrets.redact('a.b*c(d) aXbbc(d)')).toBe(`${REDACTED} aXbbc(d)`)
  })

  it('learns values added after a first redaction', () => {
    const secrets = new SecretRegistry()
    secrets.add('first-secret')
    expect(secrets.redact('first-secret second-secret')).toBe(`${REDACTED} second-secret`)
    secrets.add('second-secret')
    expect(secrets.redact('first-secret second-secret')).toBe(`${REDACTED} ${REDACTED}`)
  })
})

describe('SecretRegistry with many secrets (a long run registers a canary per probe)', () => {
  /** A registry past the few-secrets threshold: redaction then scans the text once by the values' tails. */
  function crowded(): SecretRegistry {
    const secrets = new SecretRegistry()
    for (let i = 0; i < 100; i++) secrets.add(`filler.${i}.${'z'.repeat(i % 7)}!`)
    return secrets
  }

  it('redacts as with a few: every occurrence, overlaps merged, a longer secret whole, characters literally', () => {
    const secrets = crowded()
    for (const value of [SECRET, 'abcd', 'xxabcdyy', 'a.b*c(d)', 'aaaa', 'é€😀x']) secrets.add(value)
    expect(secrets.redact(`a ${SECRET} b ${SECRET}`)).toBe(`a ${REDACTED} b ${REDACTED}`)
    expect(secrets.redact(`<${octets.toString('hex').toUpperCase()}>`)).toBe(`<${REDACTED}>`)
    expect(secrets.redact('xxabcdyy and abcd')).toBe(`${REDACTED} and ${REDACTED}`)
    expect(secrets.redact('a.b*c(d) aXbbc(d)')).toBe(`${REDACTED} aXbbc(d)`)
    expect(secrets.redact('aaaaa-')).toBe(`${REDACTED}-`)
    expect(secrets.redact('[é€😀x]')).toBe(`[${REDACTED}]`)
    expect(secrets.leaks(`...${SECRET}`)).toBe(true)
    expect(secrets.leaks('nothing here, filler.3 without its tail')).toBe(false)
  })

  it('learns values added after a first redaction', () => {
    const secrets = crowded()
    secrets.add('first-secret')
    expect(secrets.redact('first-secret second-secret')).toBe(`${REDACTED} second-secret`)
    secrets.add('second-secret')
    expect(secrets.redact('first-secret second-secret')).toBe(`${REDACTED} ${REDACTED}`)
  })

  it('indexes each value once, however many redactions come between additions', () => {
    // Given a check that registers 2,000 canary tokens, redacting its evidence after each one
    const secrets = new SecretRegistry()
    const header = Buffer.from('{"alg":"RS256","kid":"leaked"}').toString('base64url')
    for (let i = 0; i < 2000; i++) {
      const token = `${header}.${Buffer.from(`{"jti":"jwkr-canary-${i}"}`).toString('base64url')}.sig${i}x${i}`
      secrets.add(token)
      // Then each canary is caught right away
      expect(secrets.redact(`probe ${i}: Bearer ${token}`)).toBe(`probe ${i}: Bearer ${REDACTED}`)
    }
    // And the index did the work of 2,000 insertions, not a rebuild per canary (~2 million)
    expect(secrets.size).toBe(2000)
    expect(secrets.indexed).toBe(2000)
  })
})

describe('SecretRegistry.addJwk', () => {
  it('registers d, p, q, dp, dq, qi of an RSA JWK and not n or e', () => {
    const jwk = generateKeyPairSync('rsa', {modulusLength: 2048}).privateKey.export({format: 'jwk'})
    const secrets = new SecretRegistry()
    secrets.addJwk(jwk)
    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi'] as const) {
      expect(secrets.redact(jwk[member] as string)).toBe(REDACTED)
    }
    expect(secrets.leaks(jwk.n as string)).toBe(false)
    expect(secrets.leaks('AQAB')).toBe(false)
  })

  it('registers every member of every oth prime (RFC 7518 §6.3.2.7)', () => {
    const secrets = new SecretRegistry()
    secrets.addJwk({kty: 'RSA', oth: [{r: 'prime-r-value', d: 'prime-d-value', t: 'prime-t-value'}, 'junk', null]})
    expect(secrets.redact('prime-r-value prime-d-value prime-t-value')).toBe(`${REDACTED} ${REDACTED} ${REDACTED}`)
  })

  it('registers k of an oct key', () => {
    const secrets = new SecretRegistry()
    secrets.addJwk({kty: 'oct', k: SECRET})
    expect(secrets.leaks(SECRET)).toBe(true)
  })

  it('does nothing with values that are not objects', () => {
    const secrets = new SecretRegistry()
    for (const value of [null, undefined, 'd', 42, []]) secrets.addJwk(value)
    expect(secrets.size).toBe(0)
  })
})

describe('SecretRegistry.addFromText', () => {
  it('registers private member values written in broken JSON', () => {
    const secrets = new SecretRegistry()
    secrets.addFromText('{"kty": "EC", "d" :  "the-private-scalar", "x": "public-x-value",,,')
    expect(secrets.leaks('the-private-scalar')).toBe(true)
    expect(secrets.leaks('public-x-value')).toBe(false)
  })

  it('registers the lines of a PEM private key, even without its END line', () => {
    const pem = generateKeyPairSync('ec', {namedCurve: 'prime256v1'}).privateKey.export({format: 'pem', type: 'pkcs8'}).toString()
    const lines = pem.trim().split('\n')
    const secrets = new SecretRegistry()
    secrets.addFromText(lines.slice(0, 3).join('\n'))
    expect(secrets.redact(lines[1] as string)).toBe(REDACTED)
    expect(secrets.leaks('-----BEGIN PRIVATE KEY-----')).toBe(false)
  })

  it('leaves public PEM blocks alone', () => {
    const pem = generateKeyPairSync('ec', {namedCurve: 'prime256v1'}).publicKey.export({format: 'pem', type: 'spki'}).toString()
    const secrets = new SecretRegistry()
    secrets.addFromText(pem)
    expect(secrets.size).toBe(0)
  })
})

describe('SecretRegistry.redactValue', () => {
  it('redacts every string inside a JSON value and returns a copy', () => {
    const secrets = new SecretRegistry()
    secrets.add(SECRET)
    const value = {message: `the key ${SECRET}`, nested: [{hex: octets.toString('hex')}], n: 3, ok: true}
    const redacted = secrets.redactValue(value)
    expect(redacted).toEqual({message: `the key ${REDACTED}`, nested: [{hex: REDACTED}], n: 3, ok: true})
    expect(value.message).toContain(SECRET)
  })

  it('returns the value itself when nothing is registered', () => {
    const value = {a: 1}
    expect(new SecretRegistry().redactValue(value)).toBe(value)
  })

  it('keeps the JSON valid when a secret holds JSON-special characters', () => {
    const secrets = new SecretRegistry()
    secrets.add('pass"word\\x')
    const redacted = secrets.redactValue({s: 'pass"word\\x!'})
    expect(redacted).toEqual({s: `${REDACTED}!`})
  })
})

describe('SecretRegistry.add with an end (short-lived credentials such as canaries)', () => {
  const T0 = Date.parse('2026-05-01T10:00:00Z')
  const clock = (start = T0) => {
    let now = start
    return {now: () => now, advance: (ms: number) => void (now += ms)}
  }

  it('redacts the value and its other encodings until its end, and forgets them after', () => {
    // Given a value registered until ten minutes from now
    const time = clock()
    const secrets = new SecretRegistry({now: time.now})
    secrets.add(SECRET, {until: T0 + 600_000})
    const forms = [SECRET, octets.toString('base64'), octets.toString('hex'), octets.toString('hex').toUpperCase()]
    // Then up to its last millisecond every form is redacted
    time.advance(599_999)
    for (const form of forms) expect(secrets.redact(`<${form}>`)).toBe(`<${REDACTED}>`)
    expect(secrets.size).toBe(4)
    // And once its end has come, none is held any more
    time.advance(1)
    for (const form of forms) expect(secrets.redact(`<${form}>`)).toBe(`<${form}>`)
    expect(secrets.size).toBe(0)
  })

  it('keeps a value registered for good, whatever end it is also given, and the later of two ends', () => {
    const time = clock()
    const secrets = new SecretRegistry({now: time.now})
    // Given a value added for good and then with an end, and one added with an end and then a later one
    secrets.add('for-good-value')
    secrets.add('for-good-value', {until: T0 + 1000})
    secrets.add('extended-value', {until: new Date(T0 + 1000)})
    secrets.add('extended-value', {until: T0 + 5000})
    // When the first end has passed, both are still held
    time.advance(2000)
    expect(secrets.redact('for-good-value extended-value')).toBe(`${REDACTED} ${REDACTED}`)
    // And after the later end only the one added for good is
    time.advance(3000)
    expect(secrets.redact('for-good-value extended-value')).toBe(`${REDACTED} extended-value`)
  })

  it('keeps a value for good when its end is not a time, and skips one whose end has passed', () => {
    const secrets = new SecretRegistry({now: () => T0})
    secrets.add('not-a-time-value', {until: new Date('soon')})
    secrets.add('already-over-value', {until: T0})
    expect(secrets.redact('not-a-time-value already-over-value')).toBe(`${REDACTED} already-over-value`)
  })

  it('holds only the values still live when one is added per second for hours (a long --until-contained run)', () => {
    // Given a value every second, each for ten minutes, with as many long-lived secrets beside them
    const time = clock()
    const secrets = new SecretRegistry({now: time.now})
    for (let i = 0; i < 40; i++) secrets.add(`long-lived-secret-${i}`)
    const longLived = secrets.size
    const sizes: number[] = []
    for (let second = 0; second < 3 * 3600; second++) {
      secrets.add(`canary.token.${second}-${'x'.repeat(40)}`, {until: time.now() + 600_000})
      if (second % 600 === 599) sizes.push(secrets.size)
      time.advance(1000)
    }
    // Then the registry holds the long-lived ones and the last ten minutes' values, not three hours'
    expect(Math.max(...sizes)).toBe(longLived + 600)
    expect(sizes.at(-1)).toBe(longLived + 600)
    // And it still redacts the live ones and the long-lived ones, through the many-secrets scan
    const last = `canary.token.${3 * 3600 - 1}-${'x'.repeat(40)}`
    expect(secrets.redact(`${last} long-lived-secret-7`)).toBe(`${REDACTED} ${REDACTED}`)
    expect(secrets.redact(`canary.token.0-${'x'.repeat(40)}`)).toBe(`canary.token.0-${'x'.repeat(40)}`)
  })
})

describe('SecretRegistry.addCommandLine', () => {
  it('registers bare values that look like key material, and keys pasted inline, but not paths, tokens or words', () => {
    const d = 'AbLaOqC4fyR2N7KPZsaiQtRlrDXx3Rmlr9G5gyTc5wSi'
    const k = 'i0SBE4pO6DynJxm4l7iYhFVuXcDEgL-Q-HDibgWKZVM'
    const argv = [
      'key',
      'inspect',
      './keys/leaked-key.json',
      'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJlLXZhbHVlLWhlcmU',
      'incident-2026-12-07-a2l6xg',
      'leaked-signing-key-playbook',
      d,
      'a3f1c09e7b2d4e5f8a6b1c2d3e4f5a6b7c8d9e0f',
      JSON.stringify({kty: 'oct', k}),
    ]
    const secrets = new SecretRegistry()
    secrets.addCommandLine(argv)
    expect(secrets.redact(`Unexpected arguments: ${d}, ${k}`)).toBe(`Unexpected arguments: ${REDACTED}, ${REDACTED}`)
    expect(secrets.redact(argv[7]!)).toBe(REDACTED) // a secret in hex
    // A value attached to its flag (--key=VALUE, -kVALUE) is registered alone, as the error will quote it
    const attached = new SecretRegistry()
    attached.addCommandLine(['verify', `--key=${d}`, `-k${k}`, '--kid=rsa-1'])
    expect(attached.redact(`Cannot read ${d} (ENAMETOOLONG); Cannot read ${k}`)).toBe(
      `Cannot read ${REDACTED} (ENAMETOOLONG); Cannot read ${REDACTED}`,
    )
    expect(attached.redact('rsa-1')).toBe('rsa-1')
    // A path, a JWT, an incident id and a playbook name are left as they are
    for (const arg of argv.slice(2, 6)) expect(secrets.redact(arg)).toBe(arg)
  })
})
