// ASP.NET Core JwtBearer settings in appsettings*.json: Authority (the issuer, whose discovery
// document the handler reads), MetadataAddress (the discovery document itself) and Audience. Read
// line by line, so comments (which appsettings allows) do not matter and every value has its line.
import {lineIndex} from './config-values.js'
import {statedFindings, type Stated} from './stated-values.js'
import type {Finding, ParseContext} from './types.js'

const SETTING = /"(Authority|MetadataAddress|Audience|ValidIssuer)"\s*:\s*"((?:[^"\\]|\\.)*)"/g

/** Finds the JwtBearer settings of one appsettings file. */
export function parseAppsettings(text: string, context: ParseContext): Finding[] {
  const lineOf = lineIndex(text)
  const found = new Map<string, Stated>()
  for (const match of text.matchAll(SETTING)) {
    const name = match[1] as string
    if (!found.has(name)) found.set(name, {value: JSON.parse(`"${match[2] as string}"`) as string, line: lineOf(match.index)})
  }
  const audience = found.get('Audience')?.value
  return statedFindings(
    {
      source: 'aspnet',
      service: context.service,
      file: context.file,
      verifier: 'microsoft-identitymodel',
      ...(typeof audience === 'string' && audience !== '' ? {audiences: [audience]} : {}),
    },
    {issuer: found.get('ValidIssuer') ?? found.get('Authority'), discovery: found.get('MetadataAddress')},
  )
}
