// The input every step that acts on the leaked key takes: where the key is, and which key of a JWKS.
// One definition, so every step documents and validates it the same way.
export const leakedKeyInput = {
  key: {type: 'string', description: 'Path of the leaked key (JWK, JWKS, PEM, certificate or JWT).'},
  kid: {type: 'string', description: 'From a JWKS, the kid of the leaked key.'},
  thumbprint: {type: 'string', description: 'From a JWKS, the thumbprint of the leaked key.'},
} as const
