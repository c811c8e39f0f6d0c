import {JwkrCommand} from '../../cli/base-command.js'
import {keySelectionFlags, keySourceArg} from '../../cli/key-flags.js'
import {renderInspect} from '../../cli/render-inspect.js'
import {loadKeySource} from '../../services/identify.js'
import {inspectKeySet, type InspectResult} from '../../core/key/inspect-key.js'
import {prose} from '../../core/prose.js'

export default class KeyInspect extends JwkrCommand {
  static override summary = 'Identify a key and say whether private material is exposed.'
  static override description = prose`
    Reads a JWK, a JWKS, a PEM key or certificate, or a JWT, and prints each key's type, RFC 7638 thumbprint, RFC
    9278 URI, which private members it exposes (names only, never values), its severity and what to do next.`
  static override examples = [
    '<%= config.bin %> <%= command.id %> leaked.json',
    '<%= config.bin %> <%= command.id %> jwks.json --kid 2024-signing',
    'cat key.pem | <%= config.bin %> <%= command.id %> - --json',
  ]
  static override args = {source: keySourceArg}
  static override flags = {...keySelectionFlags}

  async run(): Promise<InspectResult> {
    const {args, flags} = await this.parse(KeyInspect)
    const set = await loadKeySource(args.source, {secrets: this.secrets, kid: flags.kid, thumbprint: flags.thumbprint})
    const result = inspectKeySet(set, args.source)
    if (!this.jsonEnabled()) this.log(renderInspect(result, this.style))
    return result
  }
}
