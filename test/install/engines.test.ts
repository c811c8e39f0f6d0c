// Every machine that runs jwkr runs Node 20 and package.json says `engines: {node: '>=20'}`, so every
// package the lock file installs (runtime and test alike) must accept Node 20. npm only warns
// (EBADENGINE) when a dependency's newest release moves to Node 22; this test turns the warning into a
// failure, with the package and the dependency chain to pin or override in package.json.
import {readFileSync} from 'node:fs'
import semver from 'semver'
import {describe, expect, it} from 'vitest'

interface LockEntry {
  version?: string
  engines?: Record<string, string> | string[]
}

const NODE_20 = '^20.0.0'

function lockedPackages(): Array<[string, LockEntry]> {
  const lock = JSON.parse(readFileSync(new URL('../../package-lock.json', import.meta.url), 'utf8')) as {
    packages: Record<string, LockEntry>
  }
  return Object.entries(lock.packages).filter(([path]) => path !== '')
}

/** The Node range a lock entry declares, or undefined when it declares none (old array form included). */
function nodeRange(entry: LockEntry): string | undefined {
  return entry.engines && !Array.isArray(entry.engines) ? entry.engines.node : undefined
}

/** Whether a declared range lets the package run on Node 20 (some 20.x satisfies it). */
function acceptsNode20(range: string): boolean {
  return semver.validRange(range) === null ? true : semver.intersects(range, NODE_20)
}

describe('installed packages and Node 20', () => {
  it('tells a range that shuts Node 20 out from one that lets it in', () => {
    expect(acceptsNode20('>=22')).toBe(false)
    expect(acceptsNode20('^22.12.0 || >=24')).toBe(false)
    expect(acceptsNode20('>= 20')).toBe(true)
    expect(acceptsNode20('>=18')).toBe(true)
    expect(acceptsNode20('^18.18.0 || ^20.9.0 || >=21.1.0')).toBe(true)
  })

  it('no package in package-lock.json declares an engines.node range without Node 20', () => {
    const refused = lockedPackages()
      .filter(([, entry]) => {
        const range = nodeRange(entry)
        return range !== undefined && !acceptsNode20(range)
      })
      .map(([path, entry]) => `${path}@${entry.version} wants node ${nodeRange(entry)}`)
    expect(refused, 'pin an older release or add an npm "overrides" entry in package.json').toEqual([])
  })
})
