// Writes a step's artifact into the incident's artifacts folder: redacted through the run's secret
// registry (an artifact is an output like any other) and readable by the user only.
import {mkdir, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

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
  await writeFile(path, text, {mode: 0o600})
  return path
}
