// Says at the end of a run how many tests were skipped because this machine has no redis-server
// (describeRedis marks their suites), so a green run on a fresh clone cannot hide them.
import type {Reporter, TestModule} from 'vitest/node'

import {REDIS_SKIP_MARK} from './helpers/redis-server.js'

export default class RedisSkipReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let skipped = 0
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        if (test.fullName.includes(REDIS_SKIP_MARK) && test.result().state === 'skipped') skipped++
      }
    }
    if (skipped > 0) {
      process.stderr.write(
        `\n⚠ ${skipped} Redis test${skipped === 1 ? '' : 's'} skipped: no redis-server on this machine. ` +
          'Install redis-server to run them; CI runs them with JWKR_REQUIRE_REDIS=1.\n',
      )
    }
  }
}
