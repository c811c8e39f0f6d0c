// Loads the inventory and checks all of it before anything uses it: the JSON Schema, then what a
// schema cannot say (ids named in `trusts` exist, ids are unique, URLs are http(s) and carry no
// credentials). Every problem is reported at once with its file:line:column. Pure: the text in, the
// inventory or its problems out (services/inventory.ts reads the file).
import {dirname, resolve} from 'node:path'

import {RESERVED_CANARY_CLAIMS} from '../containment/canary.js'
import {DEFAULT_JWKS_CACHE_SECONDS} from '../containment/clock.js'
import {parseDuration} from '../duration.js'
import {JwkrError} from '../errors.js'
import type {SecretRegistry} from '../secrets.js'
import {
  formatProblems,
  loadYamlDocument,
  sortProblems,
  suggestion,
  type DocumentPath,
  type Problem,
  type YamlDocument,
} from '../yaml/load-yaml-document.js'
import {credentialChecks, describeCredentials, type CredentialCheck} from './credentials.js'
import {inventorySchema} from './inventory-schema.js'
import {ISSUER_KEY_STORE_TYPES, VERIFIER_PROFILE_IDS, type Inventory, type InventoryService} from './types.js'

export interface InventoryCheck {
  /** Present only when there are no problems; relative file paths in it are resolved. */
  inventory?: Inventory
  problems: Problem[]
  /** What is allowed but weakens the response (e.g. a service whose cache lifetime must be assumed); only for a valid inventory. */
  warnings: Problem[]
  /** With `surroundings`: the credentials the inventory will need and whether they are set (a valid inventory only). */
  credentials?: CredentialCheck[]
}

/** The world around the file, for the warnings about what is valid but breaks later (a port: core does no I/O). */
export interface InventorySurroundings {
  /** Whether a path (absolute, resolved against the inventory's folder) exists. */
  exists: (path: string) => boolean
  /** The environment the credentials will come from; only read as set or not. */
  env: Record<string, string | undefined>
}

export interface CheckInventoryOptions {
  /** The folder relative paths are resolved against (default: the folder of `file`). */
  baseDir?: string
  /** Credentials found in the file (which it must not hold) are registered here, so no output repeats them. */
  secrets?: SecretRegistry
  /** Given, the warnings also cover missing files and folders and unset credentials. */
  surroundings?: InventorySurroundings
}

const CREDENTIAL_HINT =
  'credentials never live in the inventory: jwkr reads them from the environment (AUTH0_TOKEN, OKTA_TOKEN, VAULT_TOKEN, GITHUB_TOKEN, …)'
/** Query parameters that carry a credential when they appear in a URL. */
const CREDENTIAL_PARAMETER =
  /^(access[_-]?token|id[_-]?token|token|api[_-]?key|apikey|key|secret|client[_-]?secret|password|passwd|pwd|sig|signature|auth)$/i
/** Probe headers that carry a credential; the probe sets its own Authorization (the canary token). */
const CREDENTIAL_HEADER = /^(authorization|proxy-authorization|cookie|x-api-key|api-key|x-auth-token)$/i

/**
 * Checks an inventory's text without throwing: every problem, in document order.
 *
 * @example const {inventory, problems} = checkInventory(text, 'jwkr.inventory.yaml')
 */
export function checkInventory(text: string, file: string, options: CheckInventoryOptions = {}): InventoryCheck {
  const document = loadYamlDocument<unknown>(text, file, inventorySchema)
  if (document.syntaxError) return {problems: document.problems, warnings: []}
  const raw = document.value
  const checks = isRecord(raw) ? crossCheck(raw, document, options.secrets) : []
  // A check here says more than the schema about the same value (an unknown keySource type, a URL
  // with credentials): it replaces what the schema said there.
  const covered = new Set(checks.map((problem) => problem.path))
  const problems = sortProblems([...document.problems.filter((problem) => !covered.has(problem.path)), ...checks])
  if (problems.length > 0) return {problems, warnings: []}
  const inventory = toInventory(raw as Inventory, options.baseDir ?? dirname(resolve(file)))
  const warnings = inventoryWarnings(inventory, document)
  const {surroundings} = options
  if (!surroundings) return {inventory, problems: [], warnings}
  const credentials = credentialChecks(inventory, surroundings.env)
  const more = [...missingPaths(inventory, raw as Inventory, surroundings), ...unsetCredentials(credentials)]
  const located = more.map(({path, message}) => ({...document.problemAt(path, ''), message}))
  return {inventory, problems: [], warnings: sortProblems([...warnings, ...located]), credentials}
}

/**
 * ERR_INVENTORY_NOT_FOUND for a missing file (or, with null, for no inventory given at all). `how`
 * says how the command takes a file: `jwkr inventory validate` takes it as an argument, not a flag.
 */
export function inventoryNotFound(path: string | null, how = 'Pass --inventory FILE (or set JWKR_INVENTORY)'): JwkrError {
  const message =
    path === null
      ? 'No inventory: no --inventory given, JWKR_INVENTORY is not set, and there is no ./jwkr.inventory.yaml.'
      : `No inventory at ${path}.`
  return new JwkrError('ERR_INVENTORY_NOT_FOUND', message, {
    hint:
      `${how}, or draft one from the services’ configuration with \`jwkr inventory discover PATH --out jwkr.inventory.yaml\` ` +
      '(`jwkr respond --discover PATH` drafts one for a run). To write one by hand, `jwkr inventory init` asks for a first issuer and service, or start from examples/jwkr.inventory.yaml in the ' +
      'jwk-responder package; `jwkr inventory schema` prints its JSON Schema.',
  })
}

/** ERR_INVENTORY_INVALID listing every problem as file:line:column lines. */
export function invalidInventory(file: string, problems: readonly Problem[]): JwkrError {
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`
  return new JwkrError('ERR_INVENTORY_INVALID', `The inventory ${file} has ${count}:\n${formatProblems(problems)}`, {
    hint: 'Fix each problem at the file:line:column shown; `jwkr inventory validate FILE` checks the file again.',
    details: {file, problems},
  })
}

type Document = YamlDocument<unknown>
type Checked = {path: DocumentPath; value: unknown}

function crossCheck(raw: Record<string, unknown>, document: Document, secrets: SecretRegistry | undefined): Problem[] {
  const issuers = recordsAt(raw.issuers)
  const services = recordsAt(raw.services)
  const problems = [
    ...duplicateIds('issuer', 'issuers', issuers, document),
    ...duplicateIds('service', 'services', services, document),
  ]
  const issuerIds = [...new Set(issuers.flatMap(([, issuer]) => (typeof issuer.id === 'string' ? [issuer.id] : [])))]
  const urls: Checked[] = []
  const hosts: Checked[] = []
  for (const [index, issuer] of issuers) {
    for (const name of ['issuer', 'discovery', 'jwksUri']) urls.push({path: ['issuers', index, name], value: issuer[name]})
    const source = isRecord(issuer.keySource) ? issuer.keySource : {}
    const at = (name: string): DocumentPath => ['issuers', index, 'keySource', name]
    if (typeof source.type === 'string' && !(ISSUER_KEY_STORE_TYPES as readonly string[]).includes(source.type)) {
      problems.push(document.problemAt(at('type'), unknownTypeMessage(source.type)))
    }
    if (source.type === 'keycloak') urls.push({path: at('baseUrl'), value: source.baseUrl})
    if (source.type === 'webhook') urls.push({path: at('url'), value: source.url})
    if (source.type === 'auth0' || source.type === 'okta') hosts.push({path: at('domain'), value: source.domain})
    if (source.type === 'vault') hosts.push({path: at('address'), value: source.address})
  }
  for (const [index, service] of services) {
    const trusts = Array.isArray(service.trusts) ? (service.trusts as unknown[]) : []
    trusts.forEach((id, position) => {
      if (typeof id === 'string' && !issuerIds.includes(id)) {
        problems.push(document.problemAt(['services', index, 'trusts', position], unknownIssuerMessage(id, issuerIds)))
      }
    })
    urls.push({path: ['services', index, 'jwksUri'], value: service.jwksUri})
    const probe = isRecord(service.probe) ? service.probe : {}
    urls.push({path: ['services', index, 'probe', 'url'], value: probe.url})
    if (typeof service.verifier === 'string' && !(VERIFIER_PROFILE_IDS as readonly string[]).includes(service.verifier)) {
      problems.push(document.problemAt(['services', index, 'verifier'], unknownVerifierMessage(service.verifier)))
    }
    const token = isRecord(probe.token) ? probe.token : {}
    for (const name of Object.keys(isRecord(token.claims) ? token.claims : {})) {
      if (!(RESERVED_CANARY_CLAIMS as readonly string[]).includes(name)) continue
      problems.push(
        document.problemAt(['services', index, 'probe', 'token', 'claims', name], reservedClaimMessage(name), {key: true}),
      )
    }
    if (isRecord(service.cacheBust)) urls.push({path: ['services', index, 'cacheBust', 'url'], value: service.cacheBust.url})
    for (const [name, value] of Object.entries(isRecord(probe.headers) ? probe.headers : {})) {
      if (!CREDENTIAL_HEADER.test(name)) continue
      registerHeader(value, secrets)
      problems.push(
        document.problemAt(
          ['services', index, 'probe', 'headers', name],
          `probe header '${name}' holds a credential: remove it; the probe sends the canary token itself, and ${CREDENTIAL_HINT}`,
          {key: true},
        ),
      )
    }
  }
  for (const {path, value} of urls) {
    if (typeof value !== 'string') continue
    const message = urlProblem(value, String(path.at(-1)), secrets)
    if (message) problems.push(document.problemAt(path, message))
  }
  for (const {path, value} of hosts) {
    // A bare host name is what these sources expect; only a URL (or user@host) can hide a credential.
    if (typeof value !== 'string' || !(/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(value) || value.includes('@'))) continue
    const url = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(value) ? value : `https://${value}`
    const message = urlProblem(url, String(path.at(-1)), secrets)
    if (message) problems.push(document.problemAt(path, message))
  }
  return problems
}

/**
 * What is valid but breaks later (issue 15): a service the containment proof cannot probe, one whose
 * cache lifetime must be assumed (saying what is assumed), a Slack channel without its '#'.
 */
function inventoryWarnings(inventory: Inventory, document: Document): Problem[] {
  const warnings = inventory.services.flatMap((service, index) => {
    const at = (...path: DocumentPath) => document.problemAt(['services', index, ...path], '')
    const found: Problem[] = []
    // A drafted inventory (jwkr inventory discover) may not know who owns a service yet.
    if (service.contacts.slack === undefined && service.contacts.email === undefined) {
      found.push({
        ...at('contacts'),
        message: `service '${service.id}' has no contacts: nobody will be told; set contacts.slack or contacts.email`,
      })
    }
    if (service.jwksCacheSeconds === undefined && service.verifier === undefined) {
      found.push({
        ...at('id'),
        message:
          `service '${service.id}' gives neither jwksCacheSeconds nor verifier: the containment clock will assume ` +
          `${DEFAULT_JWKS_CACHE_SECONDS} s; set jwksCacheSeconds or verifier`,
      })
    }
    if (service.probe === undefined) {
      found.push({
        ...at('id'),
        message:
          `service '${service.id}' has no probe: containment can be proven for it only by its JWKS cache running out, ` +
          'never by a canary it rejects; add probe: {url: …} (a request it answers 401 to a bad token)',
      })
    }
    const slack = service.contacts.slack
    if (slack !== undefined && !slack.startsWith('@') && !isSlackChannel(slack)) {
      found.push({...at('contacts', 'slack'), message: `'${slack}' is not a Slack channel: write it with its '#' (#${slack})`})
    }
    return found
  })
  const channel = inventory.notify?.slack?.channel
  if (channel !== undefined && !isSlackChannel(channel)) {
    warnings.push({
      ...document.problemAt(['notify', 'slack', 'channel'], ''),
      message: `'${channel}' is not a Slack channel: write it with its '#' (#${channel})`,
    })
  }
  return warnings
}

type Located = {path: DocumentPath; message: string}

/**
 * Files and folders the inventory names that are not there: an issuer's JWKS file (key.rotate cannot
 * rotate it), the templates folder (reports fall back to nothing), a service's logs (triage reads nothing).
 */
function missingPaths(inventory: Inventory, written: Inventory, surroundings: InventorySurroundings): Located[] {
  const found: Located[] = []
  inventory.issuers.forEach((issuer, index) => {
    const source = issuer.keySource
    if (source.type !== 'jwks-file' || surroundings.exists(source.path)) return
    const given = (written.issuers[index]?.keySource as {path?: string} | undefined)?.path ?? source.path
    found.push({
      path: ['issuers', index, 'keySource', 'path'],
      message:
        `issuer '${issuer.id}': the JWKS file ${given} does not exist (${source.path}): rotating this issuer's key would fail; ` +
        'fix the path (it is relative to the inventory file) or create the file',
    })
  })
  if (inventory.templates !== undefined && !surroundings.exists(inventory.templates)) {
    found.push({
      path: ['templates'],
      message: `the templates folder ${written.templates ?? ''} does not exist (${inventory.templates}): reports and messages would fail; fix the path or remove templates:`,
    })
  }
  inventory.services.forEach((service, index) => {
    const missing = (service.logs ?? []).filter((path) => !surroundings.exists(path))
    if (missing.length === 0) return
    found.push({
      path: ['services', index, 'logs'],
      message: `service '${service.id}': ${missing.length === 1 ? 'the log path' : 'the log paths'} ${missing.join(', ')} ${missing.length === 1 ? 'does' : 'do'} not exist: token triage would read nothing there`,
    })
  })
  return found
}

/** A warning for each need none of whose alternatives is wholly set: the variables named, never a value. */
function unsetCredentials(checks: CredentialCheck[]): Located[] {
  return checks
    .filter((check) => !check.satisfied)
    .map((check) => {
      const single = check.anyOf.length === 1 && check.anyOf[0]?.length === 1
      const unset = check.anyOf
        .flat()
        .filter((variable) => !variable.set)
        .map((variable) => variable.name)
      const state = single
        ? 'which is not set in this environment: export it'
        : `not set in this environment (missing: ${unset.join(', ')}): export them`
      return {
        path: check.path,
        message: `${check.subject} needs ${describeCredentials(check)}, ${state} before a response (credentials come from the environment, never from the inventory)`,
      }
    })
}

/** '#name', or a channel id as Slack's API gives it (C0123ABCD). */
function isSlackChannel(text: string): boolean {
  return text.startsWith('#') || /^[CG][A-Z0-9]{8,}$/.test(text)
}

function duplicateIds(
  noun: string,
  section: string,
  entries: [number, Record<string, unknown>][],
  document: Document,
): Problem[] {
  const first = new Map<string, number>()
  const problems: Problem[] = []
  for (const [index, entry] of entries) {
    if (typeof entry.id !== 'string') continue
    const earlier = first.get(entry.id)
    if (earlier === undefined) {
      first.set(entry.id, index)
      continue
    }
    const line = document.locate([section, earlier, 'id']).line
    problems.push(document.problemAt([section, index, 'id'], `duplicate ${noun} id '${entry.id}' (first used at line ${line})`))
  }
  return problems
}

function unknownTypeMessage(type: string): string {
  const guess = suggestion(type, ISSUER_KEY_STORE_TYPES)
  return `unknown keySource type '${type}'${guess ? ` (did you mean '${guess}'?)` : ''}; the known types are ${ISSUER_KEY_STORE_TYPES.join(', ')}`
}

function unknownVerifierMessage(verifier: string): string {
  const guess = suggestion(verifier, VERIFIER_PROFILE_IDS)
  return `unknown verifier '${verifier}'${guess ? ` (did you mean '${guess}'?)` : ''}; the known verifiers are ${VERIFIER_PROFILE_IDS.join(', ')}`
}

function reservedClaimMessage(name: string): string {
  const instead = name === 'aud' ? '; give the audience as probe.token.aud' : ''
  return (
    `probe.token.claims must not set '${name}': jwkr sets ${RESERVED_CANARY_CLAIMS.join(', ')} itself ` +
    `(they label the canary and bound its life)${instead}`
  )
}

function unknownIssuerMessage(id: string, issuerIds: string[]): string {
  const guess = suggestion(id, issuerIds)
  if (guess) return `trusts '${id}', which is not an issuer id in this inventory (did you mean '${guess}'?)`
  const known = issuerIds.length > 0 ? `; the issuers are ${issuerIds.join(', ')}` : '; the inventory lists no issuer'
  return `trusts '${id}', which is not an issuer id in this inventory${known}`
}

/** Why a URL cannot be used, or null. Never quotes the URL: it may hold a credential. */
function urlProblem(value: string, name: string, secrets: SecretRegistry | undefined): string | null {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return `'${name}' is not a valid URL`
  }
  // Every credential is registered before any problem is reported: a URL may hold both kinds.
  const parameters = [...url.searchParams].filter(([parameter]) => CREDENTIAL_PARAMETER.test(parameter))
  for (const secret of [url.username, url.password, ...parameters.map(([, value]) => value)]) registerValue(secret, secrets)
  if (url.username !== '' || url.password !== '') {
    return `'${name}' holds credentials (user:password@ in the URL): remove them; ${CREDENTIAL_HINT}`
  }
  if (parameters.length > 0) {
    const names = parameters.map(([parameter]) => parameter).join(', ')
    return `'${name}' holds a credential in its query (${names}): remove it; ${CREDENTIAL_HINT}`
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `'${name}' must be an http or https URL (got ${url.protocol})`
  return null
}

function registerValue(value: string, secrets: SecretRegistry | undefined): void {
  if (!secrets || value === '') return
  secrets.add(value)
  try {
    secrets.add(decodeURIComponent(value))
  } catch {
    // Not percent-encoded: registered as written.
  }
}

function registerHeader(value: unknown, secrets: SecretRegistry | undefined): void {
  if (typeof value !== 'string') return
  registerValue(value, secrets)
  // `Bearer xyz`, `Basic xyz`: the credential is the part after the scheme.
  for (const part of value.split(/\s+/)) registerValue(part, secrets)
}

/** A copy with defaults filled in and file paths resolved against the inventory's folder. */
function toInventory(raw: Inventory, baseDir: string): Inventory {
  const copy = structuredClone(raw)
  const at = (path: string) => resolve(baseDir, path)
  return {
    ...copy,
    issuers: copy.issuers.map((issuer) =>
      issuer.keySource.type === 'jwks-file'
        ? {...issuer, keySource: {...issuer.keySource, path: at(issuer.keySource.path)}}
        : issuer,
    ),
    services: (copy.services ?? []).map((service) => withServiceDefaults(service, at)),
    ...(copy.templates === undefined ? {} : {templates: at(copy.templates)}),
  }
}

/**
 * A service as the rest of jwkr reads it: the probe's method GET unless given, the cache lifetime in
 * seconds (the file may write a duration, 10m), logs a list of resolved paths (the file may give one).
 */
function withServiceDefaults(service: InventoryService, at: (path: string) => string): InventoryService {
  const written = service as InventoryService & {jwksCacheSeconds?: number | string; logs?: string[] | string}
  const logs = written.logs === undefined ? undefined : (typeof written.logs === 'string' ? [written.logs] : written.logs).map(at)
  const cache = written.jwksCacheSeconds
  return {
    ...service,
    ...(service.probe ? {probe: {...service.probe, method: service.probe.method ?? 'GET'}} : {}),
    ...(typeof cache === 'string' ? {jwksCacheSeconds: Math.round(parseDuration(cache) / 1000)} : {}),
    ...(logs === undefined ? {} : {logs}),
  }
}

function recordsAt(value: unknown): [number, Record<string, unknown>][] {
  if (!Array.isArray(value)) return []
  return value.flatMap((item, index) => (isRecord(item) ? [[index, item] as [number, Record<string, unknown>]] : []))
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}
