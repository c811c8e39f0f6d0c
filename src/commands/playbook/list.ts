import {JwkrCommand} from '../../cli/base-command.js'
import type {Style} from '../../cli/style.js'
import {renderTable, tableFlags, tableView, type Column} from '../../cli/table.js'
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
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --sort=-steps',
    '<%= config.bin %> <%= command.id %> --json',
  ]
  static override flags = {...tableFlags}

  async run(): Promise<PlaybookListResult> {
    const {flags} = await this.parse(PlaybookList)
    const playbooks = await listPlaybooks(createRegistry(builtinSteps()))
    if (!this.jsonEnabled()) {
      if (playbooks.length === 0) this.log('No built-in playbooks are installed.')
      else this.log(renderTable(playbooks, columns(this.style), {view: tableView(flags)}))
    }
    return {playbooks}
  }
}

function columns(style: Style): Column<PlaybookSummary>[] {
  return [
    {name: 'playbook', value: (playbook) => style.bold(playbook.name)},
    {name: 'steps', value: (playbook) => String(playbook.steps), sortKey: (playbook) => playbook.steps},
    {
      name: 'description',
      value: (playbook) =>
        playbook.problems > 0
          ? `${playbook.description} ${style.red(`(invalid: ${playbook.problems} problems, see jwkr playbook validate)`)}`
          : playbook.description,
    },
  ]
}
