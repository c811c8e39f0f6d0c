// services.bust-caches: relying parties keep a removed key while their JWKS cache lives, some for
// hours. Where a service declares a cache-bust hook (inventory `cacheBust`), call it once the leaked
// key is gone from the issuers, so containment does not wait for the slowest cache.
import {JwkrError} from '../../core/errors.js'
import {inventoryNotFound} from '../../core/inventory/load-inventory.js'
import {loadInventory} from '../../services/inventory.js'
import type {InventoryService} from '../../core/inventory/types.js'
import {defineStep} from '../define-step.js'
import {Type, type Static} from '../step-schema.js'
import type {PlannedCall, StepContext} from '../types.js'
import {prose} from '../../core/prose.js'

const ids = Type.Array(Type.String())
const BustCachesInput = Type.Object(
  {
    /** Only these services (default: every service with a hook). */
    services: Type.Optional(ids),
  },
  {additionalProperties: false},
)
const BustCachesOutput = Type.Object({
  busted: ids,
  failed: Type.Array({type: 'object', required: ['service', 'error']} as const),
  /** Services in scope without a hook: their caches expire on their own (the containment clock). */
  withoutHook: ids,
})
export type BustCachesInput = Static<typeof BustCachesInput>
export type BustCachesOutput = Static<typeof BustCachesOutput>

const HOOK_TIMEOUT_MS = 5000

export const servicesBustCaches = defineStep({
  id: 'services.bust-caches',
  title: 'Make relying parties drop their cached keys',
  description: prose`
    Calls each dependent service’s cache-bust hook (inventory cacheBust) so it fetches the key set again at once and
    stops accepting the removed key, instead of trusting it until its cache expires.`,
  inputSchema: BustCachesInput,
  outputSchema: BustCachesOutput,
  sideEffects: true,
  requiresInventory: true,
  async plan(input, context) {
    const scope = await servicesInScope(input, context)
    const calls: PlannedCall[] = scope
      .filter((service) => service.cacheBust)
      .map((service) => ({
        kind: 'http',
        target: `${service.cacheBust?.method ?? 'POST'} ${service.cacheBust?.url}`,
        description: `Make ${service.id} drop its cached key set.`,
      }))
    return calls.length > 0
      ? calls
      : [{kind: 'none', target: 'inventory', description: 'No service in scope declares a cache-bust hook.'}]
  },
  async run(input, context) {
    const scope = await servicesInScope(input, context)
    if (scope.length === 0) return context.skip('no dependent service: no cache to bust')
    if (!scope.some((service) => service.cacheBust)) {
      return context.skip(
        `no cache-bust hook: none of ${scope.map((service) => service.id).join(', ')} declares one, so their caches ` +
          'drop the key only when they expire (the containment clock)',
      )
    }
    const outputs: BustCachesOutput = {busted: [], failed: [], withoutHook: []}
    for (const service of scope) {
      const hook = service.cacheBust
      if (!hook) {
        outputs.withoutHook.push(service.id)
        continue
      }
      const method = hook.method ?? 'POST'
      try {
        // Busting a cache twice is harmless: after a crash, "did it happen?" is always answered "no".
        const ref = await context.effect(
          `${context.incident.id}:bust-cache:${service.id}`,
          `${method} ${hook.url}`,
          () => callHook(hook.url, method, context.signal),
          async () => undefined,
        )
        await context.record('containment.cache-bust', {service: service.id, url: hook.url, method, ...ref})
        outputs.busted.push(service.id)
      } catch (error) {
        outputs.failed.push({service: service.id, error: error instanceof Error ? error.message : String(error)})
      }
    }
    if (outputs.busted.length === 0) {
      throw new JwkrError(
        'ERR_STEP_FAILED',
        `No cache-bust hook worked: ${outputs.failed.map((failure) => `${failure.service} (${failure.error})`).join('; ')}`,
        {hint: 'Ask the services’ teams to reload their key sets; containment waits for their caches otherwise.'},
      )
    }
    return outputs
  },
})

async function servicesInScope(input: BustCachesInput, context: StepContext): Promise<InventoryService[]> {
  if (context.inventoryPath === null) throw inventoryNotFound(null)
  const inventory = await loadInventory(context.inventoryPath, {secrets: context.secrets})
  const wanted = input.services === undefined ? undefined : new Set(input.services)
  return inventory.services.filter((service) => wanted === undefined || wanted.has(service.id))
}

async function callHook(url: string, method: string, signal: AbortSignal): Promise<{httpStatus: number}> {
  const response = await fetch(url, {method, signal: AbortSignal.any([signal, AbortSignal.timeout(HOOK_TIMEOUT_MS)])})
  await response.arrayBuffer()
  if (!response.ok) {
    throw new JwkrError('ERR_STEP_FAILED', `The cache-bust hook ${method} ${url} answered HTTP ${response.status}.`, {
      hint: 'Ask the service’s team to restart it or reload its key set; containment waits for its cache otherwise.',
    })
  }
  return {httpStatus: response.status}
}
