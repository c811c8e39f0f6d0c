import {Args} from '@oclif/core'

import {JwkrCommand} from '../../cli/base-command.js'
import {homeFlag} from '../../cli/run-flags.js'
import {verifyIncident, type IncidentVerification} from '../../incident/verify-incident.js'
import {resolveHome} from '../../incident/workspace.js'
import {prose} from '../../core/prose.js'

export default class IncidentVerify extends JwkrCommand {
  static override summary = 'Check that an incident journal has not been edited.'
  static override description = prose`
    Recomputes the hash chain of the journal, keyed with the incident's chain key (journal-chain.key beside it, mode
    0600), and names the first event that does not match: an edit, a deleted or reordered line, or a journal
    rewritten from the top. A missing or empty journal fails. Incidents opened before chains were keyed verify with
    a warning.`
  static override examples = [
    '<%= config.bin %> <%= command.id %> 2026-11-29-3f9a1c',
    '<%= config.bin %> <%= command.id %> 2026-11-29-3f9a1c --json',
  ]
  static override args = {id: Args.string({required: true, description: 'The incident id.'})}
  static override flags = {...homeFlag}

  async run(): Promise<IncidentVerification> {
    const {args, flags} = await this.parse(IncidentVerify)
    const result = await verifyIncident(resolveHome({flag: flags.home}), args.id)
    if (!this.jsonEnabled()) this.log(`Journal of ${result.id}: ${result.events} events, ${result.chain} chain intact.`)
    for (const warning of result.warnings) this.warn(warning)
    return result
  }
}
