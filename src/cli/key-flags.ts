// Flags and the argument shared by the commands that read a key.
import {Args, Flags} from '@oclif/core'

export const keySourceArg = Args.string({
  name: 'source',
  required: true,
  description: 'The key: a file path, "-" for stdin, or the JWK/JWKS JSON, PEM or JWT itself.',
})

export const keySelectionFlags = {
  kid: Flags.string({description: 'From a JWKS, only the key with this kid.'}),
  thumbprint: Flags.string({description: 'From a JWKS, only the key with this RFC 7638 SHA-256 thumbprint.'}),
}
