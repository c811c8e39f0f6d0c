// The phases of a response, derived from the `uses` of each step: what a step does decides where it
// sits in the RCA, in the timeline bars and in the notifications ("what was done").

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
  'tokens.scan': 'prove',
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
