import {Flags} from '@oclif/core'

import {JwkrCommand} from '../../cli/base-command.js'
import {homeFlag} from '../../cli/run-flags.js'
import {
  renderIncidentDocument,
  writeDocument,
  type DocumentFormat,
  type DocumentRequest,
  type IncidentDocument,
} from '../../services/report.js'
import {latestIncident, resolveHome} from '../../incident/workspace.js'
import {prose} from '../../core/prose.js'

export interface ReportResult extends Omit<IncidentDocument, 'text'> {
  /** The file written (--out), or null when the document was printed. */
  out: string | null
  bytes: number
  /** The document itself, when it was printed. */
  text: string | null
}

/** Flags every `jwkr report` command takes. */
export const reportFlags = {
  incident: Flags.string({description: 'The incident id (jwkr incident list shows them; default: the latest incident).'}),
  ...homeFlag,
  out: Flags.string({
    char: 'o',
    description:
      'Write the document to this file (atomically; a new file gets mode 0600, a file it replaces keeps its own) instead of printing it.',
  }),
  templates: Flags.string({
    description: "A folder of templates overriding the built-in ones by name (default: the inventory's templates:).",
  }),
}

/** `jwkr report …`: renders one document of an incident from its journal, and prints or writes it. */
export abstract class ReportCommand extends JwkrCommand {
  protected async report(
    flags: {incident?: string; home?: string; out?: string; templates?: string},
    request: DocumentRequest,
  ): Promise<ReportResult> {
    const home = resolveHome({flag: flags.home})
    let id = flags.incident
    if (id === undefined) {
      id = (await latestIncident(home)).id
      if (!this.jsonEnabled()) this.logToStderr(`Incident ${id}, the latest in ${home} (choose another with --incident).`)
    }
    const document = await renderIncidentDocument({
      ...request,
      home,
      id,
      templates: flags.templates,
      secrets: this.secrets,
    })
    const {text, ...about} = document
    const bytes = Buffer.byteLength(text)
    if (flags.out) {
      const out = await writeDocument(flags.out, text)
      if (!this.jsonEnabled()) this.logToStderr(`Wrote ${out} (${bytes} bytes).`)
      return {...about, out, bytes, text: null}
    }
    if (!this.jsonEnabled()) this.log(text.replace(/\n$/, ''))
    return {...about, out: null, bytes, text}
  }
}

export default class ReportRca extends ReportCommand {
  static override summary = "Draft the incident's root-cause analysis from its journal."
  static override description = prose`
    Renders the RCA of an incident from its journal alone (a copy of the incident folder will do): summary,
    severity, detection, the key (thumbprint, kid, alg; never its material), affected issuers and services, token
    triage, the timeline, containment evidence and the time to contain, root-cause questions left blank for a
    person, what went well and action items. --format html writes one self-contained, printable page with a drawn
    timeline; --format json prints the report model every template reads. Templates can be overridden by file name
    with --templates.`
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --incident 2026-11-29-3f9a1c',
    '<%= config.bin %> <%= command.id %> --incident 2026-11-29-3f9a1c --format html --out rca.html',
    '<%= config.bin %> <%= command.id %> --incident 2026-11-29-3f9a1c --format json',
    '<%= config.bin %> <%= command.id %> --incident 2026-11-29-3f9a1c --templates ./jwkr-templates --json',
  ]
  static override flags = {
    ...reportFlags,
    format: Flags.string({
      options: ['md', 'html', 'json'],
      default: 'md',
      description: 'Markdown, a self-contained HTML page, or the report model as JSON.',
    }),
  }

  async run(): Promise<ReportResult> {
    const {flags} = await this.parse(ReportRca)
    return this.report(flags, {kind: 'rca', format: flags.format as DocumentFormat})
  }
}
