import {Args, Flags} from '@oclif/core'

import {JwkrCommand} from '../../cli/base-command.js'
import {homeFlag} from '../../cli/run-flags.js'
import {renderDrillReport} from '../../drill/drill-report.js'
import {resolveHome} from '../../incident/workspace.js'
import {writeDocument} from '../../services/report.js'

export default class DrillReport extends JwkrCommand {
  static override summary = 'Render a drill’s report: its scorecard, then its root-cause report.'
  static override examples = [
    '<%= config.bin %> <%= command.id %> 2026-11-29-ctrvio',
    '<%= config.bin %> <%= command.id %> 2026-11-29-ctrvio --out drill.md',
  ]
  static override args = {id: Args.string({required: true, description: 'The drill id (jwkr incident list --drills).'})}
  static override flags = {...homeFlag, out: Flags.string({description: 'Write the report to this file instead of stdout.'})}

  async run(): Promise<{drill: string; out: string | null}> {
    const {args, flags} = await this.parse(DrillReport)
    const report = await renderDrillReport({home: resolveHome({flag: flags.home}), id: args.id, secrets: this.secrets})
    if (flags.out) await writeDocument(flags.out, this.secrets.redact(report.text))
    else if (!this.jsonEnabled()) this.log(report.text)
    return {drill: report.drill, out: flags.out ?? null}
  }
}
