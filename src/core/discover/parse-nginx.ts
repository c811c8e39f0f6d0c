// NGINX Plus auth_jwt: `auth_jwt_key_request /uri;` sends a subrequest to a location whose proxy_pass
// is the JWKS, and `auth_jwt_key_cache 1h;` is how long the keys are kept. The location is found in the
// same file; a JWKS URL NGINX builds from variables is unresolved.
import {configDurationSeconds} from './config-values.js'
import {statedFindings} from './stated-values.js'
import type {Finding, ParseContext} from './types.js'

/** Finds the JWKS each auth_jwt_key_request of one nginx configuration file fetches. */
export function parseNginx(text: string, context: ParseContext): Finding[] {
  const lines = text.split(/\r?\n/)
  const requests: Array<{uri: string; line: number}> = []
  const proxies = new Map<string, {value: string; line: number}>()
  let cacheSeconds: number | null = null
  let location: string | null = null
  lines.forEach((raw, index) => {
    const line = raw.replace(/(^|\s)#.*$/, '')
    const request = /\bauth_jwt_key_request\s+(\S+?)\s*;/.exec(line)
    if (request) requests.push({uri: request[1] as string, line: index + 1})
    const cache = /\bauth_jwt_key_cache\s+(\S+?)\s*;/.exec(line)
    if (cache) cacheSeconds = configDurationSeconds(cache[1])
    const opened = /\blocation\s+(?:=\s*)?(\S+)\s*\{/.exec(line)
    if (opened) location = opened[1] as string
    const proxy = /\bproxy_pass\s+(\S+?)\s*;/.exec(line)
    if (proxy && location !== null && !proxies.has(location)) proxies.set(location, {value: proxy[1] as string, line: index + 1})
  })
  return requests.flatMap((request) => {
    const proxy = proxies.get(request.uri)
    const jwks = proxy ?? (/^https?:\/\//.test(request.uri) ? {value: request.uri, line: request.line} : undefined)
    return statedFindings(
      {source: 'nginx', service: context.service, file: context.file, ...(cacheSeconds === null ? {} : {cacheSeconds})},
      {jwksUri: jwks ?? {value: `location ${request.uri} (not in this file)`, line: request.line}},
    )
  })
}
