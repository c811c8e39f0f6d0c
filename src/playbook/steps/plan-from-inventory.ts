// The plan of a step that reads the inventory (services.locate, containment.verify): no inventory, no
// calls; an inventory that does not load gives one line saying so, because a plan never throws for bad
// input (the step itself fails with the whole error when it runs).
import {JwkrError} from '../../core/errors.js'
import {loadInventory} from '../../services/inventory.js'
import type {Inventory} from '../../core/inventory/types.js'
import type {PlannedCall, StepContext} from '../types.js'

export async function planFromInventory(
  context: StepContext,
  plan: (inventory: Inventory) => PlannedCall[],
): Promise<PlannedCall[]> {
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
  return plan(inventory)
}
