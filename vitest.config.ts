import {defineConfig} from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    // @oclif/test captures stdout/stderr itself.
    disableConsoleIntercept: true,
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    // CI asks for a JSON summary too, to print a plain 'N passed, N failed' line.
    // The last one says how many Redis tests were skipped on a machine without redis-server.
    reporters: [...(process.env.JWKR_TEST_SUMMARY ? ['default', 'json'] : ['default']), './test/redis-skip-reporter.ts'],
    outputFile: process.env.JWKR_TEST_SUMMARY ? {json: process.env.JWKR_TEST_SUMMARY} : undefined,
    env: {NODE_ENV: 'test', NO_COLOR: '1'},
  },
})
