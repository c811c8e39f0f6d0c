import {Args, Flags} from '@oclif/core'

import {JwkrCommand} from '../../cli/base-command.js'
import {homeFlag} from '../../cli/run-flags.js'
import {renderMarkdown} from '../../cli/render-markdown.js'
import {prepareTables} from '../../cli/table.js'
import type {ReportModel} from '../../core/report/report-model.js'
import type {DrillScorecard} from '../../drill/scorecard.js'
import {openDrillReport, renderDrillReport} from '../../drill/drill-report.js'
import {prose} from '../../core/prose.js'
import {resolveHome} from '../../incident/workspace.js'
import {writeDocument} from '../../services/report.js'

export default class DrillReport extends JwkrCommand {
  static override summary = 'Render a drill’s report: its scorecard, then its root-cause report.'
  static override description = prose`
    On a terminal the report is formatted and fitted to its width (a table too wide for it becomes a list; a Mermaid
    chart is named, and --open draws it); --markdown prints the Markdown source. With --json: the scorecard as jwkr drill
    --json has it (each check passed, failed or not-checked; outcome.exitCode is the drill's exit code,
    outcome.runExitCode the run's) and the root-cause report's model as rca.`
  static override examples = [
    '<%= config.bin %> <%= command.id %> 2026-11-29-ctrvio',
    '<%= config.bin %> <%= command.id %> 2026-11-29-ctrvio --out drill.md',
    '<%= config.bin %> <%= command.id %> 2026-11-29-ctrvio --open',
    '<%= config.bin %> <%= command.id %> 2026-11-29-ctrvio --json',
  ]
  static override args = {id: Args.string({required: true, description: 'The drill id (jwkr incident list --drills).'})}
  static override flags = {
    ...homeFlag,
    out: Flags.string({description: 'Write the report to this file (Markdown) instead of stdout.', exclusive: ['open']}),
    open: Flags.boolean({
      description:
        'Open the root-cause report as HTML in the browser (xdg-open, open or start; JWKR_OPENER names another program).',
    }),
    markdown: Flags.boolean({description: 'Print the Markdown source instead of formatting it for the terminal.'}),
  }

  async run(): Promise<DrillReportJson> {
    const {args, flags} = await this.parse(DrillReport)
    const home = resolveHome({flag: flags.home})
    const report = await renderDrillReport({home, id: args.id, secrets: this.secrets})
    const data = {drill: report.drill, scorecard: report.scorecard, rca: report.rca}
    if (flags.open) {
      const opened = await openDrillReport({home, id: args.id, secrets: this.secrets})
      this.logToStderr(`Opened ${opened.file} (${opened.opener.command}).`)
      return {...data, out: null, opened: opened.file}
    }
    if (flags.out) await writeDocument(flags.out, this.secrets.redact(report.text))
    else if (!this.jsonEnabled()) {
      if (flags.markdown) this.log(report.text)
      else {
        await prepareTables()
        this.log(renderMarkdown(report.text, {style: this.style, width: process.stdout.columns}))
      }
    }
    return {...data, out: flags.out ?? null, opened: null}
  }
}

/** `--json`: the scorecard (as `jwkr drill --json` has it) and the RCA's report model, and where the report went. */
export interface DrillReportJson {
  drill: string
  scorecard: DrillScorecard
  rca: ReportModel
  /** --out: the file written. */
  out: string | null
  /** --open: the HTML file opened. */
  opened: string | null
}
