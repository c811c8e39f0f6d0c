// A preload that lists every module a jwkr process loads, for the start-up test (test/cli/hot-path.test.ts)
// and for bench/README.md's breakdown:
//
//   JWKR_MODULE_LOG=/tmp/modules.txt node --import ./test/helpers/module-log.mjs bin/run.js key thumbprint FILE
//
// One line a module: the URL of each ES module (written by the load hook, on the loader's thread, as it
// loads) and the path of each CommonJS module (require's cache, written when the process exits).
import {appendFileSync} from 'node:fs'
import {createRequire, register} from 'node:module'
import {isMainThread} from 'node:worker_threads'

const log = process.env.JWKR_MODULE_LOG

if (log && isMainThread) {
  register(new URL('./module-log-hooks.mjs', import.meta.url), {data: {log}})
  process.on('exit', () => {
    const commonjs = Object.keys(createRequire(import.meta.url).cache)
    appendFileSync(log, commonjs.map((path) => `${path}\n`).join(''))
  })
}
