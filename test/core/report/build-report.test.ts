import {describe, expect, it} from 'vitest'

import {renderTrackingIssue} from '../../../src/adapters/github/tracking-issue.js'
import {renderDocument} from '../../../src/services/report.js'
import {loadTemplates} from '../../../src/adapters/templates/template-set.js'
import {buildReport} from '../../../src/core/report/build-report.js'
import {phaseOf} from '../../../src/core/report/phases.js'
import {locatePlaybook} from '../../../src/playbook/builtin-playbooks.js'
import {loadPlaybookFile} from '../../../src/playbook/load-playbook.js'
import {createRegistry} from '../../../src/playbook/registry.js'
import {builtinSteps} from '../../../src/playbook/steps/index.js'
import {
  CONTAINED_ID,
  eventsOf,
  FAILED_ID,
  FAILED_ROUNDS,
  fixtureEvents,
  fixtureModel,
  FIXTURE_NOW,
  OPENED,
  OUTAGE_ID,
  THUMBPRINT,
} from './fixture.js'

const now = FIXTURE_NOW

describe('buildReport on the contained fixture incident', () => {
  it('carries the facts of the incident and of the key, never its material', async () => {
    // Given the committed journal of a contained incident
    // When the report model is folded from it
    const model = await fixtureModel()
    // Then the incident and key facts come from incident.opened and key.inspect
    expect(model.incident).toMatchObject({
      id: CONTAINED_ID,
      drill: false,
      status: 'closed',
      openedAt: '2026-03-14T09:00:00.000Z',
      openedBy: 'alice@sec-laptop',
      closedAt: '2026-03-14T11:00:00.000Z',
      source: '/srv/build-cache/leaked-signing-key.json',
    })
    expect(model.severity).toBe('critical')
    expect(model.key).toEqual({
      thumbprint: THUMBPRINT,
      thumbprintUri: `urn:ietf:params:oauth:jwk-thumbprint:sha-256:${THUMBPRINT}`,
      kid: 'example-signing-2026',
      publishedKids: ['example-signing-2026'],
      publishedWithoutKid: false,
      kty: 'RSA',
      alg: 'RS256',
      private: true,
      privateMembers: ['d', 'p', 'q', 'dp', 'dq', 'qi'],
    })
    expect(model.replacement).toEqual({kid: 'auth-main-2026-03-14', thumbprint: 'N3wK3yThumbprint0000000000000000000000000000'})
    expect(model.issuers).toEqual({publishing: ['auth-main'], unchecked: ['partner-gateway']})
    expect(model.services).toEqual(['billing-api', 'reports'])
    expect(model.generatedAt).toBe(now.toISOString())
  })

  it('proves containment when every target’s latest check rejects the key, at the moment the last one did', async () => {
    const model = await fixtureModel()
    // Then billing-api, which accepted the canary at 09:10 and rejected it at 09:20, is contained since 09:20:05.8
    expect(model.containment.targets).toEqual([
      {
        target: 'https://auth.example.com/.well-known/jwks.json',
        kind: 'jwks',
        outcome: 'contained',
        since: '2026-03-14T09:10:04.800Z',
        firstExposedAt: '2026-03-14T09:02:13.000Z',
        lastExposedAt: '2026-03-14T09:02:13.000Z',
        lastCheckedAt: '2026-03-14T09:10:04.800Z',
        checks: 2,
      },
      {
        target: 'billing-api',
        kind: 'probe',
        outcome: 'contained',
        since: '2026-03-14T09:20:05.800Z',
        firstExposedAt: '2026-03-14T09:10:05.800Z',
        lastExposedAt: '2026-03-14T09:10:05.800Z',
        lastCheckedAt: '2026-03-14T09:20:05.800Z',
        checks: 2,
      },
      {
        target: 'reports',
        kind: 'probe',
        outcome: 'contained',
        since: '2026-03-14T09:10:06.300Z',
        firstExposedAt: null,
        lastExposedAt: null,
        lastCheckedAt: '2026-03-14T09:10:06.300Z',
        checks: 1,
      },
    ])
    expect(model.containment).toMatchObject({
      proven: true,
      containedAt: '2026-03-14T09:20:05.800Z',
      counts: {contained: 3, exposed: 0, unknown: 0},
    })
    // And the time to contain runs from the opening: 20 min 5.8 s
    expect(model.containment.timeToContainMs).toBe(1_205_800)
  })

  it('opens the exposure window at the given leak time and closes it when containment was proven', async () => {
    const model = await fixtureModel()
    expect(model.exposure).toEqual({
      from: '2026-03-13T02:40:00.000Z',
      fromBasis: 'given',
      until: '2026-03-14T09:20:05.800Z',
      untilBasis: 'contained',
      durationMs: Date.parse('2026-03-14T09:20:05.800Z') - Date.parse('2026-03-13T02:40:00.000Z'),
    })
  })

  it('reads token triage from tokens.scan outputs as the step writes them', async () => {
    const model = await fixtureModel()
    expect(model.triage).toEqual({
      step: 'tokens',
      scanned: 1843211,
      signedWithLeakedKey: 312,
      kidMatchBadSignature: 4,
      suspectedForgeries: 7,
      subjects: 58,
      issuers: [],
      audiences: [],
      firstIat: null,
      lastIat: null,
      firstForgeryAt: null,
      longestRemainingSeconds: 3000,
      subjectsFile: '/var/jwkr/incidents/2026-03-14-ctrvio/artifacts/tokens-subjects.csv',
    })
  })

  it('groups steps into phases by their uses when the playbook declares none, core steps joining the phase before them', async () => {
    const model = await fixtureModel()
    expect(model.steps.map((step) => `${step.id}:${step.phase}`)).toEqual([
      'inspect:assess',
      'triage:assess',
      'go-ahead:assess',
      'locate:locate',
      'scan:locate',
      'notify-github:communicate',
      'rotate:contain',
      'deny:contain',
      'tokens:locate',
      'verify:prove',
      'rca:communicate',
    ])
    expect(model.phases.map((phase) => [phase.name, phase.startedAt, phase.finishedAt, phase.status])).toEqual([
      ['assess', '2026-03-14T09:00:00.500Z', '2026-03-14T09:02:10.100Z', 'done'],
      ['locate', '2026-03-14T09:02:11.000Z', '2026-03-14T09:08:20.000Z', 'done'],
      ['contain', '2026-03-14T09:02:24.000Z', '2026-03-14T09:05:45.000Z', 'done'],
      ['prove', '2026-03-14T09:10:00.000Z', '2026-03-14T09:20:07.000Z', 'done'],
      ['communicate', '2026-03-14T09:02:15.000Z', '2026-03-14T09:21:10.300Z', 'done'],
    ])
    // And the rotation's retry shows
    expect(model.steps.find((step) => step.id === 'rotate')).toMatchObject({
      attempts: 2,
      status: 'succeeded',
      approvedBy: 'alice',
    })
  })

  it('keeps the timeline readable: no plans, starts or skips by condition, but decisions, failures, notes and evidence', async () => {
    const model = await fixtureModel()
    const kinds = model.timeline.map((event) => event.kind)
    expect(kinds).not.toContain(undefined)
    expect(model.timeline.some((event) => /planned|started/.test(event.text))).toBe(false)
    expect(model.timeline.some((event) => event.text.includes('scan'))).toBe(false)
    expect(model.timeline.map((event) => event.text)).toEqual(
      expect.arrayContaining([
        'Wait for a decision (go-ahead) approved by alice',
        'Rotate the key at every issuer (rotate) failed (retried): auth-main answered 503 to POST /keys',
        'billing-api accepted the leaked key: 1 check (HTTP 200: the canary was ACCEPTED)',
        'billing-api rejected the leaked key: 1 check, the latest (HTTP 401: the canary was rejected)',
        'Note by bob: The key was in a build cache uploaded to a public bucket on 13 March.',
        'Incident closed: Contained and verified; RCA drafted.',
      ]),
    )
    // And its times are in journal order
    const times = model.timeline.map((event) => event.at)
    expect([...times].sort()).toEqual(times)
  })

  it('lists the links remote changes gave back, and what was done per step', async () => {
    const model = await fixtureModel()
    expect(model.links.map((link) => link.url)).toEqual([
      'https://github.com/example-org/security-incidents/issues/42',
      'https://github.com/example-org/auth-config/pull/17',
    ])
    expect(model.actionsTaken.map((action) => [action.step, action.effects])).toEqual([
      ['locate', []],
      ['rotate', ['Replace the key in example-org/auth-config (pull request)']],
      ['deny', ['Add the key to the denylist file']],
      ['tokens', []],
      ['verify', []],
    ])
  })

  it('derives observations and action items from the facts', async () => {
    const model = await fixtureModel()
    expect(model.observations.wentWell).toContain(
      'Containment was proven 20m6s after the incident was opened, by 3 endpoints and relying parties rejecting the key.',
    )
    expect(model.observations.toImprove).toEqual(
      expect.arrayContaining([
        'Rotate the key at every issuer (rotate) needed 2 attempts.',
        'billing-api still accepted the key when checked at 2026-03-14 09:10:05 UTC; it refused it from 2026-03-14 09:20:05 UTC.',
        'Issuers that could not be checked: partner-gateway.',
      ]),
    )
    expect(model.actionItems).toEqual([
      'Find out whether issuer partner-gateway publishes the key.',
      'Investigate 7 suspected forged tokens and what they were used for.',
      'Notify the 58 affected subjects found by token triage.',
    ])
  })
})

describe('buildReport on other journals', () => {
  it('says containment is not proven while a target’s latest check still accepts the key, and the window stays open until now', () => {
    // Given a probe that accepted the canary, then an inconclusive one for another service
    const events = eventsOf([
      OPENED,
      [
        60,
        'evidence.probe',
        {step: 'v', service: 'billing', httpStatus: 200, outcome: 'accepted', reason: 'HTTP 200: the canary was ACCEPTED'},
      ],
      [
        61,
        'evidence.probe',
        {step: 'v', service: 'reports', httpStatus: 503, outcome: 'inconclusive', reason: 'HTTP 503: the service failed'},
      ],
    ])
    // When the report is built an hour after the opening
    const model = buildReport(events, {now: new Date('2026-03-14T10:00:00.000Z')})
    // Then it is not proven, nothing has a time to contain, and the exposure runs from the opening to now
    expect(model.containment).toMatchObject({
      proven: false,
      containedAt: null,
      timeToContainMs: null,
      counts: {contained: 0, exposed: 1, unknown: 1},
    })
    expect(model.exposure).toEqual({
      from: '2026-03-14T09:00:00.000Z',
      fromBasis: 'reported',
      until: null,
      untilBasis: 'ongoing',
      durationMs: 3_600_000,
    })
    expect(model.actionItems).toEqual([
      'Contain billing: it still accepted the leaked key at 2026-03-14 09:01:00 UTC.',
      'Check reports again: its last check could not tell.',
    ])
  })

  it('tells users the key was replaced only when a rotation succeeded, and that the key set no longer lists it only when checked', () => {
    const jwks = (seconds: number, serves: boolean): [number, string, Record<string, unknown>] => [
      seconds,
      'evidence.jwks',
      {step: 'v', url: 'https://op.example/jwks', owners: [], httpStatus: 200, servesLeakedKey: serves, error: null},
    ]
    // Given a run whose responder skipped the rotation and whose denylist step denied nothing, the key still served
    const skipped = eventsOf([
      OPENED,
      [10, 'step.started', {step: 'rotate', uses: 'key.rotate', attempt: 1, input: {}}],
      [11, 'step.skipped', {step: 'rotate', reason: 'skipped by the responder'}],
      [12, 'step.skipped', {step: 'deny', uses: 'tokens.invalidate', reason: 'nothing was denied'}],
      jwks(20, true),
    ])
    // Then the drafts for people outside claim neither, whatever the phase's steps add up to
    const unrotated = buildReport(skipped, {now: new Date('2026-03-14T10:00:00.000Z')})
    expect(unrotated.publicActions.join(' ')).not.toMatch(/replace|reject the exposed key/)
    expect(unrotated.keyUnpublished).toBe(false)
    // Given a rotation that succeeded with a replacement, and a denylist step that succeeded
    const rotation = [
      OPENED,
      [10, 'step.started', {step: 'rotate', uses: 'key.rotate', attempt: 1, input: {}}],
      [70, 'step.succeeded', {step: 'rotate', outputs: {replacement: {kid: 'new', thumbprint: 'N'}}}],
      [71, 'step.started', {step: 'deny', uses: 'tokens.invalidate', attempt: 1, input: {}}],
      [72, 'step.succeeded', {step: 'deny', outputs: {}}],
    ] satisfies Array<[number, string, Record<string, unknown>]>
    // Then it says so; that the key set no longer lists the key only once a check found it gone
    const served = buildReport(eventsOf([...rotation, jwks(80, true)]), {now: new Date('2026-03-14T10:00:00.000Z')})
    expect(served.publicActions).toContain('We made a replacement key (2026-03-14 09:01 UTC).')
    expect(served.publicActions).toContain('We told our services to reject the exposed key (2026-03-14 09:01 UTC).')
    expect(served.keyUnpublished).toBe(false)
    const gone = buildReport(eventsOf([...rotation, jwks(80, true), jwks(90, false)]), {
      now: new Date('2026-03-14T10:00:00.000Z'),
    })
    expect(gone.publicActions).toContain(
      'We replaced the key: our key set no longer lists the exposed one (2026-03-14 09:01 UTC).',
    )
    expect(gone.keyUnpublished).toBe(true)
  })

  it('reads probe outcomes from the HTTP status when a journal has no outcome, and JWKS answers from servesLeakedKey', () => {
    const events = eventsOf([
      OPENED,
      [1, 'evidence.probe', {service: 'a', httpStatus: 403}],
      [2, 'evidence.probe', {service: 'b', status: 204}],
      [
        3,
        'evidence.jwks',
        {url: 'https://x/jwks', owners: [{type: 'issuer', id: 'x'}], servesLeakedKey: null, error: 'timed out'},
      ],
      [4, 'locate.endpoint', {url: 'https://y/jwks', owners: [{type: 'service', id: 'y'}], servesLeakedKey: false}],
    ])
    const model = buildReport(events, {now})
    expect(model.evidence.map((item) => [item.kind, item.target, item.outcome, item.detail])).toEqual([
      // 403: the signature was accepted, only authorization failed (as the verdict reads it)
      ['probe', 'a', 'exposed', 'HTTP 403: accepted the canary token'],
      ['probe', 'b', 'exposed', 'HTTP 204: accepted the canary token'],
      ['jwks', 'https://x/jwks', 'unknown', 'timed out'],
    ])
  })

  it('takes a verify step’s contained output as proof when it recorded no evidence events', () => {
    const events = eventsOf([
      OPENED,
      [10, 'step.started', {step: 'prove', uses: 'containment.verify', attempt: 1}],
      [70, 'step.succeeded', {step: 'prove', outputs: {contained: true}}],
    ])
    const model = buildReport(events, {now})
    expect(model.containment).toMatchObject({
      proven: true,
      containedAt: '2026-03-14T09:01:10.000Z',
      timeToContainMs: 70_000,
      targets: [],
    })
  })

  it('shows a running step and its open phase, and fails nothing on an empty or foreign journal', () => {
    const events = eventsOf([
      OPENED,
      [5, 'step.started', {step: 'rotate', uses: 'key.rotate', attempt: 1}],
      [6, 'some.thing', {x: 1}],
    ])
    const model = buildReport(events, {now: new Date('2026-03-14T09:00:30.000Z')})
    expect(model.steps).toEqual([expect.objectContaining({id: 'rotate', status: 'running', phase: 'contain', finishedAt: null})])
    expect(model.phases).toEqual([expect.objectContaining({name: 'contain', finishedAt: null, status: 'running'})])
    expect(model.counts).toEqual({steps: 1, succeeded: 0, failed: 0, skipped: 0, pending: 1})
    const empty = buildReport([], {now})
    expect(empty).toMatchObject({severity: 'unknown', triage: null, locate: null, copies: null, timeline: [], phases: []})
  })

  it('counts copies of the key from code.search and code.scan outputs', () => {
    const events = eventsOf([
      OPENED,
      [
        0.5,
        'playbook.loaded',
        {
          steps: [
            {id: 's1', uses: 'code.search'},
            {id: 's2', uses: 'code.scan'},
          ],
        },
      ],
      [1, 'step.succeeded', {step: 's1', outputs: {results: 3, repos: ['org/a', 'org/b'], incomplete: false}}],
      [2, 'step.succeeded', {step: 's2', outputs: {hits: 2, privateHits: 1, files: ['/srv/a.pem', '/srv/b.json']}}],
    ])
    const model = buildReport(events, {now})
    expect(model.copies).toEqual({repos: ['org/a', 'org/b'], files: ['/srv/a.pem', '/srv/b.json'], privateHits: 1})
  })
})

describe('phases declared by the playbook', () => {
  it('takes each step’s phase from playbook.loaded, over what its uses would say', () => {
    // Given a playbook that files a verify step under locate (a baseline) and a note under communicate
    const events = eventsOf([
      OPENED,
      [
        0.5,
        'playbook.loaded',
        {
          steps: [
            {id: 'baseline', uses: 'containment.verify', title: 'Baseline', phase: 'locate'},
            {id: 'say', uses: 'core.note', title: 'Say', phase: 'communicate'},
            {id: 'old', uses: 'containment.verify', title: 'Old'},
            {id: 'odd', uses: 'key.rotate', title: 'Odd', phase: 'nonsense'},
          ],
        },
      ],
    ])
    const model = buildReport(events, {now})
    // Then declared phases win; undeclared (or invalid) ones fall back to the uses
    expect(model.steps.map((step) => [step.id, step.phase])).toEqual([
      ['baseline', 'locate'],
      ['say', 'communicate'],
      ['old', 'prove'],
      ['odd', 'contain'],
    ])
  })

  it('declares a phase on every step of the built-in playbooks: bust-caches contains, token triage locates', async () => {
    const registry = createRegistry(builtinSteps())
    for (const name of ['leaked-signing-key', 'inspect-only']) {
      const playbook = await loadPlaybookFile(locatePlaybook(name).file, registry)
      expect(playbook.steps.filter((step) => step.phase === undefined).map((step) => step.id)).toEqual([])
      if (name !== 'leaked-signing-key') continue
      const phase = (id: string) => playbook.steps.find((step) => step.id === id)?.phase
      expect([phase('bust-caches'), phase('tokens'), phase('baseline'), phase('prove')]).toEqual([
        'contain',
        'locate',
        'locate',
        'prove',
      ])
    }
  })
})

describe('phaseOf', () => {
  it('maps each area to its phase and lets core steps inherit the one before', () => {
    expect(phaseOf('key.inspect')).toBe('assess')
    expect(phaseOf('key.rotate', 'locate')).toBe('contain')
    expect(phaseOf('tokens.invalidate', 'locate')).toBe('contain')
    expect(phaseOf('tokens.scan', 'contain')).toBe('locate')
    expect(phaseOf('services.bust-caches', 'locate')).toBe('contain')
    expect(phaseOf('containment.verify')).toBe('prove')
    expect(phaseOf('services.locate')).toBe('locate')
    expect(phaseOf('notify.slack')).toBe('communicate')
    expect(phaseOf('report.rca')).toBe('communicate')
    expect(phaseOf('core.wait', 'contain')).toBe('contain')
    expect(phaseOf('custom.thing', 'prove')).toBe('prove')
    expect(phaseOf(undefined)).toBe('assess')
  })
})

describe('buildReport for a key found without its kid', () => {
  it('names the kids the issuers published it under, so no document says "kid none"', async () => {
    // Given an incident whose key file had no kid, and a locate that saw the key published as k1 and k2
    const opened: [number, string, Record<string, unknown>] = [0, OPENED[1], {...OPENED[2], kid: null}]
    const endpoint = (url: string, kid: string) => ({
      url,
      owners: [{type: 'issuer', id: 'auth-main'}],
      keys: [{kid, alg: 'RS256', use: 'sig', thumbprint: 'T'}],
    })
    const events = eventsOf([
      opened,
      [1, 'locate.endpoint', endpoint('https://a/jwks', 'k1')],
      [2, 'locate.endpoint', endpoint('https://b/jwks', 'k2')],
    ])
    // When the report model is built
    const model = buildReport(events, {now: new Date('2026-03-14T10:00:00Z')})
    // Then the key carries the published kids
    expect(model.key).toMatchObject({kid: 'k1', publishedKids: ['k1', 'k2'], publishedWithoutKid: false})
    // And the GitHub issue, the RCA and the partner draft show them where they list the kid
    const templates = await loadTemplates()
    const bodies = [
      renderTrackingIssue(templates, model).body,
      renderDocument(templates, model, {kind: 'rca', format: 'md'}),
      renderDocument(templates, model, {kind: 'notification', format: 'md', audience: 'partners'}),
    ]
    for (const body of bodies) {
      expect(body).toContain('| kid | `k1`, `k2` (as the issuer publishes it) |')
      expect(body).not.toMatch(/\| kid \| none/)
    }
  })
})

describe('a report that summarises before it renders', () => {
  it('keeps a one-minute failed proof to a few timeline rows: its checks become spans, listed in the appendix', async () => {
    // Given the failed fixture: 60 rounds, each probing three services and fetching the key set again
    const events = await fixtureEvents(FAILED_ID)
    expect(events.length).toBeGreaterThan(FAILED_ROUNDS * 10)
    // When its report is built
    const model = await fixtureModel(FAILED_ID)
    // Then every check is kept for the appendix, but the timeline holds no check, only one row per span
    expect(model.evidence.length).toBe(FAILED_ROUNDS * 7)
    expect(model.timeline.length).toBeLessThanOrEqual(20)
    expect(model.timeline.filter((event) => event.kind === 'evidence')).toHaveLength(model.spans.length)
    expect(model.spans.map((span) => [span.target, span.outcome, span.checks, span.latest])).toEqual([
      ['https://auth.example.com/.well-known/jwks.json', 'contained', FAILED_ROUNDS, true],
      ['billing-api', 'exposed', FAILED_ROUNDS, true],
      ['reports', 'contained', FAILED_ROUNDS, true],
      ['ledger', 'unknown', FAILED_ROUNDS, true],
    ])
    expect(model.timeline.map((event) => event.text)).toContain(
      'billing-api accepted the leaked key: 60 checks from 07:00:11 to 07:01:10, still so at the latest (HTTP 200: the canary was ACCEPTED)',
    )
  })

  it('splits a target’s checks where its outcome changes: exposed from–to, then contained from', async () => {
    // Given the outage drill: billing-api accepts the key twice, then rejects it twice
    const model = await fixtureModel(OUTAGE_ID)
    // Then billing-api has two spans and its target row says exposed from–to and contained from
    expect(model.spans.filter((span) => span.target === 'billing-api')).toMatchObject([
      {outcome: 'exposed', from: '2026-03-14T11:00:20.060Z', to: '2026-03-14T11:00:22.060Z', checks: 2, latest: false},
      {outcome: 'contained', from: '2026-03-14T11:00:24.060Z', to: '2026-03-14T11:00:26.060Z', checks: 2, latest: true},
    ])
    expect(model.containment.targets.find((target) => target.target === 'billing-api')).toMatchObject({
      firstExposedAt: '2026-03-14T11:00:20.060Z',
      lastExposedAt: '2026-03-14T11:00:22.060Z',
      since: '2026-03-14T11:00:24.060Z',
    })
  })

  it('lets a service’s verdicts decide over the canary answers beside them, so a target does not flip every round', () => {
    // Given two rounds where the canary is refused (alone: unknown) and the verdict says contained
    const round = (at: number): Array<[number, string, Record<string, unknown>]> => [
      [at, 'evidence.probe', {step: 'v', role: 'canary', service: 'rp', httpStatus: 401}],
      [at, 'containment.service', {step: 'v', service: 'rp', status: 'contained'}],
    ]
    const model = buildReport(eventsOf([OPENED, ...round(10), ...round(20)]), {now})
    // Then rp is one contained span since its first verdict, and the appendix still lists all four
    expect(model.spans).toMatchObject([{target: 'rp', outcome: 'contained', checks: 2}])
    expect(model.containment.targets[0]?.since).toBe('2026-03-14T09:00:10.000Z')
    expect(model.evidence).toHaveLength(4)
  })
})

describe('observations: every sentence from evidence', () => {
  const probe = (at: number, service: string, httpStatus: number): [number, string, Record<string, unknown>] => [
    at,
    'evidence.probe',
    {step: 'v', service, httpStatus},
  ]
  const improve = (entries: Array<[number, string, Record<string, unknown>]>) =>
    buildReport(eventsOf([OPENED, ...entries]), {now}).observations.toImprove

  it('says a service still accepted the key at T only when a probe at T accepted it', () => {
    // Given billing accepted at 09:01:00 and refused from 09:02:00; reports refused at its first probe;
    // audit could not tell, then refused
    const sentences = improve([
      probe(60, 'billing', 200),
      probe(120, 'billing', 401),
      probe(54, 'reports', 401),
      probe(70, 'reports', 401),
      probe(80, 'audit', 503),
      probe(90, 'audit', 401),
    ])
    // Then only billing gets a sentence, dated by its accepting probe, never by the first refusal
    expect(sentences).toEqual([
      'billing still accepted the key when checked at 2026-03-14 09:01:00 UTC; it refused it from 2026-03-14 09:02:00 UTC.',
    ])
  })

  it('says a key set still served the key at T only when a fetch at T found it', () => {
    const jwks = (at: number, serves: boolean): [number, string, Record<string, unknown>] => [
      at,
      'evidence.jwks',
      {step: 'v', url: 'https://a/jwks', servesLeakedKey: serves, ok: true},
    ]
    expect(improve([jwks(10, true), jwks(20, false), jwks(30, false)])).toEqual([
      'https://a/jwks still served the key when checked at 2026-03-14 09:00:10 UTC; it no longer served it from 2026-03-14 09:00:20 UTC.',
    ])
    expect(improve([jwks(20, false), jwks(30, false)])).toEqual([])
  })

  it('says a target is exposed or unknown at its last check only when that check said so', () => {
    expect(improve([probe(60, 'billing', 401), probe(90, 'billing', 200), probe(30, 'audit', 503)])).toEqual([
      'billing was exposed at its last check (2026-03-14 09:01:30 UTC).',
      'audit was unknown at its last check (2026-03-14 09:00:30 UTC).',
    ])
  })

  it('says a step failed or needed several attempts from its journal events', () => {
    const sentences = improve([
      [1, 'step.started', {step: 'rotate', uses: 'key.rotate', attempt: 1}],
      [2, 'step.failed', {step: 'rotate', error: {code: 'ERR_X', message: 'boom'}, final: false}],
      [3, 'step.started', {step: 'rotate', uses: 'key.rotate', attempt: 2}],
      [4, 'step.succeeded', {step: 'rotate', outputs: {}}],
      [5, 'step.started', {step: 'deny', uses: 'tokens.invalidate', attempt: 1}],
      [6, 'step.failed', {step: 'deny', error: {code: 'ERR_Y', message: 'no redis'}}],
    ])
    expect(sentences).toEqual(['rotate (rotate) needed 2 attempts.', 'deny (deny) failed: no redis'])
  })

  it('names unchecked issuers and unreadable endpoints only from the locate outputs', () => {
    const sentences = improve([
      [1, 'step.started', {step: 'locate', uses: 'services.locate', attempt: 1}],
      [
        2,
        'step.succeeded',
        {step: 'locate', outputs: {uncheckedIssuers: ['partner'], failedEndpoints: ['https://x/jwks'], endpoints: 2}},
      ],
    ])
    expect(sentences).toEqual([
      'Issuers that could not be checked: partner.',
      'Endpoints that could not be read: https://x/jwks.',
    ])
  })

  it('says what went well only when it happened: identified, proven, first attempts', () => {
    const none = buildReport(eventsOf([OPENED, probe(60, 'billing', 200)]), {now}).observations.wentWell
    expect(none).toEqual([])
    const well = buildReport(
      eventsOf([
        OPENED,
        [1, 'step.started', {step: 'inspect', uses: 'key.inspect', attempt: 1}],
        [2, 'step.succeeded', {step: 'inspect', outputs: {}}],
        probe(60, 'billing', 401),
      ]),
      {now},
    ).observations.wentWell
    expect(well).toEqual([
      'The key was identified by its thumbprint 2s after the incident was opened.',
      'Containment was proven 1m after the incident was opened, by 1 endpoint or relying party rejecting the key.',
      '1 step of 1 succeeded at the first attempt.',
    ])
  })
})
