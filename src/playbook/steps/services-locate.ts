// services.locate: who publishes the leaked key and who depends on it, from the inventory and the
// live JWKS endpoints it names. Its outputs (publishing issuers, dependent services) are what the
// containment and notification steps act on; every endpoint's answer is journaled as evidence.
import {DEFAULT_CONCURRENCY, locateKey, plannedFetches} from '../../services/locate.js'
import {loadKeySource} from '../../services/identify.js'
import {DURATION_PATTERN, parseDuration} from '../../core/duration.js'
import {JwkrError} from '../../core/errors.js'
import {leakedKeyOf, leakedKeyRef} from '../../core/inventory/leaked-key.js'
import {formatProvenance} from '../../core/discover/types.js'
import {loadInventory} from '../../services/inventory.js'
import type {LocateEndpoint, LocateResult} from '../../core/inventory/locate.js'
import {renderLocateMermaid} from '../../core/inventory/locate-mermaid.js'
import {discoverInventory, noIssuerFound} from '../../services/discover/discover-inventory.js'
import {createDiscoveryReaders} from '../../services/discover/discovery-readers.js'
import {defineStep} from '../define-step.js'
import {Type, type Static} from '../step-schema.js'
import {leakedKeyInput} from './leaked-key-input.js'
import {planFromInventory} from './plan-from-inventory.js'
import {INVENTORY_DISCOVERED, type PlannedCall, type StepContext} from '../types.js'
import {writeArtifact} from '../write-artifact.js'
import {prose} from '../../core/prose.js'

const ServicesLocateInput = Type.Object(
  {
    ...leakedKeyInput,
    concurrency: Type.Optional(
      Type.Integer({minimum: 1, description: `Requests in flight at once (default ${DEFAULT_CONCURRENCY}).`}),
    ),
    timeout: Type.Optional(
      Type.String({pattern: DURATION_PATTERN, title: 'duration like 5s', description: 'Per request (default 5s).'}),
    ),
    strict: Type.Optional(Type.Boolean({description: 'Fail the step when any endpoint could not be read.'})),
    discover: Type.Optional(
      Type.Array(Type.String({minLength: 1}), {
        description: 'Without an inventory: folders to discover who trusts which issuer from (jwkr inventory discover).',
      }),
    ),
    backstage: Type.Optional(
      Type.String({minLength: 1, description: 'Without an inventory: a Backstage catalog file or URL to read too.'}),
    ),
  },
  {additionalProperties: false},
)
const ids = Type.Array(Type.String())
const ServicesLocateOutput = Type.Object(
  {
    thumbprint: Type.String(),
    /** Issuer ids that serve the leaked key. */
    publishing: ids,
    /** The kids the issuers serve it under: the tokens to look for, and what every canary carries. */
    publishedKids: ids,
    /** Service ids that trust a publishing issuer or serve the key themselves. */
    dependents: ids,
    /** Issuer ids whose JWKS could not be read: they may publish it. */
    uncheckedIssuers: ids,
    endpoints: Type.Integer({minimum: 0}),
    /** URLs that could not be read. */
    failedEndpoints: ids,
    findings: Type.Integer({minimum: 0}),
    /** The messages of the critical findings (a JWKS serving private members). */
    criticalFindings: ids,
    /** The locate document (the `--json` of `jwkr services locate`). */
    artifact: Type.String(),
    /** A Mermaid graph of issuers, services and the key, for the report. */
    graph: Type.String(),
  },
  {additionalProperties: false},
)
export type ServicesLocateInput = Static<typeof ServicesLocateInput>
export type ServicesLocateOutput = Static<typeof ServicesLocateOutput>

export const LOCATE_ARTIFACT = 'locate.json'
export const LOCATE_GRAPH = 'locate.mmd'

export const servicesLocate = defineStep({
  id: 'services.locate',
  title: 'Find who publishes the key and who trusts it',
  description: prose`
    Fetches the JWKS of every issuer and service in the inventory and matches on the key’s thumbprint (never the kid
    alone): the issuers that publish it are the ones to rotate, the services that trust them are the ones to warn
    and probe. Reads only; an endpoint that cannot be reached is listed, not fatal.`,
  inputSchema: ServicesLocateInput,
  outputSchema: ServicesLocateOutput,
  sideEffects: false,
  requiresInventory: true,
  // Without an inventory it discovers one when told where to look.
  discoversInventory: (input) => (input.discover ?? []).length > 0 || input.backstage !== undefined,
  plan: (input, context) =>
    context.inventoryPath === null ? Promise.resolve(discoveryPlan(input)) : planFromInventory(context, plannedFetches),
  async run(input, context) {
    const key = leakedKeyOf(
      await loadKeySource(input.key, {secrets: context.secrets, kid: input.kid, thumbprint: input.thumbprint}),
    )
    const leaked = leakedKeyRef(key)
    const inventoryPath = context.inventoryPath ?? (await discoverOnTheSpot(input, context))
    const inventory = await loadInventory(inventoryPath, {secrets: context.secrets})
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

export const DISCOVERED_INVENTORY = 'discovered.inventory.yaml'

function discoveryPlan(input: ServicesLocateInput): PlannedCall[] {
  const sources = [...(input.discover ?? []), ...(input.backstage ? [input.backstage] : [])]
  if (sources.length === 0) return []
  return [
    {
      kind: 'none',
      target: sources.join(', '),
      description: `No inventory: discover who trusts which issuer from ${sources.join(', ')}, then fetch the JWKS it names`,
    },
  ]
}

/**
 * No inventory given: discovers one from the folders (and catalog) named, keeps it as an artifact and
 * journals what was found and from where (inventory.discovered), which makes it the run's inventory.
 */
async function discoverOnTheSpot(input: ServicesLocateInput, context: StepContext): Promise<string> {
  if ((input.discover ?? []).length === 0 && input.backstage === undefined) {
    return context.skip('no inventory (pass --inventory FILE, create ./jwkr.inventory.yaml, or --discover PATH)')
  }
  context.progress({message: 'discovering the inventory…'})
  const draft = await discoverInventory({
    paths: input.discover ?? [],
    backstage: input.backstage,
    secrets: context.secrets,
    ...createDiscoveryReaders({secrets: context.secrets, env: context.env}),
  })
  const file = await writeArtifact(context, DISCOVERED_INVENTORY, draft.yaml)
  await context.record(INVENTORY_DISCOVERED, {
    file,
    sources: draft.sources,
    issuers: draft.issuers.map(({issuer, from, toConfirm}) => ({
      id: issuer.id,
      issuer: issuer.issuer,
      keySource: issuer.keySource.type,
      from: from.map(formatProvenance),
      toConfirm,
    })),
    services: draft.services.map(({service, from}) => ({
      id: service.id,
      trusts: service.trusts,
      from: Object.fromEntries(Object.entries(from).map(([field, list]) => [field, list.map(formatProvenance)])),
    })),
    unresolved: draft.unresolved.map((finding) => ({
      service: finding.service,
      field: finding.field,
      value: finding.value,
      at: formatProvenance(finding.at),
      reason: finding.reason,
    })),
  })
  if (draft.issuers.length === 0) throw noIssuerFound(draft)
  return file
}

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
