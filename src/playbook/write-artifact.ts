// Writes a step's artifact into the incident's artifacts folder: redacted through the run's secret
// registry (an artifact is an output like any other), readable by the user only, and atomically (a
// crash leaves the old artifact or the new one, and at worst a temp file that resume removes).
import {mkdir} from 'node:fs/promises'
import {join} from 'node:path'

import {writeFileAtomic} from '../adapters/fs/atomic-file.js'

import type {StepContext} from './types.js'

/**
 * Writes `content` (text as is, anything else as indented JSON) to `artifacts/<name>` and returns its path.
 *
 * @example const path = await writeArtifact(context, 'locate.json', result)
 */
export async function writeArtifact(
  context: Pick<StepContext, 'incident' | 'secrets'>,
  name: string,
  content: unknown,
): Promise<string> {
  const text =
    typeof content === 'string'
      ? context.secrets.redact(content)
      : `${JSON.stringify(context.secrets.redactValue(content), null, 2)}\n`
  await mkdir(context.incident.artifactsDir, {recursive: true, mode: 0o700})
  const path = join(context.incident.artifactsDir, name)
  await writeFileAtomic(path, text, 0o600, {keepMode: false})
  return path
}
