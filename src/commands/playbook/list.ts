import {JwkrCommand} from '../../cli/base-command.js'
import type {Style} from '../../cli/style.js'
import {listPlaybooks, type PlaybookSummary} from '../../playbook/load-playbook.js'
import {createRegistry} from '../../playbook/registry.js'
import {builtinSteps} from '../../playbook/steps/index.js'

export interface PlaybookListResult {
  playbooks: PlaybookSummary[]
}

export default class PlaybookList extends JwkrCommand {
  static override summary = 'List the built-in playbooks.'
  static override description =
    'Shows each playbook shipped with jwkr: its name (for `jwkr respond --playbook NAME`), what it is for and how many steps it has.'
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']

  async run(): Promise<PlaybookListResult> {
    await this.parse(PlaybookList)
    const playbooks = await listPlaybooks(createRegistry(builtinSteps()))
    if (!this.jsonEnabled()) this.log(renderList(playbooks, this.style))
    return {playbooks}
  }
}

function renderList(playbooks: PlaybookSummary[], style: Style): string {
  if (playbooks.length === 0) return 'No built-in playbooks are installed.'
  const width = Math.max(...playbooks.map((playbook) => playbook.name.length))
  return playbooks
    .map((playbook) => {
      const steps = playbook.steps === 1 ? '1 step' : `${playbook.steps} steps`
      const broken =
        playbook.problems > 0 ? style.red(` (invalid: ${playbook.problems} problems, see jwkr playbook validate)`) : ''
      return `${style.bold(playbook.name.padEnd(width))}  ${style.dim(steps.padStart(8))}  ${playbook.description}${broken}`
    })
    .join('\n')
}
