// Spring Boot resource servers: spring.security.oauth2.resourceserver.jwt.issuer-uri and jwk-set-uri,
// in application.yml (nested or dotted keys, every profile document) or application.properties.
// The service is spring.application.name when set. Spring's ${…} placeholders are unresolved findings.
import {statedFindings, type Stated} from './stated-values.js'
import type {Finding, ParseContext} from './types.js'
import {scalarsOf, yamlSources} from './yaml-source.js'

const PREFIX = 'spring.security.oauth2.resourceserver.jwt.'

/** Finds the resource server settings of one application.yml. */
export function parseSpringYaml(text: string, context: ParseContext): Finding[] {
  return yamlSources(text).flatMap((source) => {
    const settings = new Map<string, Stated>()
    for (const {path, value} of scalarsOf(source.data)) {
      settings.set(path.join('.'), {value, line: source.lineOf(path)})
    }
    return springFindings(settings, context)
  })
}

/** Finds the resource server settings of one application.properties (`key=value` or `key: value`). */
export function parseSpringProperties(text: string, context: ParseContext): Finding[] {
  const settings = new Map<string, Stated>()
  text.split(/\r?\n/).forEach((line, index) => {
    const match = /^\s*([^#!\s][^=:\s]*)\s*[=:]\s*(.*?)\s*$/.exec(line)
    if (match) settings.set(match[1] as string, {value: match[2], line: index + 1})
  })
  return springFindings(settings, context)
}

function springFindings(settings: Map<string, Stated>, context: ParseContext): Finding[] {
  const name = settings.get('spring.application.name')?.value
  const service = typeof name === 'string' && name !== '' && !name.includes('${') ? name : context.service
  return statedFindings(
    {source: 'spring-boot', service, file: context.file, verifier: 'spring-security'},
    {issuer: settings.get(`${PREFIX}issuer-uri`), jwksUri: settings.get(`${PREFIX}jwk-set-uri`)},
  )
}
