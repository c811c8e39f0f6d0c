// The input every step that acts on the leaked key takes: where the key is, and which key of a JWKS.
// One definition, so every step documents and validates it the same way.
import {OneOrMany, Type} from '../step-schema.js'

export const leakedKeyInput = {
  key: Type.String({description: 'Path of the leaked key (JWK, JWKS, PEM, certificate or JWT).'}),
  kid: Type.Optional(Type.String({description: 'From a JWKS, the kid of the leaked key.'})),
  thumbprint: Type.Optional(Type.String({description: 'From a JWKS, the thumbprint of the leaked key.'})),
}

/** The files and folders a scanning step reads (code.scan, tokens.scan): one path, or a list. */
export function pathsInput(what: string) {
  return OneOrMany(Type.String({minLength: 1}), {description: `${what} (one path, or a list).`})
}

/** The paths of a `paths` input, always as a list. */
export function pathsOf(input: {paths: string | string[]}): string[] {
  return typeof input.paths === 'string' ? [input.paths] : input.paths
}
