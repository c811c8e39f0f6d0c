// The human summary of `jwkr key inspect`: what each key is, whether private material is exposed,
// its thumbprint, and what to do next. Plain text; colour only through the given Style.
import type {InspectResult} from '../core/key/inspect-key.js'
import type {KeyReport} from '../core/key/types.js'
import type {Style} from './style.js'

export function renderInspect(result: InspectResult, style: Style): string {
  const blocks = result.keys.map((key) => renderKey(key, style, result.keys.length > 1))
  const lines = [...blocks]
  if (result.warnings.length > 0) lines.push(result.warnings.map((w) => `${style.yellow('!')} ${w}`).join('\n'))
  lines.push(`${style.bold('Next:')}\n${result.next.map((n) => `  ${n}`).join('\n')}`)
  return lines.join('\n\n')
}

function renderKey(key: KeyReport, style: Style, numbered: boolean): string {
  const title = `${numbered ? `Key ${key.index + 1}: ` : ''}${describe(key)}`
  // An oct key is private too: say "shared secret" first, the more precise name.
  const exposure = key.thumbprintDerivedFromSecret
    ? style.red(style.bold(`SHARED SECRET EXPOSED (k) — severity ${key.severity}`))
    : key.private
      ? style.red(style.bold(`PRIVATE KEY MATERIAL EXPOSED (${key.privateMembers.join(', ')}) — severity ${key.severity}`))
      : key.reference
        ? style.cyan('A reference to a key (no key material)')
        : style.green(`Public key only — severity ${key.severity}`)
  const rows: Array<[string, string | null]> = [
    ['kid', key.kid],
    ['alg', key.alg],
    ['use', key.use],
    ['format', key.format],
    [
      'thumbprint',
      key.thumbprint === null ? null : `${key.thumbprint}${key.thumbprintDerivedFromSecret ? ' (derived from the secret)' : ''}`,
    ],
    ['uri', key.thumbprintUri],
    ['x5t', key.x5t],
    ['x5t#S256', key.x5tS256],
  ]
  if (key.certificate) {
    rows.push(
      ['subject', key.certificate.subject],
      ['issuer', key.certificate.issuer],
      ['valid', `${key.certificate.validFrom} → ${key.certificate.validTo}`],
    )
  }
  const width = Math.max(...rows.map(([name]) => name.length))
  const body = rows.filter(([, value]) => value !== null).map(([name, value]) => `  ${style.dim(name.padEnd(width))}  ${value}`)
  const warnings = key.warnings.map((w) => `  ${style.yellow('!')} ${w}`)
  return [style.bold(title), `  ${exposure}`, ...body, ...warnings].join('\n')
}

function describe(key: KeyReport): string {
  if (key.reference) return 'JWT header'
  const size = key.bits === null ? '' : ` ${key.bits}-bit`
  const curve = key.crv === null ? '' : ` ${key.crv}`
  return `${key.kty ?? '?'}${size}${curve} key`
}
