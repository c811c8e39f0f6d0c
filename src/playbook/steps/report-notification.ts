// report.notification: notification drafts per audience (users in Markdown and plain text, partners
// and relying parties in Markdown), filled with what the journal knows: the exposure window, what
// was done, how many subjects token triage found. Written into the incident's artifacts for review.
import {defineStep} from '../define-step.js'
import {plannedFiles, writeIncidentDocuments} from './report-rca.js'

export interface ReportNotificationInput {
  templates?: string
}

export interface ReportNotificationOutput extends Record<string, unknown> {
  users: string
  usersText: string
  partners: string
}

export const NOTIFICATION_ARTIFACTS = {
  users: 'notify-users.md',
  usersText: 'notify-users.txt',
  partners: 'notify-partners.md',
} as const

export const reportNotification = defineStep<ReportNotificationInput, ReportNotificationOutput>({
  id: 'report.notification',
  title: 'Draft the notifications',
  description:
    "Writes notification drafts for users (Markdown and plain text) and for partners into the incident's artifacts, " +
    'with the exposure window, what was done and the affected subjects from token triage. Drafts only: a person ' +
    'reviews and sends them. Changes nothing outside the incident folder.',
  inputSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      templates: {
        type: 'string',
        minLength: 1,
        description: "A folder of template overrides (default: the inventory's templates:).",
      },
    },
  },
  outputSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['users', 'usersText', 'partners'],
    properties: {users: {type: 'string'}, usersText: {type: 'string'}, partners: {type: 'string'}},
  },
  sideEffects: false,
  plan: (_input, context) => plannedFiles(context, Object.values(NOTIFICATION_ARTIFACTS), 'a notification draft'),
  async run(input, context) {
    const [users, usersText, partners] = await writeIncidentDocuments(context, input, [
      {file: NOTIFICATION_ARTIFACTS.users, request: {kind: 'notification', format: 'md', audience: 'users'}},
      {file: NOTIFICATION_ARTIFACTS.usersText, request: {kind: 'notification', format: 'txt', audience: 'users'}},
      {file: NOTIFICATION_ARTIFACTS.partners, request: {kind: 'notification', format: 'md', audience: 'partners'}},
    ])
    return {users: users as string, usersText: usersText as string, partners: partners as string}
  },
})
