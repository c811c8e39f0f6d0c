// The network and disk half of the fault harness (issue 14): the standard playbook in the drill world,
// with one fault class per case — rate limits, a write applied and then answered 5xx, Slack and GitHub
// down or hanging mid-run, hostile JWKS endpoints, Redis lost and back empty, a full disk under the
// journal. Each case says what a responder needs whatever the fault: the key contained and proven,
// nothing done twice, the failure reported. Classes tested elsewhere are listed in README.md.
import {readFile, readdir, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import pLimit from 'p-limit'
import {parse, stringify} from 'yaml'
import {afterAll, describe, expect, it} from 'vitest'

import {openRedisDenylistStore} from '../../src/adapters/denylist/redis-store.js'
import {SecretRegistry} from '../../src/core/secrets.js'
import {NOTIFY_REPO} from '../../src/drill/build-world.js'
import {loadScenario} from '../../src/drill/load-scenario.js'
import {createDenylistGuard} from '../../src/guard/create-denylist-guard.js'
import type {JournalEvent} from '../../src/core/journal/types.js'
import {verifyIncident} from '../../src/incident/verify-incident.js'
import type {EngineObserver} from '../../src/playbook/engine.js'
import {startJwksServer} from '../helpers/jwks-server.js'
import {describeRedis, startRedisServer, type RedisServer} from '../helpers/redis-server.js'
import {projectRoot} from '../helpers/run.js'
import {containmentProblems, endStateProblems, journalEvents, journalProblems} from './end-state.js'
import {startFaultProxy, viaProxy, type FaultProxy} from './fault-proxy.js'
import {startFaultWorld, type FaultWorld} from './fault-world.js'
import type {Switchable} from './switchable-server.js'
import {startTcpProxy} from './tcp-proxy.js'

const limit = pLimit(Number(process.env.JWKR_FAULT_CONCURRENCY ?? 3))
const outcomes: Array<{fault: string; outcome: string}> = []

/** Runs `body` in a fresh world (closed afterwards), a few cases at a time. */
function inWorld(options: Parameters<typeof startFaultWorld>[0], body: (faultWorld: FaultWorld) => Promise<void>): Promise<void> {
  return limit(async () => {
    const faultWorld = await startFaultWorld(options)
    try {
      await body(faultWorld)
    } finally {
      await faultWorld.close()
    }
  })
}

/** An observer that acts (awaited by the engine) when the run journals a matching event. */
function when(match: (event: JournalEvent) => boolean, act: (event: JournalEvent) => Promise<void> | void): EngineObserver {
  return {
    name: 'fault-trigger',
    inline: true,
    async onEvent(event) {
      if (match(event)) await act(event)
    },
  }
}

const isStep = (type: string, step: string) => (event: JournalEvent) => event.type === type && event.data.step === step

/** Seconds from the first event to the first matching one (undefined: never). */
function secondsTo(events: JournalEvent[], match: (event: JournalEvent) => boolean): number | undefined {
  const found = events.find(match)
  const first = events[0]
  return found && first ? (Date.parse(found.ts) - Date.parse(first.ts)) / 1000 : undefined
}

interface Proxies {
  slack: FaultProxy
  github: FaultProxy
  /** What sends the run through them. */
  env: Record<string, string>
}

/** Runs `body` with proxies in front of the world's Slack and GitHub, closed afterwards. */
async function withProxies(faultWorld: FaultWorld, body: (proxies: Proxies) => Promise<void>): Promise<void> {
  const slack = await startFaultProxy(faultWorld.world.slack.origin)
  const github = await startFaultProxy(faultWorld.world.github.origin)
  const env = {
    SLACK_API_URL: viaProxy(faultWorld.env.SLACK_API_URL as string, slack),
    GITHUB_API_URL: viaProxy(faultWorld.env.GITHUB_API_URL as string, github),
  }
  try {
    await body({slack, github, env})
  } finally {
    await slack.close()
    await github.close()
  }
}

/**
 * A case: the first write to Slack or GitHub that `match`es is forwarded (so it happens) and then
 * answered `status`; the end state must still be right, with the write made once.
 */
function appliedThenError(side: 'slack' | 'github', match: (method: string, path: string) => boolean, status: number) {
  return () =>
    inWorld({}, (faultWorld) =>
      withProxies(faultWorld, async (proxies) => {
        // Given a proxy that forwards the first matching write, then answers `status`
        let done = false
        proxies[side].rule = (method, path) => (!done && match(method, path) ? ((done = true), {appliedThen: status}) : 'pass')
        // When the response runs
        await faultWorld.runHere({env: proxies.env})
        // Then the write was found again (marker, metadata), not made twice
        const problems = await endStateProblems(faultWorld)
        outcomes.push({
          fault: `${status} from ${side} after its first write was applied`,
          outcome: problems.length === 0 ? 'written once, right end state' : problems.join('; '),
        })
        expect(proxies[side].requests.filter((request) => request.action === 'applied-then-error')).toHaveLength(1)
        expect(problems).toEqual([])
      }),
    )
}

/** The standard playbook with only its notification steps' 2-minute timeouts shortened, to fit CI's budget. */
async function playbookWithNotifyTimeout(faultWorld: FaultWorld, timeout: string): Promise<string> {
  const text = await readFile(join(projectRoot, 'playbooks/leaked-signing-key.yaml'), 'utf8')
  const shortened = text.replaceAll('    timeout: 2m\n', `    timeout: ${timeout}\n`)
  expect(shortened.split(`timeout: ${timeout}`).length - 1, 'both notify steps had a 2m timeout').toBe(2)
  const file = join(faultWorld.world.dir, 'leaked-signing-key.short-notify.yaml')
  await writeFile(file, shortened)
  return file
}

/** Milliseconds between a rate-limited request and the next request of the same kind. */
function waitedAfter429<R extends {at: string; status: number}>(records: R[]): number {
  const limited = records.findIndex((record) => record.status === 429)
  const next = records[limited + 1]
  expect(limited, 'a request was rate limited').toBeGreaterThanOrEqual(0)
  expect(next, 'the rate-limited request was tried again').toBeDefined()
  return Date.parse(next!.at) - Date.parse(records[limited]!.at)
}

afterAll(() => {
  console.log(`\nfault classes:\n${outcomes.map((o) => `  ${o.fault}: ${o.outcome}`).join('\n')}\n`)
})

describe.concurrent('fault classes in the drill world', {timeout: 300_000}, () => {
  it('429 with Retry-After from Slack: the status message waits as asked, then is posted once', async () => {
    // Given Slack answering the status message 429 (Retry-After: 1 s), then 500 (the flaky-slack scenario)
    await inWorld({scenario: await loadScenario('flaky-slack')}, async (faultWorld) => {
      // When the response runs
      await faultWorld.runHere()
      // Then it was posted once, no sooner than the Retry-After
      const waited = waitedAfter429(faultWorld.world.slack.records.filter((record) => record.method === 'chat.postMessage'))
      const problems = await endStateProblems(faultWorld)
      outcomes.push({
        fault: '429 + Retry-After: 1 s from Slack (then a 500)',
        outcome: `retried after ${waited} ms; ${problems.length === 0 ? 'one status message, right end state' : problems.join('; ')}`,
      })
      expect(waited).toBeGreaterThanOrEqual(1000)
      expect(problems).toEqual([])
    })
  })

  it('429 with Retry-After from GitHub: the tracking issue waits as asked, then is opened once', async () => {
    // Given GitHub answering the tracking issue 429 (Retry-After: 2 s), once
    const basic = await loadScenario('basic')
    const github = [{route: 'POST /repos/{owner}/{repo}/issues' as const, replies: [{status: 429, retryAfter: 2}], repeat: false}]
    await inWorld({scenario: {...basic, faults: {...basic.faults, github}}}, async (faultWorld) => {
      // When the response runs
      const result = await faultWorld.runHere()
      // Then the issue was opened once, no sooner than the Retry-After
      const issues = faultWorld.world.github.records.filter(
        (record) => record.method === 'POST' && record.path.endsWith(`${NOTIFY_REPO}/issues`),
      )
      const notify = result.steps.find((step) => step.id === 'notify-github')
      outcomes.push({
        fault: '429 + Retry-After: 2 s from GitHub',
        outcome: `${issues.length} POST(s) of the issue; notify-github ${notify?.status}${notify?.error ? ` (${notify.error.code}: ${notify.error.message})` : ''}`,
      })
      expect(waitedAfter429(issues)).toBeGreaterThanOrEqual(2000)
      expect(await endStateProblems(faultWorld)).toEqual([])
    })
  })

  it(
    '5xx after a write applied, at GitHub: the tracking issue exists once',
    appliedThenError('github', (method, path) => method === 'POST' && path.endsWith(`${NOTIFY_REPO}/issues`), 502),
  )

  it(
    '5xx after a write applied, at Slack: the status message exists once',
    appliedThenError('slack', (_method, path) => path.endsWith('/chat.postMessage'), 503),
  )

  it('Slack and GitHub down mid-run: containment is proven all the same, and what failed is journaled', async () => {
    await inWorld({}, (faultWorld) =>
      withProxies(faultWorld, async ({slack, github, env}) => {
        // Given Slack going down once the status message is posted, and GitHub as notify-github starts
        const observers = [
          when(
            (event) => event.type === 'slack.status',
            () => slack.down(),
          ),
          when(isStep('step.started', 'notify-github'), () => github.down()),
        ]
        // When the response runs
        const result = await faultWorld.runHere({env, observers})
        // Then the key is contained and proven, and the journal says what could not be told
        const events = await journalEvents(faultWorld.world.incident)
        const failed = events.filter((event) => event.type === 'step.failed' || event.type === 'observer.failed')
        const said = failed.map(
          (event) =>
            `${String(event.data.step ?? event.data.observer)}: ${String((event.data.error as {code?: string} | undefined)?.code ?? event.data.message).slice(0, 120)}`,
        )
        outcomes.push({
          fault: 'Slack down after the status message, GitHub down at notify-github',
          outcome: `${result.status} in ${secondsTo(events, (event) => event.type === 'run.finished')} s, proof ${secondsTo(events, isStep('step.succeeded', 'prove')) ?? 'never'} s; journaled: ${[...new Set(said)].join(', ')}`,
        })
        expect(await containmentProblems(faultWorld)).toEqual([])
        expect(events.some(isStep('step.succeeded', 'prove'))).toBe(true)
        expect(events.some(isStep('step.failed', 'notify-github'))).toBe(true)
        expect(events.some((event) => event.type === 'observer.failed' && event.data.observer === 'slack-status')).toBe(true)
      }),
    )
  })

  it('Slack and GitHub hanging from the start: rotation and denylist go first, the proof comes after the notify timeouts', async () => {
    await inWorld({}, (faultWorld) =>
      withProxies(faultWorld, async ({slack, github, env}) => {
        // Given Slack and GitHub accepting every connection and never answering
        slack.rule = () => 'hang'
        github.rule = () => 'hang'
        // When the response runs (notify timeouts 15 s instead of the playbook's 2 min)
        const playbook = await playbookWithNotifyTimeout(faultWorld, '15s')
        await faultWorld.runHere({env, playbook})
        // Then the key was removed and denied before any notification was tried, and proven after them
        const events = await journalEvents(faultWorld.world.incident)
        const rotated = secondsTo(events, isStep('step.succeeded', 'rotate'))
        const denied = secondsTo(events, isStep('step.succeeded', 'invalidate'))
        const proven = secondsTo(events, isStep('step.succeeded', 'prove'))
        outcomes.push({
          fault: 'Slack and GitHub hanging (notify timeouts 15 s)',
          outcome: `rotated at ${rotated} s, denied at ${denied} s, proven at ${proven ?? 'never'} s; notify steps ${['notify-slack', 'notify-github'].map((step) => events.find((event) => event.data.step === step && /step\.(succeeded|failed)/.test(event.type))?.type ?? 'unfinished').join(', ')}`,
        })
        expect(await containmentProblems(faultWorld)).toEqual([])
        expect(denied).toBeLessThan(secondsTo(events, isStep('step.started', 'notify-slack')) ?? 0)
        expect(events.some(isStep('step.failed', 'notify-slack'))).toBe(true)
        expect(events.some(isStep('step.failed', 'notify-github'))).toBe(true)
        expect(proven).toBeDefined()
      }),
    )
  })

  it('Slack hanging once the status message is posted: the proof is not held up by the status updates (observers run beside the steps)', async () => {
    await inWorld({}, (faultWorld) =>
      withProxies(faultWorld, async ({slack, env}) => {
        // Given Slack that stops answering (and keeps the connections open) right after the status message
        let hangAt = 0
        const observers = [
          when(
            (event) => event.type === 'slack.status',
            () => {
              hangAt = Date.now()
              slack.rule = () => 'hang'
            },
          ),
        ]
        // When the response runs (notify timeouts 15 s), watched for at most 75 s
        const playbook = await playbookWithNotifyTimeout(faultWorld, '15s')
        const run = faultWorld.runHere({env, playbook, observers}).catch(() => undefined)
        await Promise.race([run, sleep(75_000)])
        const events = await journalEvents(faultWorld.world.incident)
        // Taking Slack down cuts the hanging calls, so the run ends before its world is closed.
        await slack.down()
        await run
        // Then the proof came within the notify timeout and a margin after Slack stopped answering
        const proof = events.find(isStep('step.succeeded', 'prove'))
        const after = proof ? Math.round((Date.parse(proof.ts) - hangAt) / 1000) : undefined
        const stuck = events.at(-1)
        outcomes.push({
          fault: 'Slack hanging after the status message (notify timeout 15 s)',
          outcome: proof
            ? `proven ${after} s after Slack stopped answering`
            : `no proof ${Math.round((Date.now() - hangAt) / 1000)} s after Slack stopped answering; stuck after ${stuck?.type} ${String(stuck?.data.step ?? '')}`,
        })
        expect(after).toBeLessThan(15 + 30)
      }),
    )
  })

  it('JWKS endpoints that hang, stream 2 GiB or answer invalid JSON: each fails alone, read no further than the cap', async () => {
    await inWorld({services: 3, cacheSeconds: [1, 1, 1]}, async (faultWorld) => {
      // Given three services whose own JWKS endpoints hang, stream 2 GiB without a length, and answer broken JSON
      const hostile = await startJwksServer()
      hostile.slow('/hang', 600_000)
      hostile.oversize('/huge', 2 * 1024 ** 3, {chunked: true})
      hostile.route('/garbage', {text: '{"keys": [{"kty": "RSA", "n": ', headers: {'content-type': 'application/json'}})
      const inventory = parse(await readFile(faultWorld.world.inventoryPath, 'utf8')) as {
        services: Array<Record<string, unknown>>
      }
      ;['/hang', '/huge', '/garbage'].forEach((path, index) => {
        inventory.services[index]!.jwksUri = hostile.url(path)
      })
      await writeFile(faultWorld.world.inventoryPath, stringify(inventory))
      const rssBefore = process.memoryUsage().rss
      let rssPeak = rssBefore
      const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 100)
      try {
        // When the response runs (the proof given 10 s: these services can never be proven)
        const result = await faultWorld.runHere({deadline: '10s'})
        // Then each endpoint is reported with its own error, the key is still removed and denied, the
        // outcome is "not proven" saying why, and the 2 GiB body was never read much past the cap
        const events = await journalEvents(faultWorld.world.incident)
        const endpoints = events
          .filter((event) => event.type === 'locate.endpoint')
          .map((event) => event.data as {url?: string; error?: {code?: string} | null})
        const errorOf = (path: string) => endpoints.find((endpoint) => endpoint.url === hostile.url(path))?.error?.code
        const hugeRequests = hostile.requestsTo('/huge').length
        const perRequest = hostile.fillerBytesSent / Math.max(1, hugeRequests)
        outcomes.push({
          fault: 'JWKS endpoints: hang / 2 GiB streamed / invalid JSON',
          outcome: `${errorOf('/hang')}, ${errorOf('/huge')} (${(perRequest / 1024 ** 2).toFixed(1)} MiB sent per request, ${hugeRequests} requests), ${errorOf('/garbage')}; run ${result.status}, exit ${result.outcome.exitCode} (${result.outcome.summary.slice(0, 160)}…) in ${secondsTo(events, (event) => event.type === 'run.finished')} s; RSS +${Math.round((rssPeak - rssBefore) / 1024 ** 2)} MiB`,
        })
        expect([errorOf('/hang'), errorOf('/huge'), errorOf('/garbage')]).toEqual(['timeout', 'too-large', 'not-json'])
        expect(perRequest).toBeLessThan(16 * 1024 ** 2)
        expect(result.outcome.exitCode).toBe(4)
        for (const path of ['/hang', '/huge', '/garbage']) expect(result.outcome.summary).toContain(hostile.url(path))
        expect(rssPeak - rssBefore).toBeLessThan(256 * 1024 ** 2)
        expect(await containmentProblems(faultWorld)).toEqual([])
      } finally {
        clearInterval(sampler)
        await hostile.close()
      }
    })
  })

  it('disk full while the journal is written: a clear error, no stack, and the incident resumes to the right end state', async () => {
    await inWorld({}, async (faultWorld) => {
      const {world, home} = faultWorld
      // Given `jwkr playbook run` of the standard playbook, with the disk filling up half-way through
      // the journal line that records the intent to remove the leaked key (and every write after it)
      const args = [
        'playbook',
        'run',
        'leaked-signing-key',
        '--key',
        world.leakPath,
        '--inventory',
        world.inventoryPath,
        ...['logs', 'issuedLog', 'denylistFile', 'proveInterval', 'tokenLifetime'].flatMap((name) => [
          '--input',
          `${name}=${{logs: JSON.stringify([world.logDir]), issuedLog: world.issuedLogPath, denylistFile: world.denylistPath, proveInterval: '1s', tokenLifetime: '5m'}[name]}`,
        ]),
        '--yes',
        '--json',
        '--home',
        home,
      ]
      const full = await faultWorld.runCli(args, {
        kind: 'enospc-at-line',
        line: {type: 'effect.intent', key: ':remove'},
        partial: true,
      })
      // Then the command fails with ERR_JOURNAL_WRITE saying the disk is full, and no stack trace
      const [id] = await readdir(join(home, 'incidents'))
      const incident = {id: id!, dir: join(home, 'incidents', id!), journalPath: join(home, 'incidents', id!, 'journal.jsonl')}
      const error = (JSON.parse(full.stdout) as {error?: {code: string; message: string; hint?: string}}).error
      const journal = await readFile(incident.journalPath, 'utf8')
      const halfLine = !journal.endsWith('\n')
      const verifiedBefore = await verifyIncident(home, incident.id).then(
        () => 'ok',
        (failure: Error) => failure.message,
      )
      // When the disk has room again and the incident is resumed
      const resumed = await faultWorld.resumeWithCli({id: incident.id})
      const problems = await endStateProblems(faultWorld, {
        incident,
        outputs: [full.stdout, full.stderr, resumed.stdout, resumed.stderr],
      })
      const repaired = (await journalEvents(incident)).some((event) => event.type === 'journal.repaired')
      outcomes.push({
        fault: 'disk full (ENOSPC) half-way through a journal line',
        outcome: `exit ${full.code}, ${error?.code}: ${error?.message} (${error?.hint}); half line left: ${halfLine} (incident verify: ${verifiedBefore}); resume exit ${resumed.code}, journal.repaired: ${repaired}; ${problems.length === 0 ? 'right end state' : problems.join('; ')}`,
      })
      expect(full.code).toBe(1)
      expect(error).toMatchObject({code: 'ERR_JOURNAL_WRITE'})
      expect(`${error?.message} ${error?.hint}`).toMatch(/ENOSPC|disk is full/)
      expect(full.stderr).not.toMatch(/^\s+at /m)
      expect(resumed.code).toBe(0)
      expect(problems).toEqual([])
    })
  })
})

/** Runs `body` with a real redis-server behind a TCP proxy; `url` goes through the proxy. */
async function withRedisBehindProxy(
  body: (redis: {server: RedisServer; proxy: Switchable; url: string}) => Promise<void>,
): Promise<void> {
  const server = await startRedisServer()
  const proxy = await startTcpProxy(server.port)
  try {
    await body({server, proxy, url: `redis://127.0.0.1:${proxy.port}`})
  } finally {
    await proxy.down()
    await server.stop()
  }
}

describeRedis('Redis down mid-run and back empty', () => {
  it.concurrent(
    'a guard on Redis keeps refusing the leaked key and writes the denylist back; the run still proves containment',
    {timeout: 300_000},
    () =>
      withRedisBehindProxy(async ({server: redis, proxy, url}) => {
        const errors: Error[] = []
        const guard = await createDenylistGuard({redis: url}, {refreshIntervalMs: 200, onError: (error) => errors.push(error)})
        try {
          await inWorld({}, async (faultWorld) => {
            const thumbprint = faultWorld.world.leak.thumbprint
            // Given a run that publishes the denylist to Redis, and Redis restarted empty right after
            const observers = [
              when(isStep('step.succeeded', 'invalidate'), async () => {
                await proxy.down()
                await redis.client().flushall()
                await sleep(500)
                await proxy.up()
              }),
            ]
            // When the response runs
            await faultWorld.runHere({env: {REDIS_URL: url}, observers})
            // Then the guard still refuses the key, has put it back in Redis, and said so
            const store = await openRedisDenylistStore(redis.url, {secrets: new SecretRegistry()})
            let inRedis = false
            for (let i = 0; i < 50 && !inRedis; i++) {
              inRedis = (await store.read()).thumbprints.includes(thumbprint)
              if (!inRedis) await sleep(100)
            }
            await store.close()
            outcomes.push({
              fault: 'Redis down after the denylist was published, back empty',
              outcome: `guard refuses the key: ${guard.lookup({thumbprint}) !== undefined}; written back to Redis: ${inRedis}; guard said: ${errors
                .map((error) => error.message)
                .join(' | ')
                .slice(0, 300)}`,
            })
            expect(guard.lookup({thumbprint})).toBeDefined()
            expect(inRedis).toBe(true)
            expect(await containmentProblems(faultWorld)).toEqual([])
            expect(await journalProblems(faultWorld)).toEqual([])
          })
        } finally {
          await guard.close()
        }
      }),
  )

  it.concurrent(
    'Redis down while the denylist is published: the run says so, the file denylist still holds the key, the proof holds',
    {timeout: 300_000},
    () =>
      withRedisBehindProxy(({proxy, url}) =>
        inWorld({}, async (faultWorld) => {
          // Given Redis going down as tokens.invalidate starts, and back empty once it ended
          const observers = [
            when(isStep('step.started', 'invalidate'), () => proxy.down()),
            when(
              (event) => /^step\.(succeeded|failed)$/.test(event.type) && event.data.step === 'invalidate',
              () => proxy.up(),
            ),
          ]
          // When the response runs
          const result = await faultWorld.runHere({env: {REDIS_URL: url}, observers})
          // Then the Redis failure is reported, and everything else is as it should be
          const events = await journalEvents(faultWorld.world.incident)
          const invalidate = result.steps.find((step) => step.id === 'invalidate')
          outcomes.push({
            fault: 'Redis down while tokens.invalidate publishes',
            outcome: `invalidate ${invalidate?.status}${invalidate?.error ? ` (${invalidate.error.code}: ${invalidate.error.message.slice(0, 200)})` : ''}; run ${result.status}, exit ${result.outcome.exitCode}: ${result.outcome.summary}`,
          })
          expect(invalidate?.status).toBe('failed')
          expect(invalidate?.error?.message).toMatch(/Redis/)
          expect(await containmentProblems(faultWorld)).toEqual([])
          expect(events.some(isStep('step.succeeded', 'prove'))).toBe(true)
        }),
      ),
  )
})
