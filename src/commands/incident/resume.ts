import {Args, Flags} from '@oclif/core'

import {JwkrCommand} from '../../cli/base-command.js'
import {resolveInventoryPath, playbookHost, runPlaybookCommand} from '../../cli/run-playbook-command.js'
import {approvalFlags, homeFlag} from '../../cli/run-flags.js'
import {assertDrillWorldRunning} from '../../drill/drill-resumable.js'
import {findIncident, resolveHome} from '../../incident/workspace.js'
import type {RunResult} from '../../playbook/engine.js'
import {resumeRun} from '../../playbook/respond.js'
import {prose} from '../../core/prose.js'

export default class IncidentResume extends JwkrCommand {
  static override summary = 'Continue an incident at its first unfinished step.'
  static override description = prose`
    After a crash, Ctrl-C or a run that stopped for approval. Steps already done are not run again; a side effect
    whose result is unknown is looked for at its service first (for a few seconds, as a write may take that long to
    show), or repeated only with your approval (or --yes). An incident interrupted while being opened has nothing to
    resume: run respond again with its key. A drill resumes only while its world is still running (the process that
    built it, such as jwkr drill --keep); otherwise run a new drill.`
  static override examples = [
    '<%= config.bin %> <%= command.id %> 2026-11-29-3f9a1c',
    '<%= config.bin %> <%= command.id %> 2026-11-29-3f9a1c --yes --json',
  ]
  static override args = {id: Args.string({required: true, description: 'The incident id (jwkr incident list).'})}
  static override flags = {
    ...homeFlag,
    ...approvalFlags,
    inventory: Flags.string({description: 'Use this inventory instead of the one the incident started with.'}),
  }

  async run(): Promise<RunResult> {
    const {args, flags} = await this.parse(IncidentResume)
    const inventoryPath = flags.inventory === undefined ? undefined : resolveInventoryPath(flags.inventory)
    const location = await findIncident(resolveHome({flag: flags.home}), args.id)
    if (location.drill) await assertDrillWorldRunning(location)
    return runPlaybookCommand(playbookHost(this, this.secrets, flags), (context) =>
      resumeRun({...context, secrets: this.secrets, yes: flags.yes, id: args.id, inventoryPath}),
    )
  }
}
