// Runs the drill's playbook run (drillRunOptions: the same startRun as `jwkr drill`) against a world
// that the test process built and keeps alive, so that the test can kill this process at any point and
// resume the incident afterwards. Prints one JSON line: {status} or {error: {code, message, hint}}.
// Usage: node --import tsx [--import ./test/faults/fault-preload.ts] test/faults/drill-runner.ts WORLD.json
import {readFile} from 'node:fs/promises'

import {SecretRegistry} from '../../src/core/secrets.js'
import {drillRunOptions} from '../../src/drill/run-drill.js'
import {startRun} from '../../src/playbook/respond.js'
import {scriptedUi} from '../helpers/engine-harness.js'
import type {WorldRef} from './fault-world.js'

const [file] = process.argv.slice(2)
if (!file) throw new Error('usage: drill-runner WORLD.json')
const world = JSON.parse(await readFile(file, 'utf8')) as WorldRef
try {
  const result = await startRun(
    drillRunOptions(world, {
      home: world.home,
      secrets: new SecretRegistry(),
      ui: scriptedUi({}, false),
      yes: true,
      env: process.env,
    }),
  )
  process.stdout.write(`${JSON.stringify({status: result.status})}\n`)
} catch (error) {
  const {code, message, hint} = error as {code?: string; message: string; hint?: string}
  process.stdout.write(`${JSON.stringify({error: {code, message, hint}})}\n`)
  process.exitCode = 1
}
