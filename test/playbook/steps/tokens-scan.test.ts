import {Ajv2020} from 'ajv/dist/2020.js'
import {createPrivateKey, generateKeyPairSync} from 'node:crypto'
import {mkdtemp, readFile, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {SignJWT} from 'jose'
import {describe, expect, it} from 'vitest'

import type {TokenScanResult} from '../../../src/services/triage.js'
import {startRun} from '../../../src/playbook/respond.js'
import {tokensScan} from '../../../src/playbook/steps/tokens-scan.js'
import {leakedNeedles} from '../../core/key/samples.js'
import {
  canaryLog,
  EXPECTED,
  ISSUED_JSONL,
  keyFile,
  keyJwk,
  keyNeedles,
  LOGS,
  tokenNeedles,
} from '../../adapters/tokens/token-fixtures.js'
import {baseOptions, readJournal, registryWith, scriptedUi, tempHome, writePlaybook} from '../../helpers/engine-harness.js'

/** The tokens step over inputs.key, inputs.logs and inputs.issued, after the steps given (YAML lines). */
const playbookAfter = (steps = '') => `inputs:
  key: {type: string, required: true}
  logs: {type: array, required: true}
  issued: {type: string, required: true}
steps:
${steps}  - id: tokens
    uses: tokens.scan
    with:
      key: "\${{ inputs.key }}"
      paths: "\${{ inputs.logs }}"
      issuedLog: "\${{ inputs.issued }}"
`
const PLAYBOOK = playbookAfter()

async function runTokens(logs: unknown, dryRun = false) {
  const home = await tempHome()
  const file = await writePlaybook(home, PLAYBOOK)
  const result = await startRun({
    ...baseOptions(home),
    playbook: file,
    inputs: {key: keyFile('rs256'), logs, issued: ISSUED_JSONL},
    dryRun,
    registry: registryWith(),
    ui: scriptedUi({}, false),
  })
  return {home, result, journal: await readJournal(home, result.incident)}
}

describe('tokens.scan', () => {
  it('counts the classes, writes the summary and the subjects as artifacts, and never writes a token or a private value', async () => {
    // When the step scans the fixture logs with the issued log
    const before = Date.now()
    const {result, journal} = await runTokens([LOGS])
    // Then it succeeds with outputs that fit its schema
    const [step] = result.steps
    expect(step?.status).toBe('succeeded')
    const outputs = step?.outputs as Record<string, unknown>
    expect(new Ajv2020({strict: false}).validate(tokensScan.outputSchema, outputs)).toBe(true)
    expect(outputs).toMatchObject({
      tokens: EXPECTED.rs256.tokens,
      signedWithLeakedKey: EXPECTED.rs256.signed,
      suspectedForgery: 1,
      forgeries: 1,
      firstForgeryAt: '2024-05-02T10:00:00.000Z',
      kidMatchBadSignature: 3,
      other: 9,
      subjects: 6,
      withoutExpiry: 1,
    })
    // And the longest remaining lifetime runs to the token that expires on 2099-01-01
    const lifetime = outputs.longestRemainingLifetimeSeconds as number
    expect(Math.abs(lifetime - (Date.UTC(2099, 0, 1) - before) / 1000)).toBeLessThan(120)
    // And the summary and the subjects sit in the artifacts, readable by the user only
    const summary = JSON.parse(await readFile(outputs.artifact as string, 'utf8')) as TokenScanResult
    expect(outputs.artifact).toMatch(/artifacts\/tokens-scan\.json$/)
    expect(summary.counts['suspected-forgery']).toBe(1)
    expect(summary.subjectsOut).toBe(outputs.subjectsArtifact)
    const csv = await readFile(outputs.subjectsArtifact as string, 'utf8')
    expect(
      csv
        .split('\r\n')
        .slice(1, -1)
        .map((row) => row.split(',')[0]),
    ).toEqual(EXPECTED.rs256.subjects)
    for (const artifact of [outputs.artifact, outputs.subjectsArtifact])
      expect((await stat(artifact as string)).mode & 0o777).toBe(0o600)
    // And no whole token, signature or private value is in the journal or an artifact
    const needles = [...tokenNeedles(), ...keyNeedles('rs256')]
    expect(leakedNeedles(JSON.stringify(journal) + JSON.stringify(summary) + csv, needles)).toEqual([])
  })

  it('counts the canaries this incident sent apart, and triages a token that only wears the canary label', async () => {
    // Given a log with four canary-labelled tokens among access.log's, three of them sent by this incident's probes
    const {log, canaries, sent} = await canaryLog()
    const home = await tempHome()
    const probes = sent.map(
      (jti, index) =>
        `  - {id: probe-${index}, uses: test.record, with: {type: evidence.probe, data: {service: api, jti: "${jti}", outcome: accepted}}}\n`,
    )
    const file = await writePlaybook(home, playbookAfter(probes.join('')))
    // When the step scans it with the issued log (which holds no canary jti)
    const result = await startRun({
      ...baseOptions(home),
      playbook: file,
      inputs: {key: keyFile('rs256'), logs: [log], issued: ISSUED_JSONL},
      registry: registryWith(),
      ui: scriptedUi({}, false),
    })
    const journal = await readJournal(home, result.incident)
    // Then the three it sent are canaries, apart; the impostor is a suspected forgery with a subject of its own
    const outputs = result.steps.at(-1)?.outputs as Record<string, unknown>
    expect(new Ajv2020({strict: false}).validate(tokensScan.outputSchema, outputs)).toBe(true)
    expect(outputs).toMatchObject({canaries: canaries - 1, canaryImpostors: 1, suspectedForgery: 1, subjects: 3})
    const csv = await readFile(outputs.subjectsArtifact as string, 'utf8')
    expect(csv).toContain('jwkr-canary')
    // And the journal's record of the step says the same
    const succeeded = journal.find((event) => event.type === 'step.succeeded' && event.data.step === 'tokens')
    expect(succeeded?.data).toMatchObject({outputs: {canaries: canaries - 1, canaryImpostors: 1, suspectedForgery: 1}})
  })

  it('takes the kids the key is published under (publishedKids): a header naming one names the key', async () => {
    // Given a log made now with two tokens under the kid the issuer publishes the key as (not the key
    // file's kid): one signed with the leaked key, one with another key
    const token = (sub: string, key: Parameters<SignJWT['sign']>[0]): Promise<string> =>
      new SignJWT({sub, jti: sub, iat: 1714557600}).setProtectedHeader({alg: 'RS256', kid: 'issuer-kid-7'}).sign(key)
    const leaked = createPrivateKey({key: keyJwk('rs256') as never, format: 'jwk'})
    const other = generateKeyPairSync('rsa', {modulusLength: 2048}).privateKey
    const dir = await mkdtemp(join(tmpdir(), 'jwkr-step-kids-'))
    await writeFile(join(dir, 'access.log'), `a ${await token('pat', leaked)}\nb ${await token('mallory', other)}\n`)
    const home = await tempHome()
    const file = await writePlaybook(
      home,
      `inputs:
  key: {type: string, required: true}
  logs: {type: array, required: true}
steps:
  - id: tokens
    uses: tokens.scan
    with:
      key: "\${{ inputs.key }}"
      paths: "\${{ inputs.logs }}"
      publishedKids: [issuer-kid-7]
`,
    )
    // When the step scans it with that kid published
    const result = await startRun({
      ...baseOptions(home),
      playbook: file,
      inputs: {key: keyFile('rs256'), logs: [dir]},
      registry: registryWith(),
      ui: scriptedUi({}, false),
    })
    // Then the valid token is signed with the key, and the other claims it with a bad signature
    expect(result.steps[0]?.status).toBe('succeeded')
    expect(result.steps[0]?.outputs).toMatchObject({signedWithLeakedKey: 1, kidMatchBadSignature: 1, other: 0, subjects: 1})
  })

  it('takes a single path as well as a list', async () => {
    const {result} = await runTokens(join(LOGS, 'proxy.log'))
    expect(result.steps[0]?.outputs).toMatchObject({tokens: 4, suspectedForgery: 1, kidMatchBadSignature: 1, other: 2})
  })

  it('plans one read per path and reads nothing in a dry run', async () => {
    const {result, home} = await runTokens([LOGS, join(LOGS, 'access.log')], true)
    expect(result.steps[0]?.status).toBe('planned')
    expect(result.steps[0]?.plan?.map((call) => [call.kind, call.target])).toEqual([
      ['none', LOGS],
      ['none', join(LOGS, 'access.log')],
    ])
    expect(result.steps[0]?.plan?.[0]?.description).toContain(`checking valid ones against ${ISSUED_JSONL}; reads only`)
    await expect(stat(join(home, 'incidents', result.incident, 'artifacts', 'tokens-scan.json'))).rejects.toThrow()
  })

  it('fails with a clear error for a path that does not exist', async () => {
    const {result} = await runTokens([join(LOGS, 'nope')])
    expect(result.status).toBe('failed')
    expect(result.steps[0]?.error).toMatchObject({code: 'ERR_INPUT_NOT_FOUND', message: expect.stringContaining('nope')})
  })

  it('is wired into the standard playbook: planned when logs are given, skipped otherwise', async () => {
    for (const logs of [[LOGS], undefined]) {
      const home = await tempHome()
      const result = await startRun({
        ...baseOptions(home),
        playbook: 'leaked-signing-key',
        inputs: logs === undefined ? {key: keyFile('rs256')} : {key: keyFile('rs256'), logs},
        dryRun: true,
        registry: registryWith(),
        ui: scriptedUi({}, false),
      })
      const step = result.steps.find((candidate) => candidate.id === 'tokens')
      expect(step).toMatchObject(logs === undefined ? {status: 'skipped'} : {status: 'planned', uses: 'tokens.scan'})
      if (logs !== undefined) expect(step?.plan?.map((call) => call.target)).toEqual([LOGS])
    }
  })
})
