// Sizes as ripgrep's --max-filesize takes them: a number of bytes, or with a K, M or G suffix
// (powers of 1024).
import {JwkrError} from './errors.js'

const UNITS: Record<string, number> = {'': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3}

/**
 * @example parseSize('500K') // 512000
 * @example parseSize('10M')  // 10485760
 */
export function parseSize(text: string): number {
  const match = /^\s*(\d+)\s*([KMG]?)\s*$/i.exec(text)
  const bytes = match ? Number(match[1]) * (UNITS[(match[2] ?? '').toUpperCase()] ?? 1) : Number.NaN
  if (!Number.isSafeInteger(bytes)) {
    throw new JwkrError('ERR_SIZE_INVALID', `"${text.slice(0, 32)}" is not a size.`, {
      hint: 'Give a number of bytes, optionally with a K, M or G suffix (powers of 1024), e.g. 500K or 10M.',
    })
  }
  return bytes
}

/** 10485760 → "10 MiB", 512000 → "500 KiB", 99 → "99 B". */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  const [unit, scale] = bytes < 1024 ** 2 ? ['KiB', 1024] : bytes < 1024 ** 3 ? ['MiB', 1024 ** 2] : ['GiB', 1024 ** 3]
  const value = bytes / scale
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${unit}`
}
