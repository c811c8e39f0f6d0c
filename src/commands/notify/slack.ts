import {Flags} from '@oclif/core'

import {JwkrCommand} from '../../cli/base-command.js'
import {unknownEffectAnswer} from '../../cli/render-containment.js'
import {homeFlag, unknownEffectFlags} from '../../cli/run-flags.js'
import {resolveInventoryPath} from '../../cli/run-playbook-command.js'
import {resolveHome} from '../../incident/workspace.js'
import {prose} from '../../core/prose.js'
import {
  notifySlackFromJournal,
  NOTIFY_SLACK_SCOPES,
  slackClient,
  type NotifySlackCommandResult,
} from '../../services/notify-slack.js'

export default class NotifySlack extends JwkrCommand {
  static override summary = "Create or update the incident's Slack channel and status message."
  static override description =
    'Creates the incident channel (inc-jwk-<date>-<short thumbprint>), private unless --public-channel, or uses the ' +
    'channel given with --channel or notify.slack.channel in the inventory (joined if it is public; the bot must be ' +
    "invited to a private one), and posts the incident's status message (severity, thumbprint, phase, " +
    'contained services, next step); when it was posted before, updates that same message instead. Invites the Slack ' +
    'contacts of the affected services (after services.locate ran). Every call is journaled in the incident. Needs ' +
    `SLACK_TOKEN (a bot token with the scopes ${NOTIFY_SLACK_SCOPES.join(', ')}); SLACK_API_URL points at another ` +
    'Web API root (a drill), JWKR_SLACK_RETRIES sets retries.'
  static override examples = [
    '<%= config.bin %> <%= command.id %> --incident 2026-11-29-3f9a1c',
    '<%= config.bin %> <%= command.id %> --incident 2026-11-29-3f9a1c --channel "#sec-incidents"',
    '<%= config.bin %> <%= command.id %> --incident 2026-11-29-3f9a1c --public-channel',
    'SLACK_API_URL=http://127.0.0.1:3000/api/ <%= config.bin %> <%= command.id %> --incident 2026-11-29-3f9a1c --json',
  ]
  static override flags = {
    ...homeFlag,
    ...unknownEffectFlags,
    incident: Flags.string({required: true, description: 'The incident id (jwkr incident list shows them).'}),
    channel: Flags.string({
      description: prose`
        Use this existing channel (#name or id) instead of creating one; applies while the incident has no channel
        yet.`,
    }),
    'public-channel': Flags.boolean({
      description: 'Create the incident channel public (default: private, so only the bot and the invited contacts see it).',
      default: false,
    }),
    inventory: Flags.string({
      description: 'The inventory, for notify.slack.channel (default: the one the incident was opened with).',
    }),
  }

  async run(): Promise<NotifySlackCommandResult> {
    const {flags} = await this.parse(NotifySlack)
    const client = slackClient({secrets: this.secrets, log: (message) => this.logToStderr(message)})
    const result = await notifySlackFromJournal(resolveHome({flag: flags.home}), flags.incident, {
      client,
      secrets: this.secrets,
      unknownEffects: unknownEffectAnswer({secrets: this.secrets, style: this.style, json: this.jsonEnabled()}, flags.yes),
      channel: flags.channel,
      publicChannel: flags['public-channel'],
      inventoryPath: flags.inventory === undefined ? undefined : resolveInventoryPath(flags.inventory),
    })
    if (!this.jsonEnabled()) this.log(renderNotifySlack(result))
    return result
  }
}

function renderNotifySlack(result: NotifySlackCommandResult): string {
  const lines = [
    `${result.posted ? 'Posted' : 'Updated'} the status message of incident ${result.incident} in #${result.channel}` +
      `${result.created ? ' (channel created)' : ''} · ts ${result.ts}`,
  ]
  if (result.invited.length > 0) lines.push(`Invited: ${result.invited.join(', ')}`)
  if (result.alreadyMember.length > 0) lines.push(`Already in the channel: ${result.alreadyMember.join(', ')}`)
  if (result.noticed.length > 0) lines.push(`Notice posted in: ${result.noticed.join(', ')}`)
  for (const {contact, reason} of result.unresolved) lines.push(`Could not reach ${contact}: ${reason}`)
  return lines.join('\n')
}
