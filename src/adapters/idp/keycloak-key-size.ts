// The RSA key size of Keycloak's replacement provider. Keycloak checks `keySize` against the options
// of the provider's "Key size" list and answers 400 to anything else ("'Key size' should be 1024,
// 2048 or 4096"); the list is fixed in older versions and built at run time in newer ones (FIPS mode
// drops 1024, some crypto providers add 3072). The server lists it in its provider metadata
// (GET /admin/serverinfo → componentTypes["org.keycloak.keys.KeyProvider"][id].properties[keySize].options).
import {isJwkrError, JwkrError} from '../../core/errors.js'
import type {IdpClient} from './idp-client.js'

export const KEY_PROVIDER_TYPE = 'org.keycloak.keys.KeyProvider'
/** Smaller RSA keys are not safe to sign with (NIST SP 800-57: 112-bit security needs 2048). */
export const MIN_RSA_BITS = 2048
/** Sizes every Keycloak version checked accepts (1024/2048/4096 up to 26; FIPS 2048/4096; newer add 3072). */
export const KNOWN_RSA_SIZES: readonly number[] = [2048, 4096]

export interface KeySizeChoice {
  bits: number
  /** The sizes the choice was made from, and where they came from. */
  offered: number[]
  from: 'server' | 'known'
  /** Set when the replacement differs from the leaked key's size: why, in words (a warning of the rotation). */
  note: string | null
}

/**
 * The sizes Keycloak's provider accepts, from its server info; null when the server does not say
 * (an older server, an admin without access to it, or no list for the provider).
 *
 * @example await offeredRsaKeySizes(client, 'rsa-generated') // → [1024, 2048, 4096]
 */
export async function offeredRsaKeySizes(client: IdpClient, providerId: string, signal?: AbortSignal): Promise<number[] | null> {
  let body: unknown
  try {
    ;({body} = await client.request('GET', '/admin/serverinfo', {signal}))
  } catch (error) {
    if (isJwkrError(error) && error.code !== 'ERR_ABORTED') return null
    throw error
  }
  const types = (body as {componentTypes?: Record<string, unknown>} | null)?.componentTypes?.[KEY_PROVIDER_TYPE]
  const provider = Array.isArray(types)
    ? (types as Array<{id?: unknown; properties?: unknown}>).find((type) => type.id === providerId)
    : undefined
  const property = Array.isArray(provider?.properties)
    ? (provider.properties as Array<{name?: unknown; options?: unknown}>).find((item) => item.name === 'keySize')
    : undefined
  if (!Array.isArray(property?.options)) return null
  const sizes = property.options.map(Number).filter((size) => Number.isInteger(size) && size > 0)
  return sizes.length > 0 ? [...new Set(sizes)].sort((a, b) => a - b) : null
}

/**
 * The size of the replacement: the smallest offered size that is at least 2048 bits and at least the
 * leaked key's, else the largest offered (smaller than the leaked key only when nothing larger is).
 * Without the server's list, only sizes every known version accepts are chosen from.
 *
 * @example chooseRsaKeySize(3072, [1024, 2048, 4096]).bits // → 4096
 */
export function chooseRsaKeySize(leakedBits: number | null, offered: readonly number[] | null): KeySizeChoice {
  const from = offered === null ? 'known' : 'server'
  const sizes = [...(offered ?? KNOWN_RSA_SIZES)].sort((a, b) => a - b)
  const safe = sizes.filter((size) => size >= MIN_RSA_BITS)
  if (safe.length === 0) {
    throw new JwkrError(
      'ERR_IDP_UNSUPPORTED',
      `Keycloak offers no RSA key size of ${MIN_RSA_BITS} bits or more for a generated provider (it offers ${sizes.join(', ')}).`,
      {hint: 'Add an RSA key provider of 2048 bits or more in the admin console (an imported key), then run jwkr key revoke.'},
    )
  }
  const wanted = Math.max(MIN_RSA_BITS, leakedBits ?? MIN_RSA_BITS)
  const bits = safe.find((size) => size >= wanted) ?? (safe.at(-1) as number)
  return {bits, offered: sizes, from, note: keySizeNote(leakedBits, bits, {offered: sizes, from})}
}

/** Why the replacement's size differs from the leaked key's; null when it does not. */
export function keySizeNote(
  leakedBits: number | null,
  bits: number,
  offered?: {offered: readonly number[]; from: 'server' | 'known'},
): string | null {
  if (leakedBits === null || leakedBits === bits) return null
  const which = bits > leakedBits ? 'larger' : 'smaller'
  const why =
    offered === undefined
      ? ''
      : offered.from === 'server'
        ? `: Keycloak accepts ${offered.offered.join(', ')} bits (its server info)`
        : `: Keycloak's server info did not list the sizes it accepts, so jwkr chose among ${offered.offered.join(' and ')} bits, which every Keycloak version accepts`
  const smaller =
    which === 'smaller'
      ? '. It is smaller because Keycloak offers nothing larger: add a larger imported key by hand if policy requires one'
      : ''
  return `The replacement is a ${bits}-bit RSA key, ${which} than the leaked ${leakedBits}-bit key${why}${smaller}.`
}
