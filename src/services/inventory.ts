// The inventory as commands and steps get it: the file read (a regular file of at most 4 MiB, through
// adapters/fs) and checked whole by core's checkInventory before anything uses it.
import {existsSync} from 'node:fs'
import {basename} from 'node:path'

import {readBoundedText} from '../adapters/fs/read-bounded-file.js'
import {writeOutputFile} from '../adapters/fs/write-output-file.js'
import {JwkrError} from '../core/errors.js'
import {renderInventory, type InventoryAnswers} from '../core/inventory/inventory-skeleton.js'
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

/**
 * `jwkr inventory init`: writes a first inventory (the answers, or a skeleton of example values) that
 * passes validation, and never over an existing file unless `force`.
 *
 * @throws JwkrError ERR_INVENTORY_EXISTS when `path` exists and `force` is not set.
 */
export async function initInventory(
  path: string,
  answers: InventoryAnswers | null,
  options: {force: boolean; secrets: SecretRegistry},
): Promise<{file: string; check: InventoryCheck}> {
  if (!options.force) assertNoInventoryAt(path)
  const text = renderInventory(answers, basename(path))
  const check = checkInventory(text, path, {secrets: options.secrets})
  // The prompts check each answer, so this is a bug, not a typo: say what would have been written.
  if (!check.inventory) throw invalidInventory(path, check.problems)
  await writeOutputFile(path, text, {hint: 'Choose a path in a folder you can write to: jwkr inventory init FILE.'})
  return {file: path, check}
}

/** ERR_INVENTORY_EXISTS: checked before any question is asked, so nobody answers them for nothing. */
export function assertNoInventoryAt(path: string): void {
  if (!existsSync(path)) return
  throw new JwkrError('ERR_INVENTORY_EXISTS', `${path} exists already: jwkr inventory init does not overwrite it.`, {
    hint: `Check it with \`jwkr inventory validate ${path}\`, write the new one elsewhere (jwkr inventory init FILE), or replace it with --force.`,
    details: {file: path},
  })
}
