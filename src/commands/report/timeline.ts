import {Flags} from '@oclif/core'

import type {DocumentFormat} from '../../services/report.js'
import {ReportCommand, reportFlags, type ReportResult} from './rca.js'
import {prose} from '../../core/prose.js'

export default class ReportTimeline extends ReportCommand {
  static override summary = "Draw the incident's timeline (Mermaid) and list its events."
  static override description = prose`
    Renders the incident's timeline from its journal: a Mermaid gantt block (phases as sections, steps as bars, the
    moment containment was proven as a milestone), which GitHub and most Markdown viewers draw, then every event in
    a table. --format json prints the report model.`
  static override examples = [
    '<%= config.bin %> <%= command.id %> --incident 2026-11-29-3f9a1c',
    '<%= config.bin %> <%= command.id %> --incident 2026-11-29-3f9a1c --out timeline.md --json',
  ]
  static override flags = {
    ...reportFlags,
    format: Flags.string({
      options: ['md', 'json'],
      default: 'md',
      description: 'Markdown with a Mermaid block, or the report model as JSON.',
    }),
  }

  async run(): Promise<ReportResult> {
    const {flags} = await this.parse(ReportTimeline)
    return this.report(flags, {kind: 'timeline', format: flags.format as DocumentFormat})
  }
}
