// The words without which a discovery parser finds nothing in a file, per kind of file: the cheap
// test before parsing, run on the bytes of each file by the reading workers (which load only this
// module of discovery) and on the text by discoverFile.

export type FileKind =
  'catalog' | 'spring-yaml' | 'spring-properties' | 'appsettings' | 'dotenv' | 'helm-values' | 'nginx' | 'manifest' | 'node'

/** What every environment variable name env-names.ts reads contains (its PATTERNS: upper case only). */
const ENV_WORDS: readonly string[] = ['JWKS_UR', 'ISSUER', 'AUTH0_DOMAIN']

/** What the Node.js calls parse-node-code.ts reads are named by. */
export const NODE_WORDS: readonly string[] = ['createRemoteJWKSet', 'jwksUri', 'issuerBaseURL', 'expressjwt']

/**
 * Words a file of each kind holds when its parser can find something in it, tested before parsing:
 * most files of a kind say nothing about tokens. Each list is what the parsers need, case included
 * (env names are upper case only, see env-names.ts; a manifest says nothing unless it is an Istio,
 * NGINX, Traefik, Kong, Envoy or Backstage document or sets such an env name), so prose that speaks
 * of an issuer or a jwksCache is not parsed. Plain ASCII words, so they can be looked for in the bytes
 * of a file before it is decoded.
 */
const HINT_WORDS: Record<FileKind, readonly string[]> = {
  catalog: ['backstage.io'],
  'spring-yaml': ['jwk-set-uri', 'issuer-uri', 'jwt'],
  'spring-properties': ['jwk-set-uri', 'issuer-uri'],
  appsettings: ['Authority', 'MetadataAddress', 'ValidIssuer'],
  dotenv: ENV_WORDS,
  'helm-values': ENV_WORDS,
  nginx: ['auth_jwt_key_request'],
  manifest: [
    'RequestAuthentication',
    'k8s.nginx.org',
    'traefik.',
    'konghq.com',
    '_format_version',
    'providers',
    ...ENV_WORDS,
    'backstage.io/',
  ],
  node: NODE_WORDS,
}

/**
 * The words one of which a file of this kind must hold for discovery to find anything in it.
 *
 * @example hintWords('nginx') // → ['auth_jwt_key_request']
 */
export function hintWords(kind: FileKind): readonly string[] {
  return HINT_WORDS[kind]
}

/**
 * Whether the text holds one of its kind's hint words, without which its parser finds nothing.
 *
 * @example holdsHint('manifest', 'kind: RequestAuthentication') // → true
 */
export function holdsHint(kind: FileKind, text: string): boolean {
  return HINT_WORDS[kind].some((word) => text.includes(word))
}
