// Playbook inputs the inventory can answer when the responder gave none (issue 15): the `logs` token
// triage reads are the log files and folders the inventory's services declare (`services[].logs`).
// What was taken from where is said in words, journaled with the opening and shown in the run's header.
import type {SecretRegistry} from '../core/secrets.js'
import {loadInventory} from '../services/inventory.js'
import type {Playbook} from './load-playbook.js'

/**
 * Fills `inputs.logs` from the inventory when the playbook takes a `logs` input and none was given.
 * Returns a line for the run's header saying so, or none. An inventory that cannot be read fills
 * nothing: the steps that read it say what is wrong with it.
 *
 * @example const notes = await inputsFromInventory(playbook, inputs, 'jwkr.inventory.yaml', secrets)
 */
export async function inputsFromInventory(
  playbook: Playbook,
  inputs: Record<string, unknown>,
  inventoryPath: string | null,
  secrets: SecretRegistry,
): Promise<string[]> {
  if (!('logs' in (playbook.inputs ?? {})) || inputs.logs !== undefined || inventoryPath === null) return []
  const inventory = await loadInventory(inventoryPath, {secrets}).catch(() => null)
  const declaring = (inventory?.services ?? []).filter((service) => (service.logs ?? []).length > 0)
  if (declaring.length === 0) return []
  const paths = [...new Set(declaring.flatMap((service) => service.logs ?? []))]
  inputs.logs = paths
  const count = paths.length === 1 ? '1 path' : `${paths.length} paths`
  return [`Logs: the inventory's (no --input logs= given): ${count} of ${declaring.map((service) => service.id).join(', ')}`]
}
