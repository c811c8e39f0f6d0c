import {Flags} from '@oclif/core'

import {JwkrCommand} from '../../cli/base-command.js'
import {unknownEffectAnswer} from '../../cli/render-containment.js'
import {homeFlag, unknownEffectFlags} from '../../cli/run-flags.js'
import {resolveHome} from '../../incident/workspace.js'
import {notifyGithubFromJournal, type NotifyGithubCommandResult} from '../../services/notify-github.js'
import {prose} from '../../core/prose.js'

export default class NotifyGithub extends JwkrCommand {
  static override summary = "Open (or find again) the incident's tracking issue on GitHub."
  static override description = prose`
    Opens one issue for the incident in --repo (default: notify.github.repo of the inventory the incident was opened
    with): its title names the key by thumbprint, its labels are security, incident and jwkr, and its body holds the
    facts and a checklist of the playbook's steps. Run again, it finds the same issue (by a hidden marker in its
    body, or by what the journal recorded) and ticks its checklist; it never opens a second one. During a run the
    checklist is ticked as steps finish and containment evidence is posted as comments. Needs GITHUB_TOKEN;
    GITHUB_API_URL points at GitHub Enterprise Server (https://HOST/api/v3). The key’s private material is never
    sent.`
  static override examples = [
    '<%= config.bin %> <%= command.id %> --incident 2026-11-29-3f9a1c',
    '<%= config.bin %> <%= command.id %> --incident 2026-11-29-3f9a1c --repo example-org/security-incidents --json',
  ]
  static override flags = {
    incident: Flags.string({required: true, description: 'The incident id (jwkr incident list shows them).'}),
    ...homeFlag,
    ...unknownEffectFlags,
    repo: Flags.string({description: 'owner/name of the repository (default: notify.github.repo of the inventory).'}),
    label: Flags.string({multiple: true, description: 'A label of the issue (repeatable; default security, incident, jwkr).'}),
    templates: Flags.string({
      description: "A folder of templates overriding the built-in ones (default: the inventory's templates:).",
    }),
  }

  async run(): Promise<NotifyGithubCommandResult> {
    const {flags} = await this.parse(NotifyGithub)
    const result = await notifyGithubFromJournal(resolveHome({flag: flags.home}), flags.incident, {
      secrets: this.secrets,
      unknownEffects: unknownEffectAnswer({secrets: this.secrets, style: this.style, json: this.jsonEnabled()}, flags.yes),
      repo: flags.repo,
      labels: flags.label,
      templates: flags.templates,
    })
    if (!this.jsonEnabled()) {
      this.log(`${result.created ? 'Opened' : 'Found again'} the tracking issue of ${result.incident}: ${result.url}`)
    }
    return result
  }
}
