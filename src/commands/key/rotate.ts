import {Flags} from '@oclif/core'

import {JwkrCommand} from '../../cli/base-command.js'
import {containmentFlags, runKeyChange} from '../../cli/containment-command.js'
import type {KeyChangeOutcome} from '../../services/contain-key.js'
import {prose} from '../../core/prose.js'

export default class KeyRotate extends JwkrCommand {
  static override summary = 'Replace a leaked key at its issuers: publish a new key, switch signing, remove the leaked one.'
  static override description = prose`
    For each issuer (--issuer, or --all: every issuer that publishes the key, found by thumbprint), in the order
    that keeps traffic working: publish the replacement, switch signing where the key source can, remove the leaked
    key. Sources that publish a key jwkr makes (jwks-file, github-file, manual) get one generated with jose: same
    kty, curve, alg and use, RSA of at least 2048 bits, kid = its RFC 7638 thumbprint unless --new-kid, and only
    when an issuer will publish it: a JWKS file that lacks the leaked key, or that also publishes private members of
    other keys (refused), gets none. Its private JWK is written only to --out (mode 0600, never over a file) and never
    printed. IdPs (Auth0, Keycloak, Okta, Vault) rotate with keys of their own; a webhook receiver generates a key of
    the same kind and reports its public JWK (docs/webhook-protocol.md). Exits 1 when an issuer failed or when none
    held the key (nothing was rotated). --dry-run prints the plan and the JWKS diff of file sources, makes the same
    read-only checks as the run and exits as it would, and changes nothing. Without a terminal it needs --yes.`
  static override examples = [
    '<%= config.bin %> <%= command.id %> --key leaked.json --all --dry-run',
    '<%= config.bin %> <%= command.id %> --key leaked.json --issuer auth-main --out ~/secure/new-signing.jwk.json',
    '<%= config.bin %> <%= command.id %> --key leaked.pem --all --yes --json',
  ]
  static override flags = {
    ...containmentFlags,
    'new-kid': Flags.string({description: 'The kid of the new key (default: its RFC 7638 thumbprint).'}),
    out: Flags.string({
      description: 'Where to write the new private JWK, mode 0600 (default: ./jwkr-replacement-<kid>.private.jwk.json).',
    }),
    artifacts: Flags.string({
      default: 'jwkr-artifacts',
      description:
        "Folder for backups of the key files jwkr replaces (made with mode 0700; 0600 files without the leaked key's private members, so restoring one publishes its public members only).",
    }),
  }

  async run(): Promise<KeyChangeOutcome> {
    const {flags} = await this.parse(KeyRotate)
    return runKeyChange({command: this, secrets: this.secrets, style: this.style, json: this.jsonEnabled()}, 'rotate', flags)
  }
}
