// report.notification: notification drafts per audience (users in Markdown and plain text, partners
// and relying parties in Markdown), filled with what the journal knows: the exposure window, what
// was done, how many subjects token triage found. Written into the incident's artifacts for review.
import {defineStep} from '../define-step.js'
import {Type, type Static} from '../step-schema.js'
import {plannedFiles, templatesInput, writeIncidentDocuments, type RunDocument} from './report-rca.js'
import {prose} from '../../core/prose.js'

const ReportNotificationInput = Type.Object({templates: templatesInput}, {additionalProperties: false})
const ReportNotificationOutput = Type.Object(
  {users: Type.String(), usersText: Type.String(), partners: Type.String()},
  {additionalProperties: false},
)
export type ReportNotificationInput = Static<typeof ReportNotificationInput>
export type ReportNotificationOutput = Static<typeof ReportNotificationOutput>

export const NOTIFICATION_ARTIFACTS = {
  users: 'notify-users.md',
  usersText: 'notify-users.txt',
  partners: 'notify-partners.md',
} as const

export const NOTIFICATION_DOCUMENTS: readonly RunDocument[] = [
  {file: NOTIFICATION_ARTIFACTS.users, request: {kind: 'notification', format: 'md', audience: 'users'}},
  {file: NOTIFICATION_ARTIFACTS.usersText, request: {kind: 'notification', format: 'txt', audience: 'users'}},
  {file: NOTIFICATION_ARTIFACTS.partners, request: {kind: 'notification', format: 'md', audience: 'partners'}},
]

export const reportNotification = defineStep({
  id: 'report.notification',
  title: 'Draft the notifications',
  description: prose`
    Writes notification drafts for users (Markdown and plain text) and for partners into the incident's artifacts,
    with the exposure window, what was done and the affected subjects from token triage. Drafts only: a person
    reviews and sends them. Changes nothing outside the incident folder.`,
  inputSchema: ReportNotificationInput,
  outputSchema: ReportNotificationOutput,
  sideEffects: false,
  plan: (_input, context) => plannedFiles(context, Object.values(NOTIFICATION_ARTIFACTS), 'a notification draft'),
  async run(input, context) {
    const [users, usersText, partners] = await writeIncidentDocuments(context, input, NOTIFICATION_DOCUMENTS)
    return {users: users as string, usersText: usersText as string, partners: partners as string}
  },
})
