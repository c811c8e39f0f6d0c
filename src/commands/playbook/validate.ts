import {Args} from '@oclif/core'

import {JwkrCommand} from '../../cli/base-command.js'
import {ExitCode} from '../../core/errors.js'
import {formatProblems, type Problem} from '../../core/yaml/load-yaml-document.js'
import {locatePlaybook} from '../../playbook/builtin-playbooks.js'
import {checkPlaybook, readPlaybookText, registerPlaybookSecrets} from '../../playbook/load-playbook.js'
import {createRegistry} from '../../playbook/registry.js'
import {builtinSteps} from '../../playbook/steps/index.js'
import {prose} from '../../core/prose.js'

export interface PlaybookValidateResult {
  valid: boolean
  file: string
  name: string | null
  steps: number | null
  problems: Problem[]
}

export default class PlaybookValidate extends JwkrCommand {
  static override summary = 'Check a playbook without running it.'
  static override description = prose`
    Checks the whole playbook against the schema, the registered steps and their inputs, and every expression and
    what it refers to. Prints every problem as file:line:column (as compilers do, so editors can jump to it) and
    exits 1 when there is any.`
  static override examples = [
    '<%= config.bin %> <%= command.id %> ./my-playbook.yaml',
    '<%= config.bin %> <%= command.id %> leaked-signing-key',
    '<%= config.bin %> <%= command.id %> ./my-playbook.yaml --json',
  ]
  static override args = {playbook: Args.string({required: true, description: 'A playbook file (or a built-in playbook name).'})}

  async run(): Promise<PlaybookValidateResult> {
    const {args} = await this.parse(PlaybookValidate)
    const {file} = locatePlaybook(args.playbook)
    const {playbook, problems, raw} = checkPlaybook(await readPlaybookText(file), file, createRegistry(builtinSteps()))
    registerPlaybookSecrets(raw, this.secrets)
    const result: PlaybookValidateResult = {
      valid: problems.length === 0,
      file,
      name: playbook?.name ?? null,
      steps: playbook?.steps.length ?? null,
      problems,
    }
    if (result.valid) {
      if (!this.jsonEnabled())
        this.log(
          `${this.style.green('valid')}: ${file} (${result.name}, ${result.steps === 1 ? '1 step' : `${result.steps} steps`})`,
        )
      return result
    }
    if (this.jsonEnabled()) {
      this.logJson(result)
    } else {
      const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`
      this.logToStderr(`${formatProblems(problems)}\n${count} in ${file}`)
    }
    return this.exit(ExitCode.failure)
  }
}
