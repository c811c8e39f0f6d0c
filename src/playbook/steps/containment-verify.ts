// containment.verify: the proof that the leaked key is out of service — every JWKS fetched again,
// every dependent service probed with a canary signed with the leaked key, the containment clock —
// with each check's evidence journaled for the report. Its clock sizes the wait that may follow it.
import {loadKeySource} from '../../services/identify.js'
import {
  recordedAcceptances,
  recordedIssuerAlgs,
  recordedPublished,
  recordedShapes,
} from '../../core/containment/recorded-probes.js'
import {recordedRemovals} from '../../core/containment/recorded-removals.js'
import {
  DEFAULT_DEADLINE_MS,
  DEFAULT_INTERVAL_MS,
  checkControlKey,
  notContainedMessage,
  verifyContainment,
  type ContainmentOutcome,
  type VerifyResult,
} from '../../services/verify.js'
import {parseRemovalTime, REMOVAL_TIME_PATTERN} from '../../core/containment/clock.js'
import {containmentProgress} from '../../core/containment/containment-progress.js'
import {DURATION_PATTERN, formatDuration, parseDuration} from '../../core/duration.js'
import {JwkrError} from '../../core/errors.js'
import {leakedKeyOf} from '../../core/inventory/leaked-key.js'
import {inventoryNotFound} from '../../core/inventory/load-inventory.js'
import {loadInventory} from '../../services/inventory.js'
import type {Inventory} from '../../core/inventory/types.js'
import {defineStep} from '../define-step.js'
import {leakedKeyInput} from './leaked-key-input.js'
import type {PlannedCall} from '../types.js'
import {writeArtifact} from '../write-artifact.js'
import {plannedFetches} from '../../services/locate.js'

export interface ContainmentVerifyInput {
  key: string
  kid?: string
  thumbprint?: string
  /** Before containment: expect every canary to be accepted; refusals mark undiscriminating probes. */
  baseline?: boolean
  /** The replacement private key file (key.rotate's): control tokens signed with it must be accepted. */
  controlKey?: string
  untilContained?: boolean
  deadline?: string
  interval?: string
  tokenLifetime?: string
  removedAt?: string
  timeout?: string
}

export interface ContainmentVerifyOutput extends Record<string, unknown> {
  contained: boolean
  /** proven, not-proven or not-attempted (no service could be probed). */
  outcome: ContainmentOutcome
  /** What a proof still lacks, in words. */
  missing: string[]
  services: {contained: number; exposed: number; unknown: number; undiscriminating: number}
  /** Service ids still exposed, not proven either way, and refusing for other reasons than the key. */
  exposed: string[]
  unknown: string[]
  undiscriminating: string[]
  /** When the proof must be complete: every cache expired + the longest token lifetime (null while unknown). */
  deadline: string | null
  clock: {containedBy: string | null; deadline: string | null; waitFor: string | null; tokenLifetimeSeconds: number}
  probesPossible: boolean
  checks: number
  /** The whole result (the `--json` of `jwkr verify`). */
  artifact: string
}

export const CONTAINMENT_ARTIFACT = 'containment.json'
export const BASELINE_ARTIFACT = 'containment-baseline.json'

const duration = {type: 'string', pattern: DURATION_PATTERN, title: 'duration like 15s'}
const ids = {type: 'array', items: {type: 'string'}}
const nullableTime = {type: ['string', 'null']}

export const containmentVerify = defineStep<ContainmentVerifyInput, ContainmentVerifyOutput>({
  id: 'containment.verify',
  title: 'Prove the key is contained',
  description:
    'Removing a key from a JWKS stops nothing while relying parties still cache it. This step fetches every JWKS again ' +
    '(the thumbprint must be gone) and sends each dependent service a canary token signed with the leaked key, shaped ' +
    "like an attacker's (the kid the issuer publishes, the service's aud/typ/scope). A refusal (401) proves " +
    'containment only from a service seen to accept a canary before (baseline: true, run before containment) or beside ' +
    'an accepted control token signed with the replacement key (controlKey). It computes when every cache must have ' +
    'dropped the key. Reads only; with untilContained it checks again until everything is contained, and fails when ' +
    'the deadline passes first.',
  inputSchema: {
    type: 'object',
    required: ['key'],
    additionalProperties: false,
    properties: {
      ...leakedKeyInput,
      baseline: {
        type: 'boolean',
        description:
          'Run before containment: every canary is expected to be accepted; a service that refuses it is undiscriminating.',
      },
      controlKey: {
        type: 'string',
        description: 'The replacement private key file: a control token signed with it must be accepted.',
      },
      untilContained: {
        type: 'boolean',
        description: 'Check again every interval until everything is contained (fails at the deadline).',
      },
      deadline: {
        ...duration,
        description: `With untilContained: give up after this long (default ${formatDuration(DEFAULT_DEADLINE_MS)}).`,
      },
      interval: {
        ...duration,
        description: `With untilContained: time between checks (default ${formatDuration(DEFAULT_INTERVAL_MS)}).`,
      },
      tokenLifetime: {...duration, description: 'The longest lifetime of a token signed with the key (default 1h).'},
      removedAt: {
        type: 'string',
        pattern: REMOVAL_TIME_PATTERN,
        description: 'When the key left the JWKS, if the journal does not say.',
      },
      timeout: {...duration, description: 'Per request (default 5s).'},
    },
  },
  outputSchema: {
    type: 'object',
    additionalProperties: false,
    required: [
      'contained',
      'outcome',
      'missing',
      'services',
      'exposed',
      'unknown',
      'undiscriminating',
      'deadline',
      'clock',
      'probesPossible',
      'checks',
      'artifact',
    ],
    properties: {
      contained: {type: 'boolean'},
      outcome: {enum: ['proven', 'not-proven', 'not-attempted']},
      missing: ids,
      services: {
        type: 'object',
        additionalProperties: false,
        required: ['contained', 'exposed', 'unknown', 'undiscriminating'],
        properties: {
          contained: {type: 'integer'},
          exposed: {type: 'integer'},
          unknown: {type: 'integer'},
          undiscriminating: {type: 'integer'},
        },
      },
      exposed: ids,
      unknown: ids,
      undiscriminating: ids,
      deadline: nullableTime,
      clock: {
        type: 'object',
        additionalProperties: false,
        required: ['containedBy', 'deadline', 'waitFor', 'tokenLifetimeSeconds'],
        properties: {
          containedBy: nullableTime,
          deadline: nullableTime,
          waitFor: {type: ['string', 'null']},
          tokenLifetimeSeconds: {type: 'integer'},
        },
      },
      probesPossible: {type: 'boolean'},
      checks: {type: 'integer', minimum: 1},
      artifact: {type: 'string'},
    },
  },
  sideEffects: false,
  requiresInventory: true,
  async plan(input, context) {
    if (context.inventoryPath === null) return []
    let inventory: Inventory
    try {
      inventory = await loadInventory(context.inventoryPath, {secrets: context.secrets})
    } catch (error) {
      if (!(error instanceof JwkrError)) throw error
      const first = error.message.split('\n')[0] ?? error.message
      return [
        {kind: 'none', target: context.inventoryPath, description: `Cannot plan: ${first} The step will fail until it is fixed.`},
      ]
    }
    return plannedChecks(inventory, input)
  },
  async run(input, context) {
    if (context.inventoryPath === null) throw inventoryNotFound(null)
    const key = leakedKeyOf(
      await loadKeySource(input.key, {secrets: context.secrets, kid: input.kid, thumbprint: input.thumbprint}),
    )
    const inventory = await loadInventory(context.inventoryPath, {secrets: context.secrets})
    const controlKey =
      input.controlKey === undefined || input.baseline === true
        ? null
        : checkControlKey(leakedKeyOf(await loadKeySource(input.controlKey, {secrets: context.secrets})), key)
    const events = context.events()
    const phase = input.baseline === true ? 'baseline' : 'check'
    const intervalMs = parseDuration(input.interval ?? '15s')
    const result = await verifyContainment({
      inventory,
      key,
      secrets: context.secrets,
      baseline: input.baseline === true,
      published: recordedPublished(events, key.report.thumbprint ?? ''),
      acceptedBefore: recordedAcceptances(events),
      canaryDefaults: {shapes: recordedShapes(events), issuerAlgs: recordedIssuerAlgs(events)},
      controlKey,
      untilContained: input.untilContained === true,
      deadlineMs: parseDuration(input.deadline ?? '30m'),
      intervalMs,
      tokenLifetimeSeconds: Math.ceil(parseDuration(input.tokenLifetime ?? '1h') / 1000),
      timeoutMs: parseDuration(input.timeout ?? '5s'),
      removedAt: input.removedAt === undefined ? undefined : parseRemovalTime(input.removedAt, 'removedAt', context.now()),
      recordedRemovals: recordedRemovals(events),
      incident: context.incident.id,
      signal: context.signal,
      onCheck: async ({round, result: seen, evidence}) => {
        for (const item of evidence) {
          const {kind, ...data} = item
          await context.record(kind === 'probe' ? 'evidence.probe' : 'evidence.jwks', {round, phase, ...data})
        }
        // The verdict per service, which a probe's answer alone does not give (a refusal counts only after an
        // acceptance or beside an accepted control): the report reads these, not the raw answers.
        for (const service of seen.services) {
          const {id, status, basis, reason} = service
          await context.record('containment.service', {round, phase, service: id, status, basis, reason})
        }
        context.progress(containmentProgress({round, result: seen}, intervalMs, context.now()))
      },
    })
    const artifact = await writeArtifact(context, input.baseline === true ? BASELINE_ARTIFACT : CONTAINMENT_ARTIFACT, result)
    if (input.baseline === true) {
      await context.record('containment.baseline', {
        discriminating: result.exposed,
        undiscriminating: result.undiscriminating,
        unknown: result.unknown,
        published: result.published,
      })
      if (result.outcome === 'not-attempted') return context.skip(`nothing could be checked: ${result.missing.join('; ')}`)
      return outputsOf(result, artifact)
    }
    await context.record('containment.verdict', {
      contained: result.contained,
      outcome: result.outcome,
      missing: result.missing,
      exposed: result.exposed,
      unknown: result.unknown,
      undiscriminating: result.undiscriminating,
      clock: result.clock,
    })
    // Nothing could be probed: the step did not check anything, so it must not show as done.
    if (result.outcome === 'not-attempted') return context.skip(`nothing could be checked: ${result.missing.join('; ')}`)
    if (input.untilContained === true && !result.contained) {
      throw new JwkrError('ERR_NOT_CONTAINED', notContainedMessage(result), {
        hint: [...result.advice, `The evidence is in ${artifact}.`].join('\n  '),
        details: {exposed: result.exposed, unknown: result.unknown, undiscriminating: result.undiscriminating},
      })
    }
    return outputsOf(result, artifact)
  },
})

/** The fetches and probes one check makes, from the inventory alone (a probe per service that has one). */
function plannedChecks(inventory: Inventory, input: ContainmentVerifyInput): PlannedCall[] {
  const calls = plannedFetches(inventory).map((call) => ({...call, description: `Re-check: ${call.description}`}))
  for (const service of inventory.services) {
    if (service.probe === undefined) continue
    calls.push({
      kind: 'http',
      target: `${service.probe.method} ${service.probe.url}`,
      description:
        `Canary token for ${service.id} (signed with the leaked key, sub jwkr-canary, 5-minute exp), per issuer it trusts ` +
        'that served the key: contained when it answers 401/403. Only when the private key is known.',
    })
  }
  if (input.untilContained === true) {
    calls.push({
      kind: 'wait',
      target: `every ${input.interval ?? '15s'}, at most ${input.deadline ?? '30m'}`,
      description: 'Repeat the checks until every service and JWKS is contained; fail when the deadline passes first.',
    })
  }
  return calls
}

function outputsOf(result: VerifyResult, artifact: string): ContainmentVerifyOutput {
  const count = (status: string) => result.services.filter((service) => service.status === status).length
  return {
    contained: result.contained,
    outcome: result.outcome,
    missing: result.missing,
    services: {
      contained: count('contained'),
      exposed: count('exposed'),
      unknown: count('unknown'),
      undiscriminating: count('undiscriminating'),
    },
    exposed: result.exposed,
    unknown: result.unknown,
    undiscriminating: result.undiscriminating,
    deadline: result.clock.deadline,
    clock: {
      containedBy: result.clock.containedBy,
      deadline: result.clock.deadline,
      waitFor: result.clock.waitFor,
      tokenLifetimeSeconds: result.clock.tokenLifetimeSeconds,
    },
    probesPossible: result.probes.possible,
    checks: result.checks,
    artifact,
  }
}
