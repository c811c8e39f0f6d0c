// What a finished step did, in one line of words a responder reads in the run view: counts (issuers,
// services, tokens), the places it wrote or opened (the GitHub issue URL, the Slack channel, the
// replacement kid) and what changed. Read from the step's journaled outputs, defensively: a journal
// may come from another jwkr version, and a step without a summary here simply gets none.

import {formatDuration} from '../core/duration.js'

type Outputs = Record<string, unknown>

const list = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []
const num = (value: unknown): number => (typeof value === 'number' ? value : 0)
const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined)
const obj = (value: unknown): Outputs =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Outputs) : {}

/** `1 issuer`, `5 services`: a count with its noun, plural when it is not one. */
export function plural(count: number, noun: string, many = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : many}`
}

/** Names, at most `max` of them, then `and N more`. */
function names(items: string[], max = 4): string {
  if (items.length <= max) return items.join(', ')
  return `${items.slice(0, max).join(', ')} and ${items.length - max} more`
}

const summaries: Record<string, (outputs: Outputs, input: Outputs) => string | undefined> = {
  'key.inspect': (o) => {
    const kind = [str(o.kty), str(o.alg) ? `(${str(o.alg)})` : undefined].filter(Boolean).join(' ')
    const what = o.private === true ? `private ${kind} key, severity ${str(o.severity) ?? 'unknown'}` : `public ${kind} key`
    return `${what}, kid ${str(o.kid) ?? 'none'}, thumbprint ${str(o.thumbprint) ?? '?'}`
  },
  'core.approve': (o) => (o.approved === true ? 'approved' : undefined),
  'core.note': () => 'noted in the timeline',
  'services.locate': (o) => {
    const publishing = list(o.publishing)
    const dependents = list(o.dependents)
    const failed = list(o.failedEndpoints)
    const critical = list(o.criticalFindings)
    return [
      `${plural(publishing.length, 'issuer')} publish${publishing.length === 1 ? 'es' : ''} the key${publishing.length ? ` (${names(publishing)})` : ''}`,
      `${plural(dependents.length, 'service')} trust${dependents.length === 1 ? 's' : ''} ${publishing.length === 1 ? 'it' : 'them'}`,
      ...(failed.length ? [`${plural(failed.length, 'endpoint')} did not answer`] : []),
      // A JWKS that serves private key material hands the key to anyone: said on the step's line, not only in the RCA.
      ...critical.map((finding) => `CRITICAL: ${finding}`),
    ].join(', ')
  },
  'code.scan': (o) =>
    `${plural(num(o.hits), 'copy', 'copies')} of the key in ${plural(list(o.files).length, 'file')} (${num(o.privateHits)} private), ${num(o.filesScanned)} files searched`,
  'code.search': (o) =>
    `${plural(num(o.results), 'file')} in ${plural(list(o.repos).length, 'repository', 'repositories')} embed the key${o.incomplete === true ? ' (incomplete: GitHub listed fewer)' : ''}`,
  'tokens.scan': (o) =>
    `${num(o.signedWithLeakedKey)} of ${plural(num(o.tokens), 'token')} signed with the key, ${plural(num(o.forgeries), 'suspected forgery', 'suspected forgeries')}, ${plural(num(o.subjects), 'subject')}`,
  'containment.verify': (o, input) => {
    const counts = obj(o.services)
    const total = num(counts.contained) + num(counts.exposed) + num(counts.unknown) + num(counts.undiscriminating)
    const exposed = list(o.exposed)
    const undiscriminating = list(o.undiscriminating)
    if (input.baseline === true) {
      // A service that accepts the canary now is one whose later refusal proves containment (older journals: the exposed ones).
      const accepting = Array.isArray(o.accepting) ? list(o.accepting) : exposed
      return `${accepting.length}/${total} services accept the canary now, so their refusals can prove containment${undiscriminating.length ? `; ${names(undiscriminating)} cannot tell` : ''}`
    }
    const parts = [`${num(counts.contained)}/${total} services contained`]
    if (exposed.length) parts.push(`still accepting the key: ${names(exposed)}`)
    if (undiscriminating.length) parts.push(`cannot tell: ${names(undiscriminating)}`)
    const waitFor = str(obj(o.clock).waitFor)
    if (o.contained !== true && waitFor && !/^0\D/.test(waitFor)) parts.push(`caches expire in ${waitFor}`)
    if (num(o.checks) > 1) parts.push(`after ${num(o.checks)} checks`)
    return parts.join(', ')
  },
  'key.rotate': (o) => {
    const changed = list(o.changed)
    const replacement = obj(o.replacement)
    const kid = str(replacement.kid)
    const removed = list(o.notFound).length
    return [
      changed.length ? `rotated at ${names(changed)}` : 'no issuer changed',
      ...(kid ? [`new kid ${kid}`] : []),
      ...(removed ? [`${plural(removed, 'issuer')} did not publish it`] : []),
      ...(str(replacement.privateKeyFile) ? [`its private key in ${str(replacement.privateKeyFile)}`] : []),
    ].join(', ')
  },
  'key.revoke': (o) => {
    const changed = list(o.changed)
    return changed.length ? `removed at ${names(changed)}` : 'no issuer changed'
  },
  'tokens.invalidate': (o) => {
    const denylists = Array.isArray(o.denylist) ? o.denylist.map(obj) : []
    const written = denylists.filter((entry) => entry.status === 'written').map((entry) => str(entry.target) ?? '?')
    const sessions = Array.isArray(o.sessions) ? o.sessions.map(obj) : []
    const revoked = sessions.filter((entry) => entry.status === 'revoked').map((entry) => str(entry.issuerId) ?? '?')
    const byHand = sessions.filter((entry) => str(entry.byHand) !== undefined).map((entry) => str(entry.issuerId) ?? '?')
    return [
      `key denied in ${plural(written.length, 'denylist')}${written.length ? ` (${names(written, 2)})` : ''}`,
      ...(revoked.length ? [`sessions revoked at ${names(revoked)}`] : []),
      ...(byHand.length ? [`sessions to revoke by hand at ${names(byHand)}`] : []),
    ].join(', ')
  },
  'notify.slack': (o) => {
    const channel = str(o.channel)
    const noticed = list(o.noticed)
    return [
      `status posted in #${channel ?? '?'}${o.created === true ? ' (channel created)' : ''}`,
      ...(noticed.length ? [`told ${names(noticed)}`] : []),
    ].join(', ')
  },
  'notify.github': (o) => {
    const url = str(o.url)
    const number = num(o.number)
    const verb = o.created === true ? 'opened' : 'updated'
    return `tracking issue #${number} ${verb}${url ? `: ${url}` : ` in ${str(o.repo) ?? '?'}`}`
  },
  'services.bust-caches': (o) => {
    const busted = list(o.busted)
    const failed = Array.isArray(o.failed) ? o.failed.length : 0
    return [
      `caches dropped at ${busted.length ? names(busted) : 'no service'}`,
      ...(failed ? [`${failed} hook(s) failed`] : []),
    ].join(', ')
  },
  'core.wait': (o) => `waited ${formatDuration(num(o.waitedMs))}${o.reason === 'condition' ? ' until the condition held' : ''}`,
  'report.rca': (o) => written([o.markdown, o.html, o.timeline]),
  'report.notification': (o) => written([o.users, o.partners, o.usersText]),
}

/** `rca.md, rca.html and timeline.md in /…/artifacts`. */
function written(paths: unknown[]): string | undefined {
  const files = paths.filter((path): path is string => typeof path === 'string')
  if (files.length === 0) return undefined
  const dir = files[0]!.slice(0, files[0]!.lastIndexOf('/'))
  const base = files.map((file) => (file.startsWith(`${dir}/`) ? file.slice(dir.length + 1) : file))
  return `wrote ${base.join(', ')} in ${dir}`
}

/**
 * One line saying what a succeeded step did, or undefined when the step has nothing worth saying.
 *
 * @example summarizeStep('notify.github', {created: true, number: 1, url: 'https://github.com/o/r/issues/1'})
 *   // → 'tracking issue #1 opened: https://github.com/o/r/issues/1'
 */
/**
 * Whether a step that succeeded found something still wrong, so its mark must not read as good: a
 * containment check that found the key still accepted or served, a locate that found a JWKS serving
 * private key material.
 *
 * @example needsAttention('containment.verify', {contained: false}) // true
 */
export function needsAttention(
  uses: string,
  outputs: Record<string, unknown> | null,
  input: Record<string, unknown> = {},
): boolean {
  if (outputs === null) return false
  if (uses === 'containment.verify') return input.baseline !== true && outputs.contained === false
  if (uses === 'services.locate') return list(outputs.criticalFindings).length > 0
  return false
}

export function summarizeStep(
  uses: string,
  outputs: Record<string, unknown> | null,
  /** The step's `with:` as written (containment.verify reads `baseline`). */
  input: Record<string, unknown> = {},
): string | undefined {
  const summary = summaries[uses]
  if (!summary || outputs === null) return undefined
  try {
    return summary(outputs, input)
  } catch {
    return undefined
  }
}
