// The base64url alphabet (RFC 4648 §5) as one table, for the code that reads tokens byte by byte.

/** Each byte's 6-bit base64url value, -1 for a byte outside the alphabet. */
export const BASE64URL_DIGITS = new Int8Array(256).fill(-1)
for (const [value, char] of [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'].entries()) {
  BASE64URL_DIGITS[char.charCodeAt(0)] = value
}
