// The inventory as commands and steps get it: the file read (a regular file of at most 4 MiB, through
// adapters/fs) and checked whole by core's checkInventory before anything uses it.
import {existsSync} from 'node:fs'

import {readBoundedText} from '../adapters/fs/read-bounded-file.js'
import {
  checkInventory,
  inventoryNotFound,
  invalidInventory,
  type CheckInventoryOptions,
  type InventoryCheck,
} from '../core/inventory/load-inventory.js'
import type {SecretRegistry} from '../core/secrets.js'
import type {Inventory} from '../core/inventory/types.js'

/**
 * Reads and checks an inventory file.
 *
 * @throws JwkrError ERR_INVENTORY_NOT_FOUND when there is no such file, ERR_INVENTORY_INVALID
 *   (details.problems = every problem) when anything in it is wrong.
 */
export async function loadInventory(path: string, options: Omit<CheckInventoryOptions, 'baseDir'> = {}): Promise<Inventory> {
  const {inventory, problems} = checkInventory(await readInventoryText(path), path, options)
  if (!inventory) throw invalidInventory(path, problems)
  return inventory
}

/** Thousands of services fit in well under this. */
export const MAX_INVENTORY_BYTES = 4 * 1024 * 1024

/** The text of an inventory file (a regular file of at most 4 MiB); a missing file is ERR_INVENTORY_NOT_FOUND. */
export async function readInventoryText(path: string): Promise<string> {
  return readBoundedText(path, {maxBytes: MAX_INVENTORY_BYTES, what: 'an inventory', notFound: inventoryNotFound})
}

/**
 * `jwkr inventory validate`: the file checked whole, and what is valid but breaks later, in this
 * environment: files and folders it names that are missing, credentials its key stores need that are unset.
 */
export async function validateInventory(
  path: string,
  options: {secrets: SecretRegistry; env: Record<string, string | undefined>},
): Promise<InventoryCheck> {
  const text = await readInventoryText(path)
  return checkInventory(text, path, {secrets: options.secrets, surroundings: {exists: existsSync, env: options.env}})
}
