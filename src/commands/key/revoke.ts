import {Flags} from '@oclif/core'

import {JwkrCommand} from '../../cli/base-command.js'
import {containmentFlags, runKeyChange} from '../../cli/containment-command.js'
import type {KeyChangeOutcome} from '../../services/contain-key.js'
import {prose} from '../../core/prose.js'

export default class KeyRevoke extends JwkrCommand {
  static override summary = 'Remove a leaked key from its issuers without adding a replacement.'
  static override description = prose`
    Removes (or disables and deletes) the key, matched by its RFC 7638 thumbprint, at every issuer named with
    --issuer or, with --all, at every issuer that publishes it. Use it for a key that no longer signs, or after
    rotating elsewhere: an issuer that still signs with the key would issue tokens nobody can verify (rotate
    instead). Exits 1 when an issuer failed or when none held the key (nothing was revoked). --dry-run prints the
    plan, makes the same read-only checks as the run and exits as it would, and changes nothing. Without a terminal
    it needs --yes.`
  static override examples = [
    '<%= config.bin %> <%= command.id %> --key leaked.json --all --dry-run',
    '<%= config.bin %> <%= command.id %> --key leaked.json --issuer auth-legacy --yes',
    '<%= config.bin %> <%= command.id %> --key jwks.json --kid 2023-old --all --yes --json',
  ]
  static override flags = {
    ...containmentFlags,
    artifacts: Flags.string({
      default: 'jwkr-artifacts',
      description:
        "Folder for backups of the key files jwkr replaces (made with mode 0700; 0600 files without the leaked key's private members, so restoring one publishes its public members only).",
    }),
  }

  async run(): Promise<KeyChangeOutcome> {
    const {flags} = await this.parse(KeyRevoke)
    return runKeyChange({command: this, secrets: this.secrets, style: this.style, json: this.jsonEnabled()}, 'revoke', flags)
  }
}
