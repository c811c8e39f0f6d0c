import {Flags} from '@oclif/core'

import {JwkrCommand} from '../../cli/base-command.js'
import {keySelectionFlags, keySourceArg} from '../../cli/key-flags.js'
import {loadKeySource} from '../../services/identify.js'
import {thumbprintLines, type ThumbprintResult} from '../../core/key/thumbprint-lines.js'

export default class KeyThumbprint extends JwkrCommand {
  static override summary = 'Print the RFC 7638 thumbprint of each key, one a line.'
  static override description = 'Made for pipes: nothing but the thumbprints (or RFC 9278 URIs) on stdout.'
  static override examples = [
    '<%= config.bin %> <%= command.id %> leaked.json',
    '<%= config.bin %> <%= command.id %> key.pem --hash sha512',
    '<%= config.bin %> <%= command.id %> jwks.json --uri',
    '<%= config.bin %> <%= command.id %> leaked.json --json',
  ]
  // One value a line, never broken across two on a narrow terminal.
  static override wrapsOutput = false
  static override args = {source: keySourceArg}
  static override flags = {
    ...keySelectionFlags,
    hash: Flags.string({description: 'The hash of the thumbprint.', options: ['sha256', 'sha384', 'sha512'], default: 'sha256'}),
    uri: Flags.boolean({description: 'Print the RFC 9278 thumbprint URI instead.'}),
  }

  async run(): Promise<ThumbprintResult> {
    const {args, flags} = await this.parse(KeyThumbprint)
    const set = await loadKeySource(args.source, {secrets: this.secrets, kid: flags.kid, thumbprint: flags.thumbprint})
    const result = thumbprintLines(set, {hash: flags.hash as 'sha256' | 'sha384' | 'sha512', uri: flags.uri})
    if (!this.jsonEnabled()) this.log(result.lines.join('\n'))
    return result
  }
}
