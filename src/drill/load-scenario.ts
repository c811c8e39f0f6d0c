// Drill scenarios (`playbooks/drills/*.yaml`): which world to build, which faults to inject into it,
// and what a good response achieves there. The format is documented at the top of each file and
// checked against SCENARIO_SCHEMA with file:line:column; defaults are filled in here, once.
import {existsSync, readdirSync, statSync} from 'node:fs'
import {readFile} from 'node:fs/promises'
import {basename, extname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

import {JwkrError} from '../core/errors.js'
import {formatProblems, loadYamlDocument, suggestion, type Problem} from '../core/yaml/load-yaml-document.js'
import type {JsonSchema} from '../playbook/types.js'
import {FAKE_GITHUB_ROUTES, type FakeGitHubRoute} from './fake-github.js'
import {FAKE_SLACK_METHODS, type FakeSlackMethod} from './fake-slack.js'
import type {FaultReply} from './fault-script.js'
import {RELYING_PARTY_VERIFIERS, type RelyingPartyVerifier} from './relying-party.js'

/** The most services a world may have: each is a server with its own port. */
export const MAX_SERVICES = 50

export type ServiceBehaviour = 'stubborn-cache' | 'never-refetch'

export interface ServiceFault {
  /** 1-based position of the service; a world with fewer services uses its last one. */
  service: number
  /** stubborn-cache: caches the key set for `cacheSeconds` (and only its cache-bust hook helps); never-refetch: keeps its first key set forever. */
  behaviour: ServiceBehaviour
  /** stubborn-cache: how long it caches (default 600). */
  cacheSeconds?: number
  /** What the inventory says its cache lifetime is (default: the truth for stubborn-cache, the usual value for never-refetch). */
  declaredCacheSeconds?: number
  /** Whether it has a cache-bust hook (default: true for stubborn-cache, false for never-refetch). */
  reloadHook?: boolean
}

export interface DrillScenario {
  name: string
  description: string
  /** The file it was read from. */
  file: string
  /** How many relying parties, unless --services says otherwise. */
  services: number
  world: {
    /** Cache lifetimes in seconds, given to the services in turn. */
    cacheSeconds: number[]
    /** 1-based positions of the services behind the denylist guard. */
    denylistGuard: number[]
    /** Lifetime of the tokens the issuer mints. */
    tokenLifetimeSeconds: number
    /** The library each service verifies tokens with, given to the services in turn (default: jose). */
    verifiers: RelyingPartyVerifier[]
  }
  faults: {
    /** The issuer's JWKS publishes the leaked key's private members. */
    jwksServesPrivate: boolean
    /** The leaked key was found without its kid (a PEM, a key copied from a provider's config). */
    leakWithoutKid: boolean
    services: ServiceFault[]
    slack: Array<{method: FakeSlackMethod; replies: FaultReply[]; repeat: boolean}>
    github: Array<{route: FakeGitHubRoute; replies: FaultReply[]; repeat: boolean}>
  }
  expect: {
    /** Every service proven contained by the end. */
    contained: boolean
    /** tokens.scan reports at least this many forged tokens. */
    forgeriesAtLeast: number
    /** A status message reached the incident channel. */
    slackStatusPosted: boolean
    /** created: the tracking issue exists; reported: its creation failed and the run says so. */
    trackingIssue: 'created' | 'reported'
    /** services.locate reports the issuer's JWKS serving private members. */
    privateMembersFound: boolean
    /** Positions of the services whose cache-bust hook a good response calls (nothing else contains them in time). */
    cacheBust: number[]
  }
}

export interface ScenarioSummary {
  name: string
  description: string
  file: string
}

const POSITION = {type: 'integer', minimum: 1, maximum: MAX_SERVICES}
const SECONDS = {type: 'integer', minimum: 1, maximum: 86_400}
const REPLIES = {
  type: 'array',
  minItems: 1,
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['status'],
    properties: {status: {type: 'integer', minimum: 400, maximum: 599}, retryAfter: {type: 'integer', minimum: 0, maximum: 60}},
  },
  description: 'The answers, in order, instead of the real one.',
}

export const SCENARIO_SCHEMA: JsonSchema = Object.freeze({
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'jwkr drill scenario',
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'name', 'description'],
  properties: {
    apiVersion: {const: 'jwkr/v1'},
    kind: {const: 'DrillScenario'},
    name: {type: 'string', pattern: '^[a-z][a-z0-9]*(-[a-z0-9]+)*$', title: 'lower-case name with hyphens'},
    description: {type: 'string', minLength: 1},
    services: {...POSITION, description: 'How many relying parties (default 5).'},
    world: {
      type: 'object',
      additionalProperties: false,
      properties: {
        cacheSeconds: {type: 'array', minItems: 1, items: SECONDS},
        denylistGuard: {type: 'array', items: POSITION},
        tokenLifetimeSeconds: {type: 'integer', minimum: 30, maximum: 86_400},
        verifiers: {
          type: 'array',
          minItems: 1,
          items: {enum: [...RELYING_PARTY_VERIFIERS]},
          description:
            'The library of each service in turn: jose (picks by alg without a kid), jwks-rsa or get-jwks (by kid), ' +
            'express-oauth2-jwt-bearer (Auth0’s SDK, requiring a scope).',
        },
      },
    },
    faults: {
      type: 'object',
      additionalProperties: false,
      properties: {
        issuer: {type: 'object', additionalProperties: false, properties: {jwksServesPrivate: {type: 'boolean'}}},
        leak: {
          type: 'object',
          additionalProperties: false,
          properties: {withoutKid: {type: 'boolean', description: 'The leaked key file has no kid (nor alg, use).'}},
        },
        services: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['service', 'behaviour'],
            properties: {
              service: POSITION,
              behaviour: {enum: ['stubborn-cache', 'never-refetch']},
              cacheSeconds: SECONDS,
              declaredCacheSeconds: SECONDS,
              reloadHook: {type: 'boolean'},
            },
          },
        },
        slack: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['method', 'replies'],
            properties: {method: {enum: [...FAKE_SLACK_METHODS]}, replies: REPLIES, repeat: {type: 'boolean'}},
          },
        },
        github: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['route', 'replies'],
            properties: {route: {enum: [...FAKE_GITHUB_ROUTES]}, replies: REPLIES, repeat: {type: 'boolean'}},
          },
        },
      },
    },
    expect: {
      type: 'object',
      additionalProperties: false,
      properties: {
        contained: {type: 'boolean'},
        forgeriesAtLeast: {type: 'integer', minimum: 0},
        slackStatusPosted: {type: 'boolean'},
        trackingIssue: {enum: ['created', 'reported']},
        privateMembersFound: {type: 'boolean'},
        cacheBust: {type: 'array', items: POSITION},
      },
    },
  },
})

const DEFAULTS = {services: 5, cacheSeconds: [2, 3, 4, 5, 6], denylistGuard: [2, 4], tokenLifetimeSeconds: 300}
const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/

/** `<package root>/playbooks/drills`: two levels up from src/drill/ and from dist/drill/. */
export function scenarioDir(): string {
  return fileURLToPath(new URL('../../playbooks/drills/', import.meta.url))
}

/** The built-in scenarios, sorted by name (`basic` first: it is the default). */
export async function listScenarios(dir: string = scenarioDir()): Promise<ScenarioSummary[]> {
  const scenarios = await Promise.all(builtinFiles(dir).map(async (file) => loadScenario(file, dir)))
  return scenarios
    .map(({name, description, file}) => ({name, description, file}))
    .sort((a, b) => (a.name === 'basic' ? -1 : b.name === 'basic' ? 1 : a.name.localeCompare(b.name)))
}

/**
 * A built-in scenario by name (`stubborn-cache`) or a scenario file by path, checked and with its
 * defaults filled in.
 *
 * @throws JwkrError ERR_DRILL_SCENARIO_NOT_FOUND (listing the built-in names), ERR_DRILL_SCENARIO_INVALID
 *   (details.problems, each with file:line:column).
 */
export async function loadScenario(nameOrPath: string, dir: string = scenarioDir()): Promise<DrillScenario> {
  const file = locateScenario(nameOrPath, dir)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    throw new JwkrError('ERR_INPUT_UNREADABLE', `Cannot read the scenario ${file}.`, {
      hint: 'Check that it is a readable file.',
      cause: error,
    })
  }
  return parseScenario(text, file)
}

/** Checks a scenario's text (named `file` in messages) and fills in its defaults. */
export function parseScenario(text: string, file: string): DrillScenario {
  // Read as a RawScenario only once SCENARIO_SCHEMA has no problem with it (below).
  const document = loadYamlDocument<RawScenario>(text, file, SCENARIO_SCHEMA)
  const problems: Problem[] = [...document.problems]
  if (problems.length === 0) {
    const stem = basename(file, extname(file))
    if (NAME.test(stem) && document.value.name !== stem) {
      problems.push(document.problemAt(['name'], `name '${String(document.value.name)}' must match the file name '${stem}'`))
    }
  }
  if (problems.length > 0) {
    throw new JwkrError('ERR_DRILL_SCENARIO_INVALID', `The drill scenario ${file} is not valid:\n${formatProblems(problems)}`, {
      hint: 'Fix the lines named above; the format is described at the top of playbooks/drills/basic.yaml.',
      details: {problems},
    })
  }
  return withDefaults(document.value, resolve(file))
}

interface RawScenario {
  name: string
  description: string
  services?: number
  world?: Partial<DrillScenario['world']>
  faults?: {
    issuer?: {jwksServesPrivate?: boolean}
    leak?: {withoutKid?: boolean}
    services?: ServiceFault[]
    slack?: Array<{method: FakeSlackMethod; replies: FaultReply[]; repeat?: boolean}>
    github?: Array<{route: FakeGitHubRoute; replies: FaultReply[]; repeat?: boolean}>
  }
  expect?: Partial<DrillScenario['expect']>
}

function withDefaults(raw: RawScenario, file: string): DrillScenario {
  const faults = raw.faults ?? {}
  return {
    name: raw.name,
    description: raw.description.trim(),
    file,
    services: raw.services ?? DEFAULTS.services,
    world: {
      cacheSeconds: raw.world?.cacheSeconds ?? DEFAULTS.cacheSeconds,
      denylistGuard: raw.world?.denylistGuard ?? DEFAULTS.denylistGuard,
      tokenLifetimeSeconds: raw.world?.tokenLifetimeSeconds ?? DEFAULTS.tokenLifetimeSeconds,
      verifiers: raw.world?.verifiers ?? ['jose'],
    },
    faults: {
      jwksServesPrivate: faults.issuer?.jwksServesPrivate ?? false,
      leakWithoutKid: faults.leak?.withoutKid ?? false,
      services: faults.services ?? [],
      slack: (faults.slack ?? []).map((fault) => ({...fault, repeat: fault.repeat ?? false})),
      github: (faults.github ?? []).map((fault) => ({...fault, repeat: fault.repeat ?? false})),
    },
    expect: {
      contained: raw.expect?.contained ?? true,
      forgeriesAtLeast: raw.expect?.forgeriesAtLeast ?? 1,
      slackStatusPosted: raw.expect?.slackStatusPosted ?? true,
      trackingIssue: raw.expect?.trackingIssue ?? 'created',
      privateMembersFound: raw.expect?.privateMembersFound ?? false,
      cacheBust: raw.expect?.cacheBust ?? [],
    },
  }
}

function builtinFiles(dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir)
    .filter((entry) => ['.yaml', '.yml'].includes(extname(entry)))
    .map((entry) => join(dir, entry))
}

function locateScenario(nameOrPath: string, dir: string): string {
  const names = builtinFiles(dir).map((file) => basename(file, extname(file)))
  if (NAME.test(nameOrPath) && names.includes(nameOrPath)) {
    return builtinFiles(dir).find((file) => basename(file, extname(file)) === nameOrPath) as string
  }
  if (existsSync(nameOrPath) && statSync(nameOrPath).isFile()) return nameOrPath
  // A path (a folder or a YAML extension) is not a misspelt name: say the file is not there.
  if (/[\\/]|\.ya?ml$/i.test(nameOrPath)) {
    throw new JwkrError('ERR_DRILL_SCENARIO_NOT_FOUND', `No scenario file at ${nameOrPath}.`, {
      hint: `Check the path, or pass a built-in scenario by name (${names.sort().join(', ') || 'none'}; jwkr drill list).`,
      details: {scenario: nameOrPath, builtin: names},
    })
  }
  const guess = suggestion(nameOrPath, names)
  throw new JwkrError(
    'ERR_DRILL_SCENARIO_NOT_FOUND',
    `No drill scenario named '${nameOrPath}'${guess ? ` (did you mean '${guess}'?)` : ''}; built-in scenarios: ${names.sort().join(', ') || 'none'}.`,
    {
      hint: 'Pass a built-in name (jwkr drill list) or the path of a scenario file.',
      details: {scenario: nameOrPath, builtin: names},
    },
  )
}
