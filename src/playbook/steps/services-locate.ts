// services.locate: who publishes the leaked key and who depends on it, from the inventory and the
// live JWKS endpoints it names. Its outputs (publishing issuers, dependent services) are what the
// containment and notification steps act on; every endpoint's answer is journaled as evidence.
import {DEFAULT_CONCURRENCY, locateKey, plannedFetches} from '../../services/locate.js'
import {loadKeySource} from '../../services/identify.js'
import {DURATION_PATTERN, parseDuration} from '../../core/duration.js'
import {JwkrError} from '../../core/errors.js'
import {leakedKeyOf, leakedKeyRef} from '../../core/inventory/leaked-key.js'
import {inventoryNotFound} from '../../core/inventory/load-inventory.js'
import {loadInventory} from '../../services/inventory.js'
import type {LocateEndpoint, LocateResult} from '../../core/inventory/locate.js'
import {renderLocateMermaid} from '../../core/inventory/locate-mermaid.js'
import type {Inventory} from '../../core/inventory/types.js'
import {defineStep} from '../define-step.js'
import {leakedKeyInput} from './leaked-key-input.js'
import {writeArtifact} from '../write-artifact.js'

export interface ServicesLocateInput {
  key: string
  kid?: string
  thumbprint?: string
  concurrency?: number
  timeout?: string
  strict?: boolean
}

export interface ServicesLocateOutput extends Record<string, unknown> {
  thumbprint: string
  /** Issuer ids that serve the leaked key. */
  publishing: string[]
  /** The kids the issuers serve it under: the tokens to look for, and what every canary carries. */
  publishedKids: string[]
  /** Service ids that trust a publishing issuer or serve the key themselves. */
  dependents: string[]
  /** Issuer ids whose JWKS could not be read: they may publish it. */
  uncheckedIssuers: string[]
  endpoints: number
  /** URLs that could not be read. */
  failedEndpoints: string[]
  findings: number
  /** The messages of the critical findings (a JWKS serving private members). */
  criticalFindings: string[]
  /** The locate document (the `--json` of `jwkr services locate`). */
  artifact: string
  /** A Mermaid graph of issuers, services and the key, for the report. */
  graph: string
}

export const LOCATE_ARTIFACT = 'locate.json'
export const LOCATE_GRAPH = 'locate.mmd'

const ids = {type: 'array', items: {type: 'string'}}

export const servicesLocate = defineStep<ServicesLocateInput, ServicesLocateOutput>({
  id: 'services.locate',
  title: 'Find who publishes the key and who trusts it',
  description:
    'Fetches the JWKS of every issuer and service in the inventory and matches on the key’s thumbprint (never the kid ' +
    'alone): the issuers that publish it are the ones to rotate, the services that trust them are the ones to warn and ' +
    'probe. Reads only; an endpoint that cannot be reached is listed, not fatal.',
  inputSchema: {
    type: 'object',
    required: ['key'],
    additionalProperties: false,
    properties: {
      ...leakedKeyInput,
      concurrency: {type: 'integer', minimum: 1, description: `Requests in flight at once (default ${DEFAULT_CONCURRENCY}).`},
      timeout: {type: 'string', pattern: DURATION_PATTERN, title: 'duration like 5s', description: 'Per request (default 5s).'},
      strict: {type: 'boolean', description: 'Fail the step when any endpoint could not be read.'},
    },
  },
  outputSchema: {
    type: 'object',
    additionalProperties: false,
    required: [
      'thumbprint',
      'publishing',
      'publishedKids',
      'dependents',
      'uncheckedIssuers',
      'endpoints',
      'failedEndpoints',
      'findings',
      'criticalFindings',
      'artifact',
      'graph',
    ],
    properties: {
      thumbprint: {type: 'string'},
      publishing: ids,
      publishedKids: ids,
      dependents: ids,
      uncheckedIssuers: ids,
      endpoints: {type: 'integer', minimum: 0},
      failedEndpoints: ids,
      findings: {type: 'integer', minimum: 0},
      criticalFindings: ids,
      artifact: {type: 'string'},
      graph: {type: 'string'},
    },
  },
  sideEffects: false,
  requiresInventory: true,
  async plan(_input, context) {
    if (context.inventoryPath === null) return []
    let inventory: Inventory
    try {
      inventory = await loadInventory(context.inventoryPath, {secrets: context.secrets})
    } catch (error) {
      if (!(error instanceof JwkrError)) throw error
      // A plan never throws for bad input: the step itself fails with the whole error when it runs.
      const first = error.message.split('\n')[0] ?? error.message
      return [
        {kind: 'none', target: context.inventoryPath, description: `Cannot plan: ${first} The step will fail until it is fixed.`},
      ]
    }
    return plannedFetches(inventory)
  },
  async run(input, context) {
    if (context.inventoryPath === null) throw inventoryNotFound(null)
    const key = leakedKeyOf(
      await loadKeySource(input.key, {secrets: context.secrets, kid: input.kid, thumbprint: input.thumbprint}),
    )
    const leaked = leakedKeyRef(key)
    const inventory = await loadInventory(context.inventoryPath, {secrets: context.secrets})
    const result = await locateKey(inventory, leaked, {
      secrets: context.secrets,
      concurrency: input.concurrency ?? DEFAULT_CONCURRENCY,
      timeoutMs: parseDuration(input.timeout ?? '5s'),
      signal: context.signal,
      onProgress: ({done, total, url}) =>
        context.progress({message: `${done}/${total} endpoints · ${url}`, fraction: done / total}),
    })
    for (const endpoint of result.endpoints) await context.record('locate.endpoint', endpointEvidence(endpoint))
    const artifact = await writeArtifact(context, LOCATE_ARTIFACT, result)
    const graph = await writeArtifact(context, LOCATE_GRAPH, renderLocateMermaid(result))
    const failed = result.endpoints.filter((endpoint) => !endpoint.ok)
    if (input.strict && failed.length > 0) {
      throw new JwkrError(
        'ERR_LOCATE_INCOMPLETE',
        `${failed.length} endpoint(s) could not be read: ${failed.map((endpoint) => endpoint.url).join(', ')}.`,
        {hint: `The report so far is in ${artifact}. Fix or remove those endpoints in the inventory, or run without strict.`},
      )
    }
    return outputsOf(result, artifact, graph)
  },
})

/** What the journal keeps of one endpoint: the request, the answer and what it served (public only). */
function endpointEvidence(endpoint: LocateEndpoint): Record<string, unknown> {
  return {
    url: endpoint.url,
    kind: endpoint.kind,
    owners: endpoint.owners,
    ok: endpoint.ok,
    httpStatus: endpoint.httpStatus,
    error: endpoint.error,
    durationMs: endpoint.durationMs,
    attempts: endpoint.attempts,
    keys: endpoint.keys.map((key) => ({kid: key.kid, kty: key.kty, alg: key.alg, use: key.use, thumbprint: key.thumbprint})),
    servesLeakedKey: endpoint.servesLeakedKey,
    privateMembersServed: endpoint.privateMembersServed,
    ...(endpoint.signingAlgs ? {signingAlgs: endpoint.signingAlgs} : {}),
  }
}

function outputsOf(result: LocateResult, artifact: string, graph: string): ServicesLocateOutput {
  return {
    thumbprint: result.thumbprint,
    publishing: result.issuers.filter((issuer) => issuer.publishes).map((issuer) => issuer.id),
    publishedKids: [
      ...new Set(result.issuers.flatMap((issuer) => (issuer.publishes && issuer.kid !== null ? [issuer.kid] : []))),
    ],
    dependents: result.services.map((service) => service.id),
    uncheckedIssuers: result.issuers.filter((issuer) => issuer.publishes === null).map((issuer) => issuer.id),
    endpoints: result.endpoints.length,
    failedEndpoints: result.endpoints.filter((endpoint) => !endpoint.ok).map((endpoint) => endpoint.url),
    findings: result.findings.length,
    criticalFindings: result.findings.filter((finding) => finding.severity === 'critical').map((finding) => finding.message),
    artifact,
    graph,
  }
}
