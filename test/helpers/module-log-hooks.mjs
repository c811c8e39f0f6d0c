// The load hook of module-log.mjs: runs on Node's loader thread and appends each ES module's URL to the log.
import {appendFileSync} from 'node:fs'

let log

export function initialize(data) {
  log = data.log
}

export async function load(url, context, nextLoad) {
  appendFileSync(log, `${url}\n`)
  return nextLoad(url, context)
}
