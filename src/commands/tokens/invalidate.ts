import {Flags} from '@oclif/core'

import {JwkrCommand} from '../../cli/base-command.js'
import {containmentFlags, runInvalidate} from '../../cli/containment-command.js'
import type {InvalidateOutcome} from '../../services/invalidate.js'
import {prose} from '../../core/prose.js'

export default class TokensInvalidate extends JwkrCommand {
  static override summary = 'Deny the leaked key to relying parties and revoke the sessions issued with it.'
  static override description = prose`
    Merges a denylist entry (thumbprint, kid and iss of each issuer, not-before, reason key-compromise) into the
    denylist file (--denylist-file, written atomically under a lock) and/or Redis (--redis or REDIS_URL: the set
    {jwkr}:revoked, a hash per key with one entry per issuer, and a message on jwkr:revocations); entries already
    there are kept and not added again. Then, per issuer, revokes sessions and refresh tokens where the key source
    can (Keycloak: realm not-before, push revocation, and --logout-all; Okta: the refresh tokens of each OAuth
    client listed in keySource.clients) and says plainly what to do by hand where it cannot. A run that changes
    nothing (no denylist given, no session revoked) exits 1, and so does its dry run. Without a terminal it needs --yes.`
  static override examples = [
    '<%= config.bin %> <%= command.id %> --key leaked.json --denylist-file /srv/shared/denylist.json --yes',
    'REDIS_URL=redis://cache:6379 <%= config.bin %> <%= command.id %> --key leaked.json --all --logout-all --yes',
    '<%= config.bin %> <%= command.id %> --key leaked.json --issuer auth-main --not-before 2026-11-29T03:00:00Z --dry-run --json',
  ]
  static override flags = {
    ...containmentFlags,
    'not-before': Flags.string({description: 'Tokens issued before this ISO 8601 time are refused (default: now).'}),
    'denylist-file': Flags.string({description: 'The denylist file to create or merge into (its folder must exist).'}),
    redis: Flags.string({env: 'REDIS_URL', description: 'Redis URL to publish the denylist to (default: REDIS_URL).'}),
    'logout-all': Flags.boolean({description: 'Also end every user session where the issuer can (Keycloak logout-all).'}),
  }

  async run(): Promise<InvalidateOutcome> {
    const {flags} = await this.parse(TokensInvalidate)
    return runInvalidate({command: this, secrets: this.secrets, style: this.style, json: this.jsonEnabled()}, flags)
  }
}
