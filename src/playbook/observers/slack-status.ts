// slack-status: keeps the incident's Slack status message current during a run. Silent until a
// notify.slack step (or `jwkr notify slack`) has journaled where the message is; from then on, on every
// finished step it updates the message in place (chat.update, same ts) and posts the step's details
// in its thread, and on run.finished it updates the message once more. After services.locate it also
// brings in the contacts of the affected teams, which the step could not know yet.
import {createSlackClient, slackSettingsFromEnv, type SlackClient} from '../../adapters/slack/client.js'
import {postMessage, updateMessage} from '../../adapters/slack/messages.js'
import {checkFirst, reachContacts, type SlackStatusRef} from '../../adapters/slack/notify-incident.js'
import {JwkrError} from '../../core/errors.js'
import {buildContactNotice, buildSlackStatus, buildStepReply, slackStatusFacts} from '../../core/notify/slack-status.js'
import type {RetryOptions} from '@slack/web-api'
import type {EngineObserver} from '../engine.js'
import {affectedContacts, SLACK_STATUS_EVENT, slackStatusOf, statusRefOf} from '../../services/notify-slack.js'

export interface SlackStatusObserverOptions {
  /** Retries per Slack call (tests pass {retries: 0}). Default: JWKR_SLACK_RETRIES, else two quick retries. */
  retryConfig?: RetryOptions
}

const STEP_EVENTS = new Set(['step.succeeded', 'step.failed', 'step.skipped'])

/**
 * A short retry policy: the run waits for its observers, and a missed update is made good by the
 * next one. Rate-limited calls fail at once for the same reason (journaled as observer.failed).
 */
const OBSERVER_RETRY: RetryOptions = {retries: 2, factor: 2, minTimeout: 500, maxTimeout: 2000}

export function slackStatusObserver(options: SlackStatusObserverOptions = {}): EngineObserver {
  // Per run: where the message is (from slack.status events seen in this run) and the client.
  let seen: SlackStatusRef | undefined
  let client: SlackClient | undefined
  return {
    name: 'slack-status',
    async onEvent(event, {state, secrets, env}) {
      if (event.type === SLACK_STATUS_EVENT) {
        seen = statusRefOf(event.data) ?? seen
        return
      }
      const stepEvent = STEP_EVENTS.has(event.type)
      if (!stepEvent && event.type !== 'run.finished') return
      const status = seen ?? slackStatusOf(state)
      const settings = slackSettingsFromEnv(env)
      if (!status || !settings.token) return
      client ??= createSlackClient({
        ...settings,
        retryConfig: options.retryConfig ?? settings.retryConfig ?? OBSERVER_RETRY,
        rejectRateLimitedCalls: true,
        secrets,
      })
      const facts = slackStatusFacts(state, new Date(event.ts))
      await updateMessage(client, {channelId: status.channelId, ts: status.ts, message: buildSlackStatus(facts)})
      const id = typeof event.data.step === 'string' ? event.data.step : undefined
      const step = id === undefined ? undefined : state.steps[id]
      // A failure the engine retries is not the step's last word: the reply waits for it.
      if (!stepEvent || !id || !step || (event.type === 'step.failed' && event.data.final === false)) return
      await postMessage(client, {channel: status.channelId, threadTs: status.ts, message: buildStepReply(id, step)})
      if (event.type === 'step.succeeded' && step.uses === 'services.locate') {
        const outcome = await reachContacts(
          {
            client,
            incident: state.id,
            contacts: await affectedContacts(state),
            notice: (channel) => buildContactNotice(facts, channel),
            effect: checkFirst,
          },
          {id: status.channelId, name: status.channel},
        )
        // An observer cannot journal; what it throws is journaled as observer.failed, so nobody is lost silently.
        if (outcome.unresolved.length > 0) {
          const list = outcome.unresolved.map(({contact, reason}) => `${contact} (${reason})`).join('; ')
          throw new JwkrError('ERR_SLACK_FAILED', `Some Slack contacts of the affected services could not be reached: ${list}.`, {
            hint: 'Fix their contacts in the inventory, or invite them by hand.',
          })
        }
      }
    },
  }
}
