// Flags shared by the commands that run playbooks (respond, playbook run, incident resume), and by
// those acting on an incident outside a run.
import {Flags} from '@oclif/core'

export const homeFlag = {
  home: Flags.string({description: 'The jwkr workspace (default: JWKR_HOME or ./.jwkr).', helpGroup: 'WORKSPACE'}),
}

export const approvalFlags = {
  yes: Flags.boolean({
    char: 'y',
    description: 'Approve every step with side effects without asking (needed without a terminal).',
  }),
}

/** For commands acting on an incident outside a run (the effect ledger's rule for an unknown effect). */
export const unknownEffectFlags = {
  yes: Flags.boolean({
    char: 'y',
    description:
      'Make again a change interrupted before its result was journaled, when the remote cannot tell whether it was made (needed without a terminal).',
  }),
}

export const runFlags = {
  ...homeFlag,
  ...approvalFlags,
  inventory: Flags.string({description: 'The inventory file (default: JWKR_INVENTORY or ./jwkr.inventory.yaml if present).'}),
  input: Flags.string({description: 'A playbook input as NAME=VALUE (repeatable).', multiple: true}),
  'dry-run': Flags.boolean({description: 'Print every call each step would make, and make none.'}),
}
