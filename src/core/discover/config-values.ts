// The small readings every discovery parser shares: whether a configured value can be used as
// written or needs something only the running system knows (a Helm template, an environment
// reference), durations as proxies write them, and line numbers from character offsets.

/** Why a value cannot be read as written, or null when it can. */
export function unresolvedReason(value: string): string | null {
  if (/\{\{.*\}\}/s.test(value)) return 'a template (Helm/Go): its value is only known when the chart is rendered'
  if (/\$\{[^}]*\}/.test(value)) return 'an environment or property reference: its value is only known where the service runs'
  if (/\$\([A-Za-z_][A-Za-z0-9_]*\)/.test(value)) return 'a Kubernetes variable reference: its value is only known in the pod'
  if (/^\$[A-Za-z_][A-Za-z0-9_]*$/.test(value)) return 'an environment reference: its value is only known where the service runs'
  return null
}

/** An http(s) URL as written, or null. */
export function httpUrl(value: unknown): string | null {
  if (typeof value !== 'string') return null
  const text = value.trim()
  if (!/^https?:\/\/[^\s]+$/i.test(text)) return null
  try {
    new URL(text)
    return text
  } catch {
    return null
  }
}

const SECONDS: Record<string, number> = {ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400, w: 604_800}

/**
 * Seconds from a duration as Envoy (protobuf Duration: "300s", "1.5s", {seconds: 300}) or NGINX
 * ("1h", "30m", "1h30m", "600") write it; null when it is not one.
 *
 * @example configDurationSeconds('5m') // → 300
 */
export function configDurationSeconds(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : null
  if (value !== null && typeof value === 'object') {
    const {seconds, nanos} = value as {seconds?: unknown; nanos?: unknown}
    const whole = typeof seconds === 'string' ? Number(seconds) : seconds
    if (typeof whole !== 'number' || !Number.isFinite(whole)) return null
    return whole + (typeof nanos === 'number' ? nanos / 1e9 : 0)
  }
  if (typeof value !== 'string') return null
  const text = value.trim()
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text)
  if (!/^(\d+(\.\d+)?(ms|s|m|h|d|w))+$/.test(text)) return null
  let total = 0
  for (const [, amount, unit] of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g))
    total += Number(amount) * (SECONDS[unit ?? 's'] ?? 0)
  return total
}

/** 1-based line numbers of character offsets in one text, computed once. */
export function lineIndex(text: string): (offset: number) => number {
  const starts = [0]
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) starts.push(at + 1)
  return (offset) => {
    let low = 0
    let high = starts.length - 1
    while (low < high) {
      const middle = (low + high + 1) >> 1
      if ((starts[middle] as number) <= offset) low = middle
      else high = middle - 1
    }
    return low + 1
  }
}

/** A name usable as an inventory id (letters, digits, ".", "_", "-"), from any project or workload name. */
export function toId(name: string): string {
  const id = name
    .replace(/^@[^/]+\//, '')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .replace(/-+$/, '')
  return id === '' ? 'unnamed' : id
}
