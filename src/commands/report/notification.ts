import {Flags} from '@oclif/core'

import type {Audience, DocumentFormat} from '../../services/report.js'
import {ReportCommand, reportFlags, type ReportResult} from './rca.js'
import {prose} from '../../core/prose.js'

export default class ReportNotification extends ReportCommand {
  static override summary = 'Draft a notification for users or partners from the journal.'
  static override description = prose`
    Renders a notification draft for an audience, filled with what the journal knows: the exposure window, what was
    done, and how many subjects token triage found. users: Markdown or plain text (--format txt, for email);
    partners (teams and companies that accept the tokens): Markdown with the key to stop trusting and what to check.
    A person reviews and sends it; the parts to write are marked.`
  static override examples = [
    '<%= config.bin %> <%= command.id %> --incident 2026-11-29-3f9a1c',
    '<%= config.bin %> <%= command.id %> --incident 2026-11-29-3f9a1c --format txt --out notice.txt',
    '<%= config.bin %> <%= command.id %> --incident 2026-11-29-3f9a1c --audience partners --json',
  ]
  static override flags = {
    ...reportFlags,
    audience: Flags.string({options: ['users', 'partners'], default: 'users', description: 'Who the notification is for.'}),
    format: Flags.string({
      options: ['md', 'txt', 'json'],
      default: 'md',
      description: 'Markdown, plain text (users only), or the report model as JSON.',
    }),
  }

  async run(): Promise<ReportResult> {
    const {flags} = await this.parse(ReportNotification)
    return this.report(flags, {
      kind: 'notification',
      format: flags.format as DocumentFormat,
      audience: flags.audience as Audience,
    })
  }
}
