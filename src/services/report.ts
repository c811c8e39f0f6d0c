// The documents jwkr drafts from an incident (RCA, timeline, notifications), which template renders
// each kind in each format, and where the templates come from (the built-ins, overridden by
// `--templates DIR` or the inventory's `templates:`). Shared by `jwkr report …` and the report steps.
import {existsSync} from 'node:fs'
import {homedir, tmpdir} from 'node:os'
import {resolve} from 'node:path'

import {JwkrError} from '../core/errors.js'
import {loadInventory} from './inventory.js'
import {asDrafted, buildReport} from '../core/report/build-report.js'
import {hideLocalPaths, localPlacesOf, type LocalPlaces} from '../core/report/local-paths.js'
import type {ReportModel} from '../core/report/report-model.js'
import {timelineChart} from '../core/report/timeline-chart.js'
import type {SecretRegistry} from '../core/secrets.js'
import {readIncidentEvents} from '../incident/read-incident.js'
import type {JournalEvent} from '../core/journal/types.js'
import {findIncident} from '../incident/workspace.js'
import {writeFileAtomic} from '../adapters/fs/atomic-file.js'
import {loadKeySource} from './identify.js'
import {loadTemplates, type TemplateSet} from '../adapters/templates/template-set.js'

export type DocumentKind = 'rca' | 'notification' | 'timeline'
export type DocumentFormat = 'md' | 'html' | 'txt' | 'json'
export type Audience = 'users' | 'partners'

export const DOCUMENT_KINDS: readonly DocumentKind[] = ['rca', 'notification', 'timeline']
export const DOCUMENT_FORMATS: readonly DocumentFormat[] = ['md', 'html', 'txt', 'json']
export const AUDIENCES: readonly Audience[] = ['users', 'partners']

/** The template of each document, per audience for notifications. */
const TEMPLATES: Record<DocumentKind, Partial<Record<Audience | 'all', Partial<Record<DocumentFormat, string>>>>> = {
  rca: {all: {md: 'report/rca.md', html: 'report/rca.html'}},
  timeline: {all: {md: 'report/timeline.md'}},
  notification: {users: {md: 'notify/users.md', txt: 'notify/users.txt'}, partners: {md: 'notify/partners.md'}},
}

export interface DocumentRequest {
  kind: DocumentKind
  format: DocumentFormat
  /** Notifications only (default users). */
  audience?: Audience
}

/** The template that renders a document, or null for `json` (the model itself). */
export function documentTemplate({kind, format, audience = 'users'}: DocumentRequest): string | null {
  if (format === 'json') return null
  const formats = TEMPLATES[kind][kind === 'notification' ? audience : 'all'] ?? {}
  const name = formats[format]
  if (!name) {
    const known = [...Object.keys(formats), 'json'].join(', ')
    throw new JwkrError('ERR_USAGE', `There is no ${format} ${kind === 'notification' ? `${audience} notification` : kind}.`, {
      hint: `Formats of this document: ${known}.`,
      exitCode: 2,
    })
  }
  return name
}

/**
 * The document as text: the rendered template, or the report model as JSON. With `places` (every
 * document that is written or printed), local paths are shown from the incident's folder or by their
 * file name (documentPlaces).
 */
export function renderDocument(
  templates: TemplateSet,
  model: ReportModel,
  request: DocumentRequest,
  places?: LocalPlaces,
): string {
  const name = documentTemplate(request)
  const drafted = asDrafted(model)
  const text =
    name === null
      ? `${JSON.stringify(model, null, 2)}\n`
      : templates.render(name, name.endsWith('.html') ? {...drafted, chart: timelineChart(drafted)} : drafted)
  return places === undefined ? text : hideLocalPaths(text, places)
}

/**
 * The local places a document of this incident must not name: its folder, the key's and the inputs'
 * folders, and this machine's home, temporary and current folders.
 *
 * @example renderDocument(templates, model, request, documentPlaces(events, location.dir))
 */
export function documentPlaces(events: readonly JournalEvent[], incidentDir: string): LocalPlaces {
  return localPlacesOf(events, incidentDir, [homedir(), tmpdir(), process.cwd()])
}

/** The inventory a run used, as `incident.opened` recorded it (an absolute path, or null). */
export function inventoryPathOf(events: readonly JournalEvent[]): string | null {
  const opened = events.find((event) => event.type === 'incident.opened')
  return typeof opened?.data.inventory === 'string' ? opened.data.inventory : null
}

export interface TemplateFolderOptions {
  /** `--templates DIR`: wins over the inventory. */
  flag?: string | null
  /** The inventory whose `templates:` names the overrides; ignored when the file is gone (a report made elsewhere). */
  inventoryPath?: string | null
  secrets: SecretRegistry
}

/** The folder of template overrides: the flag, else the inventory's `templates:`, else none. */
export async function templateFolder(options: TemplateFolderOptions): Promise<string | null> {
  if (options.flag) return options.flag
  if (!options.inventoryPath || !existsSync(options.inventoryPath)) return null
  const inventory = await loadInventory(options.inventoryPath, {secrets: options.secrets})
  return inventory.templates ?? null
}

/** The templates with the overrides that apply, redacting with the registry. */
export async function templatesFor(options: TemplateFolderOptions): Promise<TemplateSet> {
  return loadTemplates({overrides: await templateFolder(options), secrets: options.secrets})
}

/**
 * Registers the leaked key's private values, when the key the incident was opened with can still be
 * read (`inputs.key`), so that a journal written before a redaction bug cannot leak them into a
 * document. Never reads stdin; a key that cannot be read is simply not registered.
 */
export async function registerIncidentKey(events: readonly JournalEvent[], secrets: SecretRegistry): Promise<void> {
  const opened = events.find((event) => event.type === 'incident.opened')
  const inputs = opened?.data.inputs
  const key = inputs !== null && typeof inputs === 'object' ? (inputs as Record<string, unknown>).key : undefined
  if (typeof key !== 'string' || key === '-' || key.trim() === '') return
  await loadKeySource(key, {secrets}).catch(() => undefined)
}

export interface IncidentDocumentOptions extends DocumentRequest {
  home: string
  id: string
  /** `--templates DIR`; default the `templates:` of the inventory the incident was opened with. */
  templates?: string | null
  secrets: SecretRegistry
  now?: Date
}

export interface IncidentDocument {
  incident: string
  kind: DocumentKind
  format: DocumentFormat
  audience: Audience | null
  /** The template that rendered it (null for json). */
  template: string | null
  text: string
}

/**
 * A document of an incident, from its journal alone (a copy of the incident folder will do), redacted.
 *
 * @example const {text} = await renderIncidentDocument({home, id, kind: 'rca', format: 'md', secrets})
 */
export async function renderIncidentDocument(options: IncidentDocumentOptions): Promise<IncidentDocument> {
  const location = await findIncident(options.home, options.id)
  const events = await readIncidentEvents(location)
  await registerIncidentKey(events, options.secrets)
  const model = buildReport(events, {now: options.now ?? new Date()})
  const templates = await templatesFor({
    flag: options.templates,
    inventoryPath: inventoryPathOf(events),
    secrets: options.secrets,
  })
  const audience = options.kind === 'notification' ? (options.audience ?? 'users') : null
  const request = {kind: options.kind, format: options.format, audience: audience ?? undefined}
  return {
    incident: location.id,
    kind: options.kind,
    format: options.format,
    audience,
    template: documentTemplate(request),
    text: options.secrets.redact(renderDocument(templates, model, request, documentPlaces(events, location.dir))),
  }
}

/** Writes a document atomically (a reader sees the old file or the new one), readable by the user only. */
export async function writeDocument(path: string, text: string): Promise<string> {
  const target = resolve(path)
  try {
    await writeFileAtomic(target, text, 0o600)
  } catch (error) {
    throw new JwkrError('ERR_OUTPUT_UNWRITABLE', `Cannot write ${target}: ${(error as Error).message}`, {
      hint: 'Check that the folder exists and that you may write to it, or leave --out out to print the document.',
      cause: error,
    })
  }
  return target
}
