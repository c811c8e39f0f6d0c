// The phases of a response: each playbook step declares its own (`phase:`), which the journal's
// `playbook.loaded` records; a step that declares none (older journals, custom playbooks) gets one
// from its `uses`. Where a step sits decides the RCA's phases, its timeline bars and "what was done".

import type {Phase} from './report-model.js'

export const PHASES: readonly Phase[] = ['assess', 'locate', 'contain', 'prove', 'communicate']

export const PHASE_TITLES: Record<Phase, string> = {
  assess: 'Assess',
  locate: 'Locate',
  contain: 'Contain',
  prove: 'Prove',
  communicate: 'Communicate',
}

/** Exact step ids first, then areas. `core.*` steps (notes, approvals, waits) have no phase of their own. */
const BY_STEP: Record<string, Phase> = {
  'key.inspect': 'assess',
  'tokens.invalidate': 'contain',
  // Token triage finds the tokens the key signed and whom they name: locating the damage, not proof.
  'tokens.scan': 'locate',
  // Busting caches makes relying parties drop the key: containment, not locating.
  'services.bust-caches': 'contain',
}

const BY_AREA: Record<string, Phase> = {
  key: 'contain',
  services: 'locate',
  code: 'locate',
  inventory: 'locate',
  containment: 'prove',
  verify: 'prove',
  tokens: 'prove',
  notify: 'communicate',
  report: 'communicate',
}

/**
 * The phase of a step: from its `uses`, or, for `core.*` and unknown steps, the phase of the step
 * before it (a note or an approval belongs to what it comments on; the first steps assess).
 *
 * @example phaseOf('key.rotate', 'locate') // 'contain'
 * @example phaseOf('core.approve', 'assess') // 'assess'
 */
export function phaseOf(uses: string | null | undefined, previous: Phase = 'assess'): Phase {
  if (!uses) return previous
  return BY_STEP[uses] ?? BY_AREA[uses.split('.')[0] ?? ''] ?? previous
}

/** A phase as a playbook declared it, or null when it declared none (or something that is not a phase). */
export function declaredPhase(value: string | null | undefined): Phase | null {
  return PHASES.find((phase) => phase === value) ?? null
}
