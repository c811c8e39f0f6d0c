// The msw transport of the API simulators (src/drill/simulator.ts): one handler that hands every
// request under an API root to the simulator and turns its reply into msw's — JSON, a dropped
// connection (HttpResponse.error) or a request that never ends.
import {delay, http, HttpResponse, type HttpHandler, type JsonBodyType} from 'msw'

import {pathBelow, type Simulate} from '../../src/drill/simulator.js'

/** Every request under `root` (`https://api.github.com`, `https://slack.com/api/`) goes to `simulate`. */
export function simulatorHandler(root: string, simulate: Simulate): HttpHandler {
  const base = root.replace(/\/$/, '')
  const rootPath = new URL(base).pathname
  return http.all(`${base}/*`, async ({request}) => {
    const url = new URL(request.url)
    const reply = simulate({
      method: request.method,
      url,
      path: pathBelow(url, rootPath) ?? url.pathname,
      headers: Object.fromEntries(request.headers),
      body: await request.clone().text(),
    })
    if (!('network' in reply))
      return HttpResponse.json(reply.json as JsonBodyType, {status: reply.status, headers: reply.headers})
    if (reply.network === 'hang') await delay('infinite')
    return HttpResponse.error()
  })
}
