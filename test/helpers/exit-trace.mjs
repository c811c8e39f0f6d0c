// Loaded with --import (pty.ts's exitTrace) into a command a test runs on a terminal: prints how the
// process ended, so that a wrong exit code comes with its cause. It adds no signal listener (that
// would change how signal-exit treats a Ctrl-C).
import {writeSync} from 'node:fs'

const trace = (line) => {
  try {
    writeSync(2, `\n[exit-trace] ${line}\n`)
  } catch {
    // The terminal is gone: nothing to tell.
  }
}
const caller = () =>
  (new Error().stack ?? '')
    .split('\n')
    .slice(3, 8)
    .map((l) => l.trim())
    .join(' < ')

process.on('exit', (code) => trace(`exit ${code}`))
const exit = process.exit.bind(process)
process.exit = (code) => {
  trace(`process.exit(${code}) from ${caller()}`)
  return exit(code)
}
const kill = process.kill.bind(process)
process.kill = (pid, signal) => {
  if (pid === process.pid) trace(`signal ${signal} sent to itself from ${caller()}`)
  return kill(pid, signal)
}
