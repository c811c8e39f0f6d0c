import {Args} from '@oclif/core'

import {JwkrCommand} from '../../cli/base-command.js'
import {resolveInventoryPath} from '../../cli/run-playbook-command.js'
import {ExitCode} from '../../core/errors.js'
import {checkInventory, inventoryNotFound} from '../../core/inventory/load-inventory.js'
import {readInventoryText} from '../../services/inventory.js'
import {formatProblems, type Problem} from '../../core/yaml/load-yaml-document.js'

export interface InventoryValidateResult {
  valid: boolean
  file: string
  issuers: number | null
  services: number | null
  problems: Problem[]
  /** What does not make the file invalid but weakens the response (only for a valid file). */
  warnings: Problem[]
}

export default class InventoryValidate extends JwkrCommand {
  static override summary = 'Check an inventory file.'
  static override description =
    'Checks the inventory against its JSON Schema (`jwkr inventory schema`) and what a schema cannot say: every id in ' +
    '`trusts` names an issuer, ids are unique, URLs are http(s) and hold no credentials, each keySource has the fields ' +
    'its type needs. Prints every problem as file:line:column (as compilers do, so editors can jump to it) and exits 1 ' +
    'when there is any. Warns, without failing, about each service with neither jwksCacheSeconds nor verifier (the ' +
    'containment clock would have to assume its cache lifetime). Without FILE it checks JWKR_INVENTORY, else ./jwkr.inventory.yaml.'
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
    if (file === null) throw inventoryNotFound(null)
    const {inventory, problems, warnings} = checkInventory(await readInventoryText(file), file, {secrets: this.secrets})
    const result: InventoryValidateResult = {
      valid: problems.length === 0,
      file,
      issuers: inventory?.issuers.length ?? null,
      services: inventory?.services.length ?? null,
      problems,
      warnings,
    }
    if (inventory) {
      if (!this.jsonEnabled()) {
        const warned = warnings.length > 0 ? `, ${plural(warnings.length, 'warning')}` : ''
        this.log(
          `${this.style.green('valid')}: ${file} (${plural(inventory.issuers.length, 'issuer')}, ${plural(inventory.services.length, 'service')}${warned})`,
        )
        if (warnings.length > 0) this.logToStderr(formatProblems(warnings.map(asWarning)))
      }
      return result
    }
    if (this.jsonEnabled()) this.logJson(result)
    else this.logToStderr(`${formatProblems(problems)}\n${plural(problems.length, 'problem')} in ${file}`)
    return this.exit(ExitCode.failure)
  }
}

function asWarning(problem: Problem): Problem {
  return {...problem, message: `warning: ${problem.message}`}
}

function plural(count: number, one: string): string {
  return `${count} ${count === 1 ? one : `${one}s`}`
}
