import {Args} from '@oclif/core'

import {JwkrCommand} from '../../cli/base-command.js'
import {resolveInventoryPath} from '../../cli/run-playbook-command.js'
import {ExitCode, JwkrError} from '../../core/errors.js'
import type {CredentialCheck} from '../../core/inventory/credentials.js'
import {inventoryNotFound} from '../../core/inventory/load-inventory.js'
import {validateInventory} from '../../services/inventory.js'
import {formatPath, formatProblems, formatWarnings, type Problem} from '../../core/yaml/load-yaml-document.js'

export interface InventoryValidateResult {
  valid: boolean
  file: string
  issuers: number | null
  services: number | null
  problems: Problem[]
  /** What does not make the file invalid but weakens the response (only for a valid file). */
  warnings: Problem[]
  /** The credentials its key stores and notifications will need, and whether each variable is set (never its value). */
  credentials: Array<Omit<CredentialCheck, 'path'> & {path: string}>
}

export default class InventoryValidate extends JwkrCommand {
  static override summary = 'Check an inventory file.'
  static override description =
    'Checks the inventory against its JSON Schema (`jwkr inventory schema`) and what a schema cannot say: every id in ' +
    '`trusts` names an issuer, ids are unique, URLs are http(s) and hold no credentials, each keySource has the fields ' +
    'its type needs. Prints every problem as file:line:column (as compilers do, so editors can jump to it) and exits 1 ' +
    'when there is any. Warns, without failing, about what is valid but breaks later: each service with neither ' +
    'jwksCacheSeconds nor verifier (the containment clock would assume 600 s), each service without a probe or ' +
    'contacts, a Slack channel written without its #, a jwks-file, templates folder or log path that does not ' +
    'exist, and each credential the key sources and notifications will need (AUTH0_TOKEN, SLACK_TOKEN, …) that is ' +
    'not set in this environment (named, never printed). Without FILE it checks JWKR_INVENTORY, else ./jwkr.inventory.yaml.'
  static override examples = [
    '<%= config.bin %> <%= command.id %> jwkr.inventory.yaml',
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> ops/jwkr.inventory.yaml --json',
  ]
  static override args = {
    file: Args.string({description: 'The inventory file (default: JWKR_INVENTORY, else ./jwkr.inventory.yaml).'}),
  }

  async run(): Promise<InventoryValidateResult> {
    const {args} = await this.parse(InventoryValidate)
    const file = args.file ?? resolveInventoryPath(undefined)
    const how = 'Name it: jwkr inventory validate FILE (or set JWKR_INVENTORY)'
    if (file === null) throw inventoryNotFound(null, how)
    const checked = await validateInventory(file, {secrets: this.secrets, env: process.env}).catch((error: unknown) => {
      throw error instanceof JwkrError && error.code === 'ERR_INVENTORY_NOT_FOUND' ? inventoryNotFound(file, how) : error
    })
    const {inventory, problems, warnings} = checked
    const result: InventoryValidateResult = {
      valid: problems.length === 0,
      file,
      issuers: inventory?.issuers.length ?? null,
      services: inventory?.services.length ?? null,
      problems,
      warnings,
      credentials: (checked.credentials ?? []).map((check) => ({...check, path: formatPath(check.path)})),
    }
    if (inventory) {
      if (!this.jsonEnabled()) {
        const warned = warnings.length > 0 ? `, ${plural(warnings.length, 'warning')}` : ''
        this.log(
          `${this.style.green('valid')}: ${file} (${plural(inventory.issuers.length, 'issuer')}, ${plural(inventory.services.length, 'service')}${warned})`,
        )
        for (const check of checked.credentials ?? []) this.log(`  ${credentialLine(check)}`)
        if (warnings.length > 0) this.logToStderr(formatWarnings(warnings))
      }
      return result
    }
    if (this.jsonEnabled()) this.logJson(result)
    else this.logToStderr(`${formatProblems(problems)}\n${plural(problems.length, 'problem')} in ${file}`)
    return this.exit(ExitCode.failure)
  }
}

/** `issuer 'okta' (keySource okta) needs OKTA_TOKEN: set`: whether each variable is there, never its value. */
function credentialLine(check: CredentialCheck): string {
  const variables = check.anyOf
    .map((names) => names.map((v) => `${v.name} ${v.set ? 'set' : 'not set'}`).join(' and '))
    .join(', or ')
  return `${check.subject}: ${variables}`
}

function plural(count: number, one: string): string {
  return `${count} ${count === 1 ? one : `${one}s`}`
}
