// Documents name no local paths (the bar): a path in the incident's folder is shown from there, any
// other under a local place by its file name; URLs, API routes and look-alike folders are left alone.
import {describe, expect, it} from 'vitest'

import {hideLocalPaths, localPlacesOf} from '../../../src/core/report/local-paths.js'
import {eventsOf} from './fixture.js'

const incidentDir = '/home/ana/ir/.jwkr/incidents/i-1'
const places = {incidentDir, roots: ['/home/ana/ir/.jwkr/incidents', '/home/ana', '/tmp']}

describe('hideLocalPaths', () => {
  it('shows paths in the incident folder from there, and others under a local place by their name', () => {
    expect(hideLocalPaths(`wrote ${incidentDir}/artifacts/rca.md.`, places)).toBe('wrote artifacts/rca.md.')
    expect(hideLocalPaths('found at `/tmp/x/leaked.json`', places)).toBe('found at `leaked.json`')
    expect(hideLocalPaths('| (/home/ana/keys/k.pem) |', places)).toBe('| (k.pem) |')
    expect(hideLocalPaths(`denied in ${incidentDir}/artifacts/denylist.json, /home/ana/ir/world/denylist.json`, places)).toBe(
      'denied in artifacts/denylist.json, denylist.json',
    )
  })

  it('leaves URLs, API routes, other folders and look-alike names as they are', () => {
    for (const text of [
      'https://h.example/tmp/a',
      'POST /repos/o/r/issues',
      '/tmpfiles/a',
      '/srv/keys/k.pem',
      '/home/anabel/x',
    ]) {
      expect(hideLocalPaths(text, places)).toBe(text)
    }
    // The root folder is never a local place: it would take every path for one
    expect(hideLocalPaths('/srv/keys/k.pem', {incidentDir: '/i', roots: ['/']})).toBe('/srv/keys/k.pem')
  })
})

describe('localPlacesOf', () => {
  it("takes the folders of the key and of every input given as an absolute path, besides the incident's own", () => {
    const events = eventsOf([
      [0, 'incident.opened', {id: 'i-1', source: '/srv/leak/key.json', inputs: {logs: ['/var/log/app', 'rel/x.log'], n: 3}}],
    ])
    const found = localPlacesOf(events, incidentDir, ['/tmp'])
    expect(found.roots).toEqual(['/home/ana/ir/.jwkr/incidents', '/tmp', '/srv/leak', '/var/log'])
    expect(hideLocalPaths('found at /srv/leak/key.json; logs /var/log/app', found)).toBe('found at key.json; logs app')
  })
})
