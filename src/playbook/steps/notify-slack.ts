// notify.slack: one place in Slack that always says where the incident stands. Creates (or joins)
// the incident channel, posts the status message once, and brings in the contacts of the affected
// teams; from then on the `slack-status` observer keeps the message current as steps finish. The work
// is the notify service's (services/notify-slack.ts), which `jwkr notify slack` calls too.
import {
  channelNameFor,
  DEFAULT_CHANNEL_PATTERN,
  inventoryChannel,
  isChannelId,
  normaliseApiUrl,
  notifySlackFor,
  slackClient,
  slackSettingsFromEnv,
  SLACK_STATUS_EVENT,
  statusRecord,
  type NotifyIncidentResult,
} from '../../services/notify-slack.js'
import {defineStep} from '../define-step.js'
import {Nullable, Type, type Static} from '../step-schema.js'
import type {PlannedCall} from '../types.js'
import {prose} from '../../core/prose.js'

const NotifySlackInput = Type.Object(
  {
    /** An existing channel to use (`#name` or an id) instead of creating one; overrides notify.slack.channel. */
    channel: Type.Optional(
      Type.String({minLength: 1, description: 'An existing channel (#name or id) to use instead of creating one.'}),
    ),
    /** The name of a new incident channel, with {date}, {thumbprint} and {incident}. */
    channelName: Type.Optional(
      Type.String({
        minLength: 1,
        description: `Name of a new incident channel; placeholders {date}, {thumbprint}, {incident} (default ${DEFAULT_CHANNEL_PATTERN}).`,
      }),
    ),
    /** Create the incident channel public (default false: private, with the bot and the invited contacts in it). */
    publicChannel: Type.Optional(
      Type.Boolean({
        description: prose`
          Create the incident channel public (default false: private, so only the invited contacts see the
          incident).`,
      }),
    ),
    /** Invite the Slack contacts of the affected services (default true). */
    invite: Type.Optional(Type.Boolean({description: 'Invite the Slack contacts of the affected services (default true).'})),
  },
  {additionalProperties: false},
)
const names = Type.Array(Type.String())
const nullableString = Nullable(Type.String())
const NotifySlackOutput = Type.Object(
  {
    /** Always true: without SLACK_TOKEN the step ends skipped ("SLACK_TOKEN not set"). Kept for older journals' readers. */
    notified: Type.Boolean(),
    reason: nullableString,
    channel: nullableString,
    channelId: nullableString,
    ts: nullableString,
    created: Type.Boolean(),
    posted: Type.Boolean(),
    invited: names,
    noticed: names,
    /** `contact: why` for every contact that could not be reached. */
    unresolved: names,
  },
  {additionalProperties: false},
)
export type NotifySlackInput = Static<typeof NotifySlackInput>
export type NotifySlackOutput = Static<typeof NotifySlackOutput>

const NOT_CONFIGURED = 'SLACK_TOKEN not set: Slack was not notified'
/** Why the step was skipped, and how to notify Slack afterwards (a resumed run does not run it again). */
const notConfigured = (incident: string) =>
  `${NOT_CONFIGURED}. Set it (and SLACK_API_URL for a drill), then run jwkr notify slack --incident ${incident}.`

export const notifySlack = defineStep({
  id: 'notify.slack',
  title: 'Open the incident in Slack',
  description: prose`
    Creates the incident channel (inc-jwk-<date>-<thumbprint>, private unless publicChannel) or uses
    notify.slack.channel, posts one status message (severity, thumbprint, phase, contained services, next step) that
    is then updated as steps finish, with details of each step in its thread, and invites the Slack contacts of the
    affected teams. People need one place that always says where things stand. Needs SLACK_TOKEN; without it the
    step is skipped ("SLACK_TOKEN not set").`,
  inputSchema: NotifySlackInput,
  outputSchema: NotifySlackOutput,
  sideEffects: true,
  async plan(input, context) {
    const settings = slackSettingsFromEnv(context.env)
    if (!settings.token) return [{kind: 'none', target: 'Slack', description: `${NOT_CONFIGURED}: the step will be skipped.`}]
    let api: string
    try {
      api = normaliseApiUrl(settings.apiUrl)
    } catch (error) {
      return [{kind: 'none', target: 'SLACK_API_URL', description: `Cannot plan: ${(error as Error).message}`}]
    }
    const state = context.state()
    const configured = input.channel ?? (await inventoryChannel(context).catch(() => undefined))
    const call = (method: string, description: string): PlannedCall => ({
      kind: 'message',
      target: `POST ${api}${method}`,
      description,
    })
    let name: string
    try {
      name = state ? channelNameFor(state, input, context.now()) : (input.channelName ?? DEFAULT_CHANNEL_PATTERN)
    } catch (error) {
      return [{kind: 'none', target: 'channelName', description: `Cannot plan: ${(error as Error).message}`}]
    }
    return [
      ...(configured
        ? [
            call(isChannelId(configured.trim()) ? 'conversations.info' : 'conversations.list', `Find the channel ${configured}`),
            call(
              'conversations.join',
              `Join ${configured} if it is public and the bot is not in it (a private channel needs /invite @your-app)`,
            ),
          ]
        : [
            call(
              'conversations.create',
              `Create #${name} as a ${input.publicChannel ? 'public' : 'private'} channel; if the name is taken, find it (conversations.list) and join it`,
            ),
          ]),
      call(
        'chat.postMessage',
        'Post the status message (severity, thumbprint, phase, contained services n/m, next step) once; chat.update when it exists',
      ),
      ...(input.invite === false
        ? []
        : [
            call(
              'conversations.invite',
              'Invite the Slack contacts of the affected services (emails looked up with users.lookupByEmail; contact ' +
                'channels get a notice by chat.postMessage, the bot joining a public one first so that the notice can be ' +
                'found again after a crash). Known once services.locate has run; the observer invites them then.',
            ),
          ]),
    ]
  },
  async run(input, context) {
    if (!slackSettingsFromEnv(context.env).token) return context.skip(notConfigured(context.incident.id))
    const client = slackClient({env: context.env, secrets: context.secrets, log: (message) => context.progress({message})})
    const state = context.state()
    context.progress({message: 'Opening the incident channel and posting the status message'})
    const result = await notifySlackFor(state, {
      client,
      channel: input.channel ?? (await inventoryChannel(context)),
      channelName: input.channelName,
      publicChannel: input.publicChannel === true,
      invite: input.invite !== false,
      now: context.now(),
      effect: context.effect,
    })
    await context.record(SLACK_STATUS_EVENT, statusRecord(result))
    return outputOf(result)
  },
})

function outputOf(result: NotifyIncidentResult): NotifySlackOutput {
  return {
    notified: true,
    reason: null,
    channel: result.channel,
    channelId: result.channelId,
    ts: result.ts,
    created: result.created,
    posted: result.posted,
    invited: result.invited,
    noticed: result.noticed,
    unresolved: result.unresolved.map(({contact, reason}) => `${contact}: ${reason}`),
  }
}
