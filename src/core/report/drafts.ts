// What the notification drafts (users, partners) may say about the response: plain sentences from
// the report model, for people outside the team. No step titles, file names, paths or effect
// descriptions reach them (those are internal), and a statement of scope never reads as reassurance
// when nothing was checked.
import type {ReportModel} from './report-model.js'

/**
 * "What we did", in the order it happened; never empty (the incident's opening is always true).
 *
 * @example publicActionsOf(model) // ['We opened an incident on 2026-03-14 09:00 UTC …', …]
 */
export function publicActionsOf(model: Omit<ReportModel, 'publicActions'>): string[] {
  const actions: string[] = []
  const opened = model.incident.openedAt
  const identified = model.key.thumbprint ? ' and identified the exposed key by its fingerprint' : ''
  actions.push(`We opened an incident${opened ? ` on ${minute(opened)}` : ''}${identified}.`)
  if (model.locate) actions.push('We looked for the services that rely on the key.')
  // What was done, as the steps that did it recorded it: a phase counts a skipped step as done.
  const rotated = model.replacement === null ? undefined : succeeded(model, 'key.rotate')
  if (rotated)
    actions.push(
      keyUnpublished(model)
        ? `We replaced the key: our key set no longer lists the exposed one${at(rotated.finishedAt)}.`
        : `We made a replacement key${at(rotated.finishedAt)}.`,
    )
  const denied = succeeded(model, 'tokens.invalidate')
  if (denied) actions.push(`We told our services to reject the exposed key${at(denied.finishedAt)}.`)
  if (model.triage?.scanned)
    actions.push(`We reviewed ${model.triage.scanned.toLocaleString('en-US')} sign-in tokens to find the accounts concerned.`)
  actions.push(scopeOf(model))
  return actions
}

/**
 * Whether the key sets that published the key were seen not to list it any more: at least one was
 * checked, and each one's latest check found it gone.
 *
 * @example keyUnpublished(model) // false while an issuer's JWKS still serves the key, or none was checked
 */
export function keyUnpublished(model: Pick<ReportModel, 'containment'>): boolean {
  const keySets = model.containment.targets.filter((target) => target.kind === 'jwks')
  return keySets.length > 0 && keySets.every((target) => target.outcome === 'contained')
}

function succeeded(model: Pick<ReportModel, 'steps'>, uses: string): ReportModel['steps'][number] | undefined {
  return model.steps.find((step) => step.uses === uses && step.status === 'succeeded')
}

/** What the checks of relying parties and key sets say, scoped to what was checked. */
function scopeOf(model: Omit<ReportModel, 'publicActions'>): string {
  const {containment} = model
  const checked = containment.targets.length
  if (containment.proven && containment.containedAt)
    return checked > 0
      ? `We confirmed, at ${minute(containment.containedAt)}, that each of the ${checked} services and key sets we checked rejects the exposed key.`
      : `We confirmed, at ${minute(containment.containedAt)}, that the services we checked reject the exposed key.`
  if (checked === 0) return 'No relying party was checked yet: we cannot say whether any service still accepts the exposed key.'
  const {exposed, unknown} = containment.counts
  const tell = unknown > 0 ? `, and ${unknown} gave no clear answer` : ''
  return `We are still confirming that every service rejects the exposed key: of the ${checked} services and key sets we checked, ${exposed} still accepted it at their last check${tell}.`
}

function at(iso: string | null): string {
  return iso ? ` (${minute(iso)})` : ''
}

/** `2026-03-14 09:10 UTC`: drafts for people outside the team need no seconds. */
function minute(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`
}
