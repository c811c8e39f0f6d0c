// Issue 18, start-up: the build sorts each plugin's commands with scripts/oclif-id-order.cjs in place of
// oclif's `a.id.localeCompare(b.id)`, which builds ICU's collator on every start. The order must stay
// localeCompare's in every locale: ICU fixes its default locale when a process starts, so each locale
// is tried in a node of its own.
import {execFileSync} from 'node:child_process'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {projectRoot} from '../helpers/run.js'

/** jwkr's and its plugins' ids, and ids where collations part ways: "aa" (Danish), capitals, digits, '_'. */
const IDS = [
  'key:thumbprint',
  'key:inspect',
  'key',
  'code:scan',
  'autocomplete',
  'autocomplete:create',
  'help',
  'version',
  'drill:list',
  'drill',
  'a-b',
  'a:b',
  'ab',
  'aa',
  'b',
  'zz',
  'Ab',
  'a1',
  'a_b',
  'a:1',
]

/** Sorts IDS in a fresh node with this environment, with the build's comparator and with localeCompare. */
function sortIn(env: Record<string, string>) {
  const script = `
    const compare = require(${JSON.stringify(join(projectRoot, 'scripts/oclif-id-order.cjs'))})
    const commands = ${JSON.stringify(IDS)}.map((id) => ({id}))
    const ours = [...commands].sort(compare).map((c) => c.id)
    const plain = compare.plainLocale(process.env)
    const oclif = [...commands].sort((a, b) => a.id.localeCompare(b.id)).map((c) => c.id)
    console.log(JSON.stringify({ours, oclif, plain}))`
  const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(LC_|LANG)/.test(name)))
  const output = execFileSync(process.execPath, ['-e', script], {env: {...clean, ...env}, encoding: 'utf8'})
  return JSON.parse(output) as {ours: string[]; oclif: string[]; plain: boolean}
}

describe("the build's order of a plugin's commands", () => {
  it.each([
    [{}, true],
    [{LANG: 'C'}, true],
    [{LANG: 'C.UTF-8'}, true],
    [{LANG: 'POSIX'}, true],
    [{LANG: 'en_US.UTF-8'}, true],
    [{LANG: 'da_DK.UTF-8', LC_ALL: 'en_GB.UTF-8'}, true],
    [{LANG: 'da_DK.UTF-8'}, false],
    [{LANG: 'en_US.UTF-8', LC_MESSAGES: 'da_DK.UTF-8'}, false],
    [{LANG: 'et_EE.UTF-8'}, false],
    [{LANG: 'en_US.UTF-8', LC_ALL: ''}, false],
  ] as const)('is localeCompare’s under %j (ICU left out: %s)', (env, plain) => {
    // Given a node started in that locale
    // When the ids are sorted by the build's comparator and by oclif's localeCompare
    const sorted = sortIn(env)
    // Then the orders are the same, and ICU is left out only where the locale collates as code points do
    expect(sorted.ours).toEqual(sorted.oclif)
    expect(sorted.plain).toBe(plain)
  })

  it('always calls localeCompare on Windows, where the locale is a system setting, not the environment', async () => {
    const {plainLocale} = (await import(join(projectRoot, 'scripts/oclif-id-order.cjs'))) as {
      plainLocale: (env: Record<string, string>, platform?: string) => boolean
    }
    expect(plainLocale({LANG: 'en_US.UTF-8'}, 'win32')).toBe(false)
    expect(plainLocale({}, 'win32')).toBe(false)
    expect(plainLocale({LANG: 'en_US.UTF-8'}, 'darwin')).toBe(true)
  })

  it('differs from code-point order where a locale says so, so the fallback is exercised', () => {
    // Danish sorts "aa" as "å", after "z": the comparator must have gone through localeCompare
    expect(sortIn({LANG: 'da_DK.UTF-8'}).ours.at(-1)).toBe('aa')
  })
})
