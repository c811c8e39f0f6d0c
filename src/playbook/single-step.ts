// `jwkr step run USES`: any registered step run alone, as a one-step playbook in its own incident,
// so it is journaled, resumable and gated like a step of a full run (and CACAO exports can name it).
import {stringify} from 'yaml'

import {ExitCode, JwkrError} from '../core/errors.js'
import {loadPlaybook, type Playbook} from './load-playbook.js'
import type {StepRegistry} from './registry.js'

/**
 * A one-step playbook for `uses` with the given `with`. A `key` in `with` becomes the playbook's
 * `key` input, so the incident is named after the key's thumbprint like any other.
 *
 * @example singleStepPlaybook('key.inspect', {key: 'leaked.json'}, registry).steps[0].uses // 'key.inspect'
 */
export function singleStepPlaybook(uses: string, input: Record<string, unknown>, registry: StepRegistry): Playbook {
  const definition = registry.get(uses)
  const {key, ...rest} = input
  const required = (definition.inputSchema as {required?: string[]}).required ?? []
  if (key !== undefined ? typeof key !== 'string' : required.includes('key')) {
    throw new JwkrError(
      'ERR_USAGE',
      key === undefined ? `${uses} needs the leaked key: "key" in --with.` : 'The "key" of --with must be a string.',
      {
        hint: `Give the path of the key file, "-" for stdin, or the key JSON itself as a string, e.g. --with '{"key": "leaked.json"}'.`,
        exitCode: ExitCode.usage,
      },
    )
  }
  const document = {
    apiVersion: 'jwkr/v1',
    kind: 'Playbook',
    name: `step-${uses.replace(/\./g, '-')}`,
    description: `${definition.title}, run alone (jwkr step run ${uses}).`,
    inputs: key === undefined ? {} : {key: {type: 'string', required: true, description: 'The leaked key'}},
    steps: [{id: uses.split('.').at(-1), uses, with: key === undefined ? rest : {key: '${{ inputs.key }}', ...rest}}],
  }
  return loadPlaybook(stringify(document), `jwkr step run ${uses}`, registry)
}
