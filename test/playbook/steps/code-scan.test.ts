import {Ajv2020} from 'ajv/dist/2020.js'
import {readFile, stat} from 'node:fs/promises'
import {join, relative} from 'node:path'

import {beforeAll, describe, expect, it} from 'vitest'

import type {CodeScanResult} from '../../../src/services/scan.js'
import {startRun} from '../../../src/playbook/respond.js'
import {codeScan} from '../../../src/playbook/steps/code-scan.js'
import {leaked, makePlantedTree, type PlantedTree} from '../../adapters/scan/planted-tree.js'
import {baseOptions, readJournal, registryWith, scriptedUi, tempHome, writePlaybook} from '../../helpers/engine-harness.js'

let tree: PlantedTree

beforeAll(async () => {
  // Given a real tree with the leaked key planted in eight files, and decoys that must not be reported
  tree = await makePlantedTree()
})

const PLAYBOOK = `inputs:
  key: {type: string, required: true}
  paths: {type: array, required: true}
steps:
  - id: scan
    uses: code.scan
    with:
      key: "\${{ inputs.key }}"
      paths: "\${{ inputs.paths }}"
      maxFileSize: 1M
`

async function runScan(paths: unknown, dryRun = false) {
  const home = await tempHome()
  const file = await writePlaybook(home, PLAYBOOK)
  const result = await startRun({
    ...baseOptions(home),
    playbook: file,
    inputs: {key: tree.keyFile, paths},
    dryRun,
    registry: registryWith(),
    ui: scriptedUi({}, false),
  })
  return {home, result, journal: await readJournal(home, result.incident)}
}

describe('code.scan', () => {
  it('finds every planted copy, saves the hits as an artifact, and never writes a private value', async () => {
    // When the step scans the tree
    const {result, journal} = await runScan([tree.root])
    // Then it succeeds with outputs that fit its schema: eight files, two of them with private material
    const [step] = result.steps
    expect(step?.status).toBe('succeeded')
    const outputs = step?.outputs as Record<string, unknown>
    expect(new Ajv2020({strict: false}).validate(codeScan.outputSchema, outputs)).toBe(true)
    expect((outputs.files as string[]).map((path) => relative(tree.root, path)).sort()).toEqual(Object.keys(tree.expected).sort())
    expect(outputs).toMatchObject({hits: 8, privateHits: 2, filesScanned: 9})
    // And the artifact holds the hits, readable by the user only
    const artifact = outputs.artifact as string
    expect(artifact).toMatch(/artifacts\/code-scan\.json$/)
    const saved = JSON.parse(await readFile(artifact, 'utf8')) as CodeScanResult
    expect(Object.fromEntries(saved.hits.map((hit) => [relative(tree.root, hit.path), hit.kind]))).toEqual(tree.expected)
    expect((await stat(artifact)).mode & 0o777).toBe(0o600)
    // And no private value of the key is in the journal or the artifact
    expect(leaked(JSON.stringify(journal), tree.secrets)).toEqual([])
    expect(leaked(await readFile(artifact, 'utf8'), tree.secrets)).toEqual([])
  })

  it('takes a single path as well as a list (as `--input scanPaths=DIR` gives it)', async () => {
    const {result} = await runScan(join(tree.root, 'deploy'))
    expect(result.steps[0]?.outputs).toMatchObject({hits: 1, privateHits: 0, filesScanned: 1})
  })

  it('plans one read per path and reads nothing in a dry run', async () => {
    // When the step is dry-run
    const {result, home} = await runScan([tree.root, join(tree.root, 'keys')], true)
    // Then each path is planned as a read-only search, and no artifact was written
    expect(result.steps[0]?.status).toBe('planned')
    expect(result.steps[0]?.plan?.map((call) => [call.kind, call.target])).toEqual([
      ['none', tree.root],
      ['none', join(tree.root, 'keys')],
    ])
    expect(result.steps[0]?.plan?.[0]?.description).toContain('honouring .gitignore, files up to 1 MiB')
    await expect(stat(join(home, 'incidents', result.incident, 'artifacts', 'code-scan.json'))).rejects.toThrow()
  })

  it('fails with a clear error for a path that does not exist', async () => {
    const {result} = await runScan([join(tree.root, 'nope')])
    expect(result.status).toBe('failed')
    expect(result.steps[0]?.error).toMatchObject({code: 'ERR_INPUT_NOT_FOUND', message: expect.stringContaining('nope')})
  })
})
