// report.rca: the root-cause analysis drafted from the journal at the end of a run (Markdown, a
// self-contained HTML file with a drawn timeline, and the timeline on its own), written into the
// incident's artifacts. The same documents come later from `jwkr report rca | timeline`.
import {join} from 'node:path'

import {documentPlaces, renderDocument, templatesFor, type DocumentRequest} from '../../services/report.js'
import {buildReport} from '../../core/report/build-report.js'
import {defineStep} from '../define-step.js'
import {Type, type Static} from '../step-schema.js'
import type {PlannedCall, StepContext} from '../types.js'
import {writeArtifact} from '../write-artifact.js'
import {prose} from '../../core/prose.js'

/** A folder of template overrides (default: the inventory's `templates:`). */
export const templatesInput = Type.Optional(
  Type.String({minLength: 1, description: "A folder of template overrides (default: the inventory's templates:)."}),
)
const ReportRcaInput = Type.Object({templates: templatesInput}, {additionalProperties: false})
const ReportRcaOutput = Type.Object(
  {markdown: Type.String(), html: Type.String(), timeline: Type.String()},
  {additionalProperties: false},
)
export type ReportRcaInput = Static<typeof ReportRcaInput>
export type ReportRcaOutput = Static<typeof ReportRcaOutput>

export const RCA_ARTIFACTS = {markdown: 'rca.md', html: 'rca.html', timeline: 'timeline.md'} as const

/** A document a report step writes into the artifacts. */
export interface RunDocument {
  file: string
  request: DocumentRequest
}

export const RCA_DOCUMENTS: readonly RunDocument[] = [
  {file: RCA_ARTIFACTS.markdown, request: {kind: 'rca', format: 'md'}},
  {file: RCA_ARTIFACTS.html, request: {kind: 'rca', format: 'html'}},
  {file: RCA_ARTIFACTS.timeline, request: {kind: 'timeline', format: 'md'}},
]

export const reportRca = defineStep({
  id: 'report.rca',
  title: 'Draft the root-cause analysis',
  description: prose`
    Writes the RCA draft (Markdown and a printable HTML page with a drawn timeline) and the incident timeline into
    the incident's artifacts, from the journal alone: facts, timeline, containment evidence, time to contain, and
    the root-cause questions left blank for a person. Changes nothing outside the incident folder.`,
  inputSchema: ReportRcaInput,
  outputSchema: ReportRcaOutput,
  sideEffects: false,
  plan: (_input, context) => plannedFiles(context, Object.values(RCA_ARTIFACTS), 'the RCA draft and the timeline'),
  async run(input, context) {
    const [markdown, html, timeline] = await writeIncidentDocuments(context, input, RCA_DOCUMENTS)
    return {markdown: markdown as string, html: html as string, timeline: timeline as string}
  },
})

export function plannedFiles(context: Pick<StepContext, 'incident'>, files: readonly string[], what: string): PlannedCall[] {
  return files.map((file) => ({
    kind: 'file',
    target: join(context.incident.artifactsDir, file),
    description: `Write ${what} (${file}) from the journal.`,
  }))
}

/**
 * Renders documents from the incident's journal as it stands and writes each into the artifacts
 * (redacted, mode 0600). Returns their paths, in order.
 */
export async function writeIncidentDocuments(
  context: Pick<StepContext, 'events' | 'now' | 'inventoryPath' | 'secrets' | 'incident' | 'progress'>,
  input: {templates?: string},
  documents: readonly RunDocument[],
): Promise<string[]> {
  const events = context.events()
  const model = buildReport(events, {now: context.now()})
  const templates = await templatesFor({flag: input.templates, inventoryPath: context.inventoryPath, secrets: context.secrets})
  const places = documentPlaces(events, context.incident.dir)
  const paths: string[] = []
  for (const {file, request} of documents) {
    context.progress({message: `Writing ${file}`, fraction: paths.length / documents.length})
    paths.push(await writeArtifact(context, file, renderDocument(templates, model, request, places)))
  }
  return paths
}
